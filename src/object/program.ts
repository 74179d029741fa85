import {
  BpfLinkError,
  BpfPseudo,
  bindExterns,
  externsCalled,
  Memory,
  hasStruct,
  interpret,
  prepareProgram,
  validateProgram,
  helperName,
  SKB_INTERNAL,
  type BpfInsn,
  type BpfProgram,
  type HelperFn,
  type PreparedProgram,
  type ProgramType,
  type MemoryRegion,
  type Region,
  type RegionKind,
} from '../bpf/index.js';
import { DEFAULT_EXTERN_ARITY, JitProgram, type NativeTarget } from '../jit/index.js';
import { objectMaps, verifyProgram, type VerifyResult } from '../bpf/verifier/index.js';
import { HELPER_PROTOS } from '../bpf/helper-protos.js';
import { ContextSnapshot, bufferAddress, contextBuilder, drainPrintk, interpreterHelpers, nativeHelpers, setPrandomSeed, setRunCpu, type BuiltContext, type ContextTarget, type RunInput } from '../runtime/index.js';
import { ArrayMap, PerfEventArrayMap, ProgArrayMap, RingbufMap, type BpfMap, type TailCallTarget } from '../runtime/maps/index.js';
import { BpfPatchError, MAX_CALL_FRAMES, STACK_SIZE, type PointerCheck } from '../bpf/index.js';
import type { BpfObjectFile } from './object.js';

/**
 * One program of an object: its type and attach type, the program both engines run (after
 * the fixups: context conversion, LD_ABS, bpf_loop, inlined array lookups), the JIT code
 * (compiled on first use), and testRun, modelled on BPF_PROG_TEST_RUN.
 */

export type Engine = 'jit' | 'interpreter';

export interface TestRunOptions extends RunInput {
  /** how many times to run (the context and packet are restored before each run; default 1) */
  readonly repeat?: number;
  /** 'jit' (default) or 'interpreter' */
  readonly engine?: Engine;
  /** the CPU the run is on: per-CPU map slots and bpf_get_smp_processor_id (default 0) */
  readonly cpu?: number;
  /** make bpf_get_prandom_u32 repeatable */
  readonly prandomSeed?: bigint;
}

export interface TestRunResult {
  /** R0 of the last run */
  readonly retval: bigint;
  /** the packet after the run (packet types and plain buffers) */
  readonly dataOut: Uint8Array | undefined;
  /** the context after the run (types with a context struct) */
  readonly ctxOut: Uint8Array | undefined;
  /** wall time per run, averaged over `repeat` runs (includes the call from JavaScript) */
  readonly durationNs: number;
  /** printk lines of all runs, when no printk callback was given */
  readonly printk: readonly string[];
}

/** A program's descriptor (native memory a prog array slot points at): JIT tail-call entry, id. */
const DESCRIPTOR_SIZE = 16;

export class ObjectProgram {
  readonly name: string;
  readonly section: string;
  readonly #descriptor = Buffer.alloc(DESCRIPTOR_SIZE);
  #prepared: PreparedProgram | undefined;
  #jit: JitProgram | undefined;
  #verified: VerifyResult | undefined;
  #sandboxAnalysis: VerifyResult | undefined;
  /** the analysis's pointer-arithmetic checks, by slot of the prepared program */
  #pointerChecks: ReadonlyMap<number, PointerCheck> = new Map();

  constructor(
    readonly object: BpfObjectFile,
    readonly source: BpfProgram,
    readonly index: number,
    readonly type: ProgramType,
    readonly attach?: string,
  ) {
    this.name = source.name;
    this.section = source.section;
    this.#descriptor.writeBigUInt64LE(BigInt(index), 8);
  }

  /** instructions as loaded (slots) */
  get insnCount(): number {
    return this.source.insns.length;
  }

  /** what a prog array slot holds for this program */
  tailCallTarget(): TailCallTarget {
    return { descriptor: bufferAddress(this.#descriptor), name: this.name, programType: this.type.name };
  }

  /** the program both engines run: the fixups applied (maps must exist: loads the object) */
  prepared(): PreparedProgram {
    if (this.#prepared) return this.#prepared;
    this.object.load();
    const extra = new Set(this.object.options.helpers?.keys() ?? []);
    // A helper the type may not call gets a clear message before anything else.
    const helperIds = new Set([...this.type.helpers, ...extra]);
    for (let pc = 0; pc < this.source.insns.length; pc++) {
      const insn = this.source.insns[pc]!;
      if (insn.code === 0x85 && insn.src === 0 && !helperIds.has(insn.imm)) {
        throw new BpfLinkError(`program '${this.name}' (${this.type.name}): helper ${insn.imm} (${helperName(insn.imm)}) is not available to ${this.type.name} programs`, pc);
      }
    }
    const info = validateProgram(this.source.insns, { legacyPacketAccess: this.type.legacyPacketAccess, helpers: helperIds });
    const prepared = prepareProgram(this.source.insns, {
      type: this.type,
      info,
      ...(this.attach !== undefined ? { attach: this.attach } : {}),
      arrayLayout: (mapIndex) => {
        const m = this.object.mapByIndex(mapIndex);
        return m instanceof ArrayMap ? m.inlineLayout() : undefined;
      },
    });
    // What both engines run is validated once (the interpreter then runs it unchecked again).
    validateProgram(prepared.insns, { helpers: new Set([...helperIds, 12]) });
    // Proven safe as loaded (the kernel verifies before convert_ctx_access too); after the
    // fixups only so that their context errors, which name the field, come first.
    if (this.#verifies()) this.#verified = verifyProgram(this.source.insns, this.verifyOptions());
    else if (this.object.options.sandbox === true && this.object.options.sandboxAnalysis !== false) {
      // the sandbox's analysis, on the program as loaded, before either engine runs it
      this.#sandboxAnalysis = verifyProgram(this.source.insns, { ...this.verifyOptions(), sandbox: true });
      this.#pointerChecks = preparedChecks(this.#sandboxAnalysis.facts.pointerChecks, prepared.origin);
    }
    this.#prepared = prepared;
    return prepared;
  }

  /** Whether the object proves its programs safe: `verify`, by default on unless the object is sandboxed. */
  #verifies(): boolean {
    return this.object.options.verify ?? this.object.options.sandbox !== true;
  }

  /** What the verifier proved (undefined before the first run, or when the object was opened with verify: false). */
  get verified(): VerifyResult | undefined {
    return this.#verified;
  }

  /**
   * What the sandbox's analysis decided (OpenOptions.sandboxAnalysis), after the first run:
   * facts.leftToRunTime and loopsLeftToBudget are left to the run-time checks and the budget.
   */
  get sandboxAnalysis(): VerifyResult | undefined {
    return this.#sandboxAnalysis;
  }

  /**
   * Prove the program safe now, against the object as it is (also when it was opened with
   * verify: false): what the verifier found, or a BpfVerifierError naming the pc.
   */
  verify(): VerifyResult {
    const first = this.#prepared === undefined;
    this.prepared();
    if (first && this.#verified) return this.#verified;
    return (this.#verified = verifyProgram(this.source.insns, this.verifyOptions()));
  }

  /** The object's maps and global data as the verifier sees them; read-only data with the contents it has now. */
  private verifyOptions(): Parameters<typeof verifyProgram>[1] {
    const { maps, data } = objectMaps(this.object.parsed);
    const frozen = data.map((d, i) => {
      const section = this.object.sectionOfMap(this.object.dataMap(i)!);
      return d.frozen && section ? { ...d, frozen: { ...d.frozen, bytes: Uint8Array.from(section.bytes) } } : d;
    });
    // your own helpers of ids Linux has no prototype for are trusted code, like natives
    const own = [...(this.object.options.helpers?.keys() ?? [])].filter((id) => !HELPER_PROTOS.has(id));
    // extern functions (CALL src 2) are the embedder's native code, called with the JIT's arity
    const natives = new Map([...externsCalled(this.source).keys()].map((id) => [id, { arity: DEFAULT_EXTERN_ARITY }]));
    const loops = this.object.options.allowLoops === false ? { allowLoops: false } : {};
    return { programType: this.type, ...(this.attach !== undefined ? { attach: this.attach } : {}), maps, data: frozen, trustedHelpers: new Set(own), natives, ...loops };
  }

  /** LDDW src 1 (a map) and src 2 (global data + offset), as both engines resolve them */
  resolvePseudo(pseudo: number, imm: number, nextImm: number, pc: number): bigint {
    if (pseudo === BpfPseudo.MAP_FD) {
      const m = this.object.mapByIndex(imm);
      if (m === undefined) throw new BpfLinkError(`lddw refers to map #${imm}, the object has ${this.object.mapDescriptions.length}`, pc);
      return m.address;
    }
    if (pseudo === BpfPseudo.MAP_VALUE) {
      const d = this.object.dataMap(imm);
      if (d === undefined) throw new BpfLinkError(`lddw refers to data image #${imm}`, pc);
      const offset = nextImm >>> 0;
      if (offset > d.description.valueSize) throw new BpfLinkError(`lddw offset ${offset} is past the end of ${d.name}`, pc);
      return d.storeAddress + BigInt(offset);
    }
    throw new BpfLinkError(`lddw pseudo source ${pseudo} cannot be linked`, pc);
  }

  /** the JIT-compiled program (compiled on first use; every program of the object gets compiled so tail calls find their targets) */
  jit(): JitProgram {
    if (this.#jit) return this.#jit;
    const prepared = this.prepared();
    const user = this.object.options.helpers ?? new Map<number, HelperFn>();
    const natives = nativeHelpers(this.type);
    for (const id of user.keys()) natives.delete(id);
    const libraries = this.object.options.libraries ?? [];
    const externs = bindExterns<NativeTarget>(
      this.source,
      (name) => {
        for (const lib of libraries) {
          const address = lib.symbolAddress(name);
          if (address !== undefined) return { name, address, arity: DEFAULT_EXTERN_ARITY };
        }
        return undefined;
      },
      libraries.length > 0 ? `not found in ${libraries.map((l) => l.path).join(', ')}` : 'no native library was given',
    );
    this.#jit = JitProgram.compile(prepared.insns, {
      ...this.object.options.jit,
      helpers: user,
      nativeHelpers: natives,
      natives: externs,
      tailCalls: this.object.tailCalls,
      resolvePseudo: (p, imm, next, pc) => this.resolvePseudo(p, imm, next, pc),
      // the program as loaded was verified in prepared(); this is its trusted rewrite. Verified
      // programs carry no budget unless the object sets one; unverified ones get the JIT's default.
      verify: false,
      // the sandbox's analysis ran on the program as loaded (prepared()); this is its rewrite
      ...(this.object.options.sandbox === true ? { sandbox: true, sandboxAnalysis: false, pointerChecks: this.#pointerChecks } : {}),
      // unverified code: helpers' pointer arguments are checked against the object's maps and the run's regions
      helperArgChecks: !this.#verifies(),
      maps: this.object.allMaps().map((m) => m.address),
      ...(this.object.options.budget !== undefined ? { budget: this.object.options.budget } : this.#verifies() ? { budget: false as const } : {}),
    });
    const entry = this.#jit.tailCallEntry;
    if (entry !== undefined) this.#descriptor.writeBigUInt64LE(entry, 0);
    if (this.object.tailCalls) for (const p of this.object.programs.values()) if (p !== this) p.jit();
    return this.#jit;
  }

  /** the interpreter's instructions of the program a prog array descriptor names */
  static fromDescriptor(object: BpfObjectFile, descriptor: bigint): ObjectProgram | undefined {
    for (const p of object.programs.values()) if (bufferAddress(p.#descriptor) === descriptor) return p;
    return undefined;
  }

  /**
   * Run the program as BPF_PROG_TEST_RUN does: build its context and packet from dataIn /
   * ctxIn, run `repeat` times (restoring them before each run), and give back R0, data_out,
   * ctx_out and the time per run.
   */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const repeat = options.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`repeat must be a positive integer, is ${repeat}`);
    const engine = options.engine ?? 'jit';
    const prepared = this.prepared();
    const run = newRun(this.type, options);
    // a plain program was proven safe for at least this much memory
    const need = this.#verified?.memSize ?? 0;
    if (this.type.name === 'plain' && run.built.r2 < BigInt(need)) {
      // the kernel-worded rejection for the memory given (pc, access, mem_size)
      verifyProgram(this.source.insns, { ...this.verifyOptions(), memSize: Number(run.built.r2) });
      throw new RangeError(`program '${this.name}' reads or writes ${need} bytes of its memory (as verified); dataIn has ${run.built.r2}`);
    }
    const printk: string[] = [];
    const deliver = (): void => {
      const out = drainPrintk();
      for (const line of out.lines) {
        if (this.object.options.printk) this.object.options.printk(line);
        else printk.push(line);
      }
    };
    drainPrintk();
    setRunCpu(options.cpu ?? 0);
    let retval = 0n;
    let elapsed = 0n;
    try {
      if (engine === 'jit') {
        const jit = this.jit();
        // the sandbox checks against the run's regions (the stack is the JIT's own)
        // (unverified code without the sandbox needs them for its helpers' arguments)
        const sandboxed = this.object.options.sandbox === true || !this.#verifies();
        const regions = sandboxed ? this.runRegions(run) : [];
        const context = hasStruct(this.type.context) ? { context: run.built.r1 } : {};
        for (let i = 0; i < repeat; i++) {
          if (i > 0) run.snapshot.restore();
          if (options.prandomSeed !== undefined) setPrandomSeed(options.prandomSeed);
          // the packet as this run starts (a helper may have moved it in the last one)
          const packet = sandboxed ? packetRegions(run) : undefined;
          const checked = sandboxed ? { regions, ...context, ...(packet ? { packet: { context: run.target.ctxAddress, ...packet } } : {}) } : {};
          const t0 = process.hrtime.bigint();
          retval = jit.call(run.built.r1, run.built.r2, checked);
          elapsed += process.hrtime.bigint() - t0;
        }
      } else {
        for (let i = 0; i < repeat; i++) {
          if (i > 0) run.snapshot.restore();
          if (options.prandomSeed !== undefined) setPrandomSeed(options.prandomSeed);
          const t0 = process.hrtime.bigint();
          retval = this.interpretOnce(prepared.insns, run);
          elapsed += process.hrtime.bigint() - t0;
        }
      }
    } finally {
      deliver();
      setRunCpu(0);
      for (const m of this.object.allMaps()) if (m instanceof RingbufMap || m instanceof PerfEventArrayMap) m.poll();
    }
    return { retval, dataOut: run.built.dataOut(), ctxOut: run.built.ctxOut(), durationNs: Number(elapsed) / repeat, printk };
  }

  /**
   * What a run may touch besides its stack and its packet (packetRegions): its context,
   * every map's values (one value per element: strided regions) and the global data (a
   * single-value map each: exactly the section; .rodata and friends read-only), in the
   * regions model both engines check.
   */
  private runRegions(run: Run): MappedRegion[] {
    const out: MappedRegion[] = run.regions.map((r) => ({ ...r, size: r.bytes.length }));
    for (const m of this.object.allMaps()) {
      const section = this.object.sectionOfMap(m);
      if (section) {
        const bytes = m.regions()[0]!.bytes.subarray(0, m.description.valueSize);
        out.push({ kind: 'data', name: section.name, bytes, base: m.regions()[0]!.base, size: bytes.length, writable: section.writable });
        continue;
      }
      const kind: RegionKind = m instanceof RingbufMap ? 'ringbuf' : 'map_value';
      for (const r of m.regions()) {
        const strided = r.stride !== undefined ? { stride: r.stride, elementSize: r.elementSize! } : {};
        out.push({ kind, name: r.name, bytes: r.bytes, base: r.base, size: r.bytes.length, writable: r.writable, ...strided });
      }
    }
    return out;
  }

  private interpretOnce(insns: readonly BpfInsn[], run: Run): bigint {
    const ext = this.source.relocations.find((r) => r.kind === 'extern-call');
    if (ext) throw new BpfLinkError(`program '${this.name}' calls the extern function '${ext.symbol}', which only the JIT can call (a native library)`, ext.pc);
    const memory = new Memory();
    const add = (r: MappedRegion): MemoryRegion =>
      memory.addRegion(r.name, r.bytes, { base: r.base, writable: r.writable, kind: r.kind, ...(r.stride !== undefined ? { stride: r.stride, elementSize: r.elementSize! } : {}) });
    for (const r of this.runRegions(run)) add(r);
    // the packet [data, data_end) and its metadata [data_meta, data) (none when empty), again
    // after each helper that moves them
    let packet: MemoryRegion[] = [];
    const placePacket = (): void => {
      for (const r of packet) memory.removeRegion(r);
      const p = packetRegions(run);
      packet = p ? [p.data, p.meta].filter((r) => r.size > 0).map(add) : [];
    };
    placePacket();
    const maps = new Map<bigint, BpfMap>();
    for (const m of this.object.allMaps()) maps.set(m.address, m);
    const budget = this.object.options.budget;
    const adapters = interpreterHelpers(this.type, {
      map: (a) => maps.get(a),
      ctxAddress: hasStruct(this.type.context) ? run.built.r1 : undefined,
      packetMoved: placePacket,
    });
    for (const [id, fn] of this.object.options.helpers ?? []) adapters.set(id, fn);
    const r = interpret(insns, {
      memory,
      args: [run.built.r1, run.built.r2],
      helpers: adapters,
      stackMemory: { bytes: run.stack, base: bufferAddress(run.stack) },
      resolvePseudo: (p, imm, next, pc) => this.resolvePseudo(p, imm, next, pc),
      tailCall: (mapAddress, index) => {
        const map = maps.get(mapAddress);
        if (!(map instanceof ProgArrayMap)) return undefined;
        const target = map.get(Number(index));
        const p = target && ObjectProgram.fromDescriptor(this.object, target.descriptor);
        return p?.prepared().insns;
      },
      validate: false,
      ...(this.object.options.sandbox === true ? { pointerChecks: this.#pointerChecks } : {}),
      ...(typeof budget === 'number' ? { maxInstructions: budget } : {}),
    });
    return r.value;
  }

  /** Free the JIT code (the object keeps its maps). */
  free(): void {
    this.#jit?.free();
    this.#jit = undefined;
    this.#descriptor.writeBigUInt64LE(0n, 0);
  }
}

type MappedRegion = Region & { readonly bytes: Uint8Array };

interface Run {
  readonly built: BuiltContext;
  /** packet types: stores through packet pointers allowed (ProgramType.directPacketWrite) */
  readonly packetWritable?: boolean;
  readonly snapshot: ContextSnapshot;
  readonly target: ContextTarget;
  /** the context and packet as the interpreter maps them (the context's pointers read-only) */
  readonly regions: readonly { kind: RegionKind; name: string; bytes: Uint8Array; base: bigint; writable: boolean }[];
  readonly stack: Buffer;
}

/** Context and packet buffers in native memory (stable addresses), built for one test run. */
function newRun(type: ProgramType, input: RunInput): Run {
  const builder = contextBuilder(type);
  const plan = builder.plan(input);
  const ctx = Buffer.alloc(Math.max(8, plan.ctxSize));
  const packet = Buffer.alloc(Math.max(8, plan.packetSize));
  const target: ContextTarget = { ctx, ctxAddress: bufferAddress(ctx), packet, packetAddress: bufferAddress(packet) };
  const built = builder.build(input, target);
  const regions: { kind: RegionKind; name: string; bytes: Uint8Array; base: bigint; writable: boolean }[] = [];
  // a packet type's packet regions follow its context's pointers (packetRegions); a plain
  // program's memory is the whole buffer
  if (plan.packetSize > 0 && type.packet === undefined) regions.push({ kind: 'mem', name: 'mem', bytes: packet.subarray(0, plan.packetSize), base: target.packetAddress, writable: true });
  if (plan.ctxSize > 0) {
    // A program cannot write the packet pointers of its context (only converted field
    // accesses reach the context): they stay read-only so helpers can trust them.
    const pointers = type.packet !== undefined && type.name !== 'xdp' ? SKB_INTERNAL.len.offset : plan.ctxSize;
    regions.push({ kind: 'ctx', name: 'context (pointers)', bytes: ctx.subarray(0, pointers), base: target.ctxAddress, writable: false });
    if (pointers < plan.ctxSize) regions.push({ kind: 'ctx', name: 'context', bytes: ctx.subarray(pointers, plan.ctxSize), base: target.ctxAddress + BigInt(pointers), writable: true });
  }
  return {
    built,
    snapshot: new ContextSnapshot(target),
    target,
    regions,
    stack: Buffer.alloc(MAX_CALL_FRAMES * STACK_SIZE),
    ...(type.packet !== undefined ? { packetWritable: type.directPacketWrite } : {}),
  };
}

/**
 * A packet type's packet as the kernel bounds it: [data, data_end) (PTR_TO_PACKET) and the
 * metadata [data_meta, data) (PTR_TO_PACKET_META; empty without metadata), read from the
 * internal context struct (data, data_end, data_meta at offsets 0, 8, 16 in both XDP_INTERNAL
 * and SKB_INTERNAL); the head- and tailroom around them is no region. Writable only for types
 * that may write packets directly (tc, XDP), as the kernel's may_access_direct_pkt_data.
 * Undefined for types without a packet.
 */
function packetRegions(run: Run): { data: MappedRegion; meta: MappedRegion } | undefined {
  if (run.packetWritable === undefined) return undefined;
  const { ctx, packet, packetAddress } = run.target;
  const view = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  const at = (field: { offset: number }): number => {
    const offset = Number(view.getBigUint64(field.offset, true) - packetAddress);
    return Math.min(Math.max(offset, 0), packet.length);
  };
  const data = at(SKB_INTERNAL.data);
  const end = Math.max(data, at(SKB_INTERNAL.data_end));
  const meta = Math.min(data, at(SKB_INTERNAL.data_meta));
  const region = (name: string, from: number, to: number): MappedRegion => {
    const bytes = packet.subarray(from, to);
    return { kind: 'packet', name, bytes, base: packetAddress + BigInt(from), size: bytes.length, writable: run.packetWritable! };
  };
  return { data: region('packet', data, end), meta: region('packet metadata', meta, data) };
}

/**
 * The analysis ran on the program as loaded; the engines run its rewrite. Pointer arithmetic
 * is never rewritten (fixups patch context accesses, LD_ABS and calls), so each checked
 * instruction is the one prepared slot that came from it.
 */
function preparedChecks(checks: ReadonlyMap<number, PointerCheck>, origin: readonly number[]): ReadonlyMap<number, PointerCheck> {
  if (checks.size === 0) return checks;
  const out = new Map<number, PointerCheck>();
  const placed = new Set<number>();
  origin.forEach((from, pc) => {
    const c = checks.get(from);
    if (c === undefined) return;
    if (placed.has(from)) throw new BpfPatchError(`the pointer check's instruction was rewritten into several slots`, from);
    placed.add(from);
    out.set(pc, c);
  });
  return out;
}
