import {
  STACK_FRAME_SIZE,
  MAX_CALL_FRAMES,
  type BpfInsn,
  type HelperEnv,
  type HelperRegistry,
  type PointerCheck,
  type Region,
  type ValidateOptions,
} from '../bpf/index.js';
import type { VerifyOptions, VerifyResult } from '../bpf/verifier/index.js';
import {
  CodeRegion,
  NativeFunction,
  bufferAddress,
  clearHelperSink,
  helperStubAddress,
  hostInfo,
  registerCodeRange,
  requireArm64Host,
  setHelperSink,
  type RegisteredCodeRange,
} from '../runtime/index.js';
import type { CompiledProgram } from './compiler.js';
import { DEFAULT_JIT_BUDGET, prepareImage, type JitImage, type PreparedImage } from './image.js';
import type { OptimizeOptions } from './opt/index.js';
import {
  CONTEXT_SIZE,
  CTX_EXIT_DETAIL,
  CTX_EXIT_DETAIL2,
  CTX_EXIT_REQUEST,
  CTX_EXIT_VALUE,
  CTX_HELPERS,
  CTX_PER_CALL_BYTES,
  CTX_ARG_CONTEXT,
  CTX_MAPS,
  CTX_PACKET_CONTEXT,
  CTX_REGIONS,
  CTX_REGION_CACHE_READ,
  CTX_REGION_CACHE_WRITE,
  CTX_SHADOW_LIMIT,
  EXIT_REQUEST_HELPER,
  EXIT_REQUEST_HELPER_ERROR,
  EXIT_REQUEST_NONE,
  REGION_ENTRY_META,
  REGION_ENTRY_PACKET,
  REGION_ENTRY_SIZE,
  REGION_LIVE,
  REGION_STRIDED,
  REGION_WRITABLE,
  SANDBOX_REGIONS,
} from './context-layout.js';

/** bpf_tail_call's id: inline code, not a table entry (emit-tailcall.ts). */
const TAIL_CALL_HELPER_ID = 12;
import { JitArgumentError, JitCompileError, JitRuntimeError } from './errors.js';
import { formatListing, listing, type ListingLine } from './listing.js';
import { exitError, type ExitWords } from './safety/exits.js';

/** A native function that `call native <id>` (CALL src 2) reaches, by address. */
export interface NativeTarget {
  readonly name: string;
  readonly address: bigint;
  /** 0..12 arguments: R1-R5, then stack-argument slots (validation checks the callers) */
  readonly arity: number;
}

export { DEFAULT_JIT_BUDGET };

export interface JitOptions {
  /** helpers by id (integers 0..1023), JavaScript functions called with R1-R5 (R0 = result) */
  readonly helpers?: HelperRegistry;
  /**
   * helpers by id as native code addresses (functions of the BPF helper signature, e.g. the
   * addon's map helpers): JIT code calls them directly, no JavaScript on the way
   */
  readonly nativeHelpers?: ReadonlyMap<number, bigint>;
  /**
   * compile for tail calls: bpf_tail_call (helper 12) becomes inline code, and the program
   * gets a tail-call entry other programs' tail calls jump to (tailCallEntry)
   */
  readonly tailCalls?: boolean;
  /** native functions by CALL src 2 imm */
  readonly natives?: ReadonlyMap<number, NativeTarget>;
  /** values of LDDW pseudo forms (map values, global data) */
  readonly resolvePseudo?: (pseudo: number, imm: number, nextImm: number, pc: number) => bigint;
  /** 'auto' (default): LSE when the CPU has FEAT_LSE; 'llsc' forces exclusive-access loops */
  readonly atomics?: 'auto' | 'lse' | 'llsc';
  /** constant blinding, like the kernel's bpf_jit_harden: no program immediate reaches the code */
  readonly blind?: boolean | { readonly seed: number };
  /**
   * The optimization tier (src/jit/opt, on by default): false compiles each BPF instruction on
   * its own (`-O0`); an object switches single passes off (`{ disable: ['load-merge'] }`).
   */
  readonly optimize?: boolean | OptimizeOptions;
  /** further validation options (helper and native ids are filled in from above) */
  readonly validate?: Omit<ValidateOptions, 'helpers' | 'natives'>;
  /**
   * Prove the program safe before compiling it (default on, except with `sandbox`; `false` for
   * trusted code or for the sandbox's untrusted code). The options go to the verifier: helper prototypes for the helpers given (default Linux's),
   * maps, the program type, the memory size (without one, a run must give at least the size
   * the verifier found the program needs; with one, exactly that size).
   */
  readonly verify?: boolean | Omit<VerifyOptions, 'natives'>;
  /** shown in code ranges and reports */
  readonly name?: string;
  /**
   * Instruction budget: the back-edges and calls one run may take before it stops with a
   * BpfBudgetError. Default: none for verified programs (the verifier proved they terminate),
   * DEFAULT_JIT_BUDGET for unverified code (`verify: false`), because nothing proved it
   * terminates; `false` compiles without one, a number sets it either way. A budget makes
   * the program compile 1:1 (CompiledProgram.unoptimized says so).
   */
  readonly budget?: number | false;
  /**
   * Check every load, store and atomic against the regions the run may touch (the stack, the
   * memory given to run(), `regions`, the regions given to each call); a miss stops the
   * program with a BpfSandboxError naming pc, address, size and the nearest region. For code
   * the verifier cannot prove: `verify` defaults to false. Compiles 1:1.
   */
  readonly sandbox?: boolean;
  /**
   * With `sandbox` (and no full verification): first the verifier's sandbox mode, which
   * refuses (BpfVerifierError) what no run-time check sees — uninitialized registers and
   * stack, pointer leaks, helper argument kinds, context offsets, accesses certainly out of
   * bounds — and leaves the rest to the checks and the budget. Default true, with the
   * verifier's default options; an object gives them (maps, program type, ...); false runs
   * the run-time checks alone (programs the analysis cannot handle, tests of the checks).
   */
  readonly sandboxAnalysis?: boolean | Omit<VerifyOptions, 'natives' | 'sandbox'>;
  /**
   * With the sandbox: the pointer-arithmetic checks to emit, by slot (src/bpf/pointer-checks.ts).
   * Default: what the sandbox's analysis found (none with `sandboxAnalysis: false`). For a
   * caller that ran the analysis itself on an earlier form of the program (ObjectProgram).
   */
  readonly pointerChecks?: ReadonlyMap<number, PointerCheck>;
  /** regions every run may touch besides its stack and its memory (data images, map values) */
  readonly regions?: readonly Region[];
  /** what the code refers to by address (data images): kept alive as long as the program */
  readonly retain?: readonly object[];
  /**
   * Check helpers' pointer arguments before each call (a map argument must be a map of the
   * program, memory must lie in the run's regions; BpfHelperArgError otherwise), so that a
   * native helper never gets a wild pointer. Default: on for unverified code (the verifier
   * proved verified code's arguments), always on under the sandbox. Compiles 1:1.
   */
  readonly helperArgChecks?: boolean;
  /**
   * The program's maps for those checks, besides the ones its LDDW map_fd instructions
   * resolve to (resolvePseudo): inner maps of maps of maps, maps a helper hands out.
   */
  readonly maps?: readonly bigint[];
}

/** Per-call options of run() and call(). */
export interface RunOptions {
  /** more regions this run may touch (a context struct, ...), for the sandbox */
  readonly regions?: readonly Region[];
  /**
   * The run's packet, for the sandbox: its regions [data, data_end) and [data_meta, data)
   * as they are at the start, and the internal context struct whose data / data_end /
   * data_meta words (offsets 0, 8, 16) the helpers that move the packet change: after each
   * such helper the code makes both regions follow them.
   */
  readonly packet?: { readonly context: bigint; readonly data: Region; readonly meta: Region };
  /** the context struct's address, which helpers' context arguments must be (ARG_PTR_TO_CTX); unchecked without */
  readonly context?: bigint;
}

/** `uint64_t prog(void *ctx, uint64_t ctx_len)`: R1 = ctx, R2 = its length, R0 returned. */
export const ENTRY_SIGNATURE = 'uint64_t (void *, uint64_t)';

/** Thrown inside a JS helper by env.exit(); turned into an exit request for the JIT code. */
class HelperExit {
  constructor(readonly value: bigint) {}
}

/** One run's JS-side state (a helper may start another run of the same program). */
interface RunState {
  /** what a helper threw, rethrown by call() */
  error?: unknown;
  errorPc?: number;
  errorId?: number;
}

/**
 * What must be released when the program goes away, also when it is dropped without free():
 * kept apart from the JitProgram so that a FinalizationRegistry can release it.
 */
interface Resources {
  readonly region: CodeRegion;
  readonly context: Buffer;
  readonly contextAddress: bigint;
  range: RegisteredCodeRange | undefined;
  released: boolean;
}

function release(r: Resources): void {
  if (r.released) return;
  r.released = true;
  r.range?.unregister();
  clearHelperSink(r.contextAddress);
  if (r.region.state !== 'freed') r.region.free();
}

const dropped = new FinalizationRegistry<Resources>(release);

const ARM64 = process.arch === 'arm64';

/**
 * A compiled program in executable memory, callable from JavaScript. Owns its code region,
 * context block and code range until free() (or until it is garbage-collected).
 *
 * Safety (src/jit/safety): every program holds its context block and entry frame so that the
 * fault handler can unwind it (BpfFaultError instead of a crash); unless compiled with
 * `budget: false` it stops after its budget of back-edges and calls (BpfBudgetError); with
 * `sandbox` every memory access is checked (BpfSandboxError).
 */
export class JitProgram {
  readonly compiled: CompiledProgram;
  /** the slots that were compiled (after constant blinding, when on) */
  readonly program: readonly BpfInsn[];
  readonly atomics: 'lse' | 'llsc';
  readonly name: string;
  readonly #resources: Resources;
  readonly #entry: NativeFunction;
  readonly #helpers: HelperRegistry;
  readonly #regions: readonly Region[];
  readonly #retain: readonly object[];
  readonly #runs: RunState[] = [];
  /** the sandbox's shadow stacks, one per nesting depth */
  readonly #shadows: Buffer[] = [];
  #freed = false;
  #verified: { readonly result: VerifyResult; readonly options: Omit<VerifyOptions, 'natives'> } | undefined;
  #sandboxAnalysis: VerifyResult | undefined;

  private constructor(compiled: CompiledProgram, program: readonly BpfInsn[], atomics: 'lse' | 'llsc', resources: Resources, options: JitOptions, name: string) {
    this.compiled = compiled;
    this.program = program;
    this.atomics = atomics;
    this.name = name;
    this.#resources = resources;
    this.#helpers = options.helpers ?? new Map();
    this.#regions = options.regions ?? [];
    this.#retain = options.retain ?? [];
    this.#entry = new NativeFunction(resources.region.address, ENTRY_SIGNATURE, resources.region);
    dropped.register(this, resources, this);
  }

  /** Validate, compile and load a program. Everything the JIT cannot do fails here. */
  static compile(program: readonly BpfInsn[], options: JitOptions = {}): JitProgram {
    const atomics = options.atomics === undefined || options.atomics === 'auto' ? (hostInfo().lse ? 'lse' : 'llsc') : options.atomics;
    const blind = options.blind ? (typeof options.blind === 'object' ? options.blind : { seed: randomSeed() }) : false;
    const context = Buffer.alloc(CONTEXT_SIZE);
    const prepared = prepareImage(program, { ...options, atomics, blind, contextAddress: bufferAddress(context) });
    return JitProgram.#install(prepared, options, context);
  }

  /**
   * Load an image made by prepareImage, possibly in another process (image.ts): the code goes
   * into executable memory and is registered exactly as compile() does. The image must have
   * been made for `context` (its address is in the code) and for the same natives and pseudo
   * values; the helpers given must be the ids the image calls. Verification results do not
   * travel with an image: the program runs without compile()'s checks of verified memory.
   */
  static load(image: JitImage, context: Buffer, options: Omit<JitOptions, 'atomics' | 'blind' | 'verify' | 'sandboxAnalysis'> = {}): JitProgram {
    if (context.length !== CONTEXT_SIZE) throw new JitArgumentError(`load: the context block must be ${CONTEXT_SIZE} bytes, got ${context.length}`);
    const address = bufferAddress(context);
    if (address !== image.contextAddress) throw new JitArgumentError(`load: the image was compiled for the context block at 0x${image.contextAddress.toString(16)}, not 0x${address.toString(16)}`);
    const ids = [...(options.helpers?.keys() ?? []), ...(options.nativeHelpers?.keys() ?? []), ...(options.tailCalls === true ? [TAIL_CALL_HELPER_ID] : [])].sort((a, b) => a - b);
    if ((options.regions?.length ?? 0) > SANDBOX_REGIONS - 2) throw new JitArgumentError(`load: more than ${SANDBOX_REGIONS - 2} regions for the sandbox`);
    if (ids.join(',') !== image.helperIds.join(',')) throw new JitArgumentError(`load: the image calls helpers [${image.helperIds.join(', ')}], the options give [${ids.join(', ')}]`);
    context.fill(0);
    return JitProgram.#install({ image }, options, context);
  }

  /** Puts an image's code into executable memory with its context block and code range. */
  static #install(prepared: PreparedImage, options: JitOptions, context: Buffer): JitProgram {
    const { compiled, program: slots, atomics, contextAddress, maps } = prepared.image;
    const name = options.name ?? 'bpf program';
    for (const id of options.helpers?.keys() ?? []) context.writeBigUInt64LE(helperStubAddress(id), CTX_HELPERS + 8 * id);
    for (const [id, address] of options.nativeHelpers ?? []) context.writeBigUInt64LE(address, CTX_HELPERS + 8 * id);
    // the maps the helper argument checks accept
    maps.forEach((m, i) => context.writeBigUInt64LE(m, CTX_MAPS + 8 * i));
    const region = CodeRegion.fromCode(compiled.code);
    const resources: Resources = { region, context, contextAddress, range: undefined, released: false };
    try {
      const start = region.address;
      const c = compiled.containment;
      resources.range = registerCodeRange({
        name,
        kind: 'bpf-program',
        start,
        size: compiled.code.length,
        origins: compiled.origins,
        ...(c ? { containment: { landing: start + BigInt(c.landing), exclude: c.exclude.map(([lo, hi]) => [start + BigInt(lo), start + BigInt(hi)] as const) } } : {}),
      });
      const prog = new JitProgram(compiled, slots, atomics, resources, options, name);
      if (prepared.verified) prog.#verified = prepared.verified;
      if (prepared.sandboxAnalysis) prog.#sandboxAnalysis = prepared.sandboxAnalysis;
      setHelperSink(contextAddress, prog.#sink());
      return prog;
    } catch (e) {
      release(resources);
      throw e;
    }
  }

  /** Address of the compiled entry function. */
  get address(): bigint {
    return this.#resources.region.address;
  }

  /** Where a bpf_tail_call enters this program (programs compiled with tailCalls), else undefined. */
  get tailCallEntry(): bigint | undefined {
    const off = this.compiled.tailCallEntry;
    return off === undefined ? undefined : this.#resources.region.address + BigInt(off);
  }

  /**
   * What the sandbox's analysis decided (JitOptions.sandboxAnalysis): facts.leftToRunTime and
   * loopsLeftToBudget are what the run-time checks and the budget are there for. Undefined
   * without the sandbox, with a full proof, or with `sandboxAnalysis: false`.
   */
  get sandboxAnalysis(): VerifyResult | undefined {
    return this.#sandboxAnalysis;
  }

  /** What the verifier proved (undefined when compiled with `verify: false`). */
  get verified(): VerifyResult | undefined {
    return this.#verified?.result;
  }

  /** Machine code bytes. */
  get code(): Uint8Array {
    return this.compiled.code;
  }

  /** Where the code lies and which BPF pc each instruction came from (undefined once freed). */
  get codeRange(): RegisteredCodeRange | undefined {
    return this.#resources.range?.live ? this.#resources.range : undefined;
  }

  /** The objects kept alive for the code (data images). */
  get retained(): readonly object[] {
    return this.#retain;
  }

  /**
   * Run with `mem` as the context: R1 = the address of its bytes, R2 = their length in bytes
   * (null gives 0 and 0). Any typed array or DataView is taken as its bytes; the program reads
   * and writes them in place.
   */
  run(mem: ArrayBufferView | null = null, options: RunOptions = {}): bigint {
    const bytes = contextBytes(mem, 'run(mem)');
    return this.call(bytes, BigInt(bytes?.byteLength ?? 0), options);
  }

  /** Run with explicit R1 (bytes, an address as a bigint, or null) and R2 (a bigint). */
  call(r1: ArrayBufferView | bigint | null, r2: bigint, options: RunOptions = {}): bigint {
    if (this.#freed) throw new JitRuntimeError(`the program '${this.name}' was freed`);
    const bytes = typeof r1 === 'bigint' ? undefined : contextBytes(r1, 'call(r1, r2)');
    if (typeof r1 === 'bigint' && (r1 < 0n || r1 >= 1n << 64n)) throw new JitArgumentError(`call(r1, r2): r1 = ${r1} is not an unsigned 64-bit address`);
    if (typeof r2 !== 'bigint') throw new JitArgumentError(`call(r1, r2): r2 must be a bigint, got ${describe(r2)}`);
    if (r2 < 0n || r2 >= 1n << 64n) throw new JitArgumentError(`call(r1, r2): r2 = ${r2} is not an unsigned 64-bit value`);
    if (this.#verified) checkVerifiedMemory(this.#verified, bytes ?? (typeof r1 === 'bigint' ? r1 : null), r2);
    if (!ARM64) requireArm64Host();
    const sandbox = this.compiled.sandbox;
    // helper argument checks need the region table too (the stack entry is set by the code)
    const table = sandbox || this.compiled.helperArgChecks === true;
    // Under the sandbox the program must see exactly the address the region table names.
    const arg1: Uint8Array | bigint | null = bytes ? (table ? bufferAddress(bytes) : bytes) : typeof r1 === 'bigint' ? r1 : null;
    const context = this.#resources.context;
    const depth = this.#runs.length;
    const outer = depth > 0 ? Buffer.from(context.subarray(0, CTX_PER_CALL_BYTES)) : undefined;
    const outerTable = depth > 0 && table ? Buffer.from(context.subarray(CTX_REGIONS, CTX_HELPERS)) : undefined;
    // The regions are needed before the run under the sandbox, else only to explain a fault.
    // (the packet's two entries come first: the refresh after a packet-moving helper rewrites
    // table entries REGION_ENTRY_PACKET and REGION_ENTRY_META)
    const packet = options.packet;
    const regionsOf = (): Region[] => [
      ...(packet ? [packet.data, packet.meta] : []),
      ...(bytes ? [{ kind: 'mem', name: 'mem', base: bufferAddress(bytes), size: bytes.byteLength, writable: true } as const] : []),
      ...this.#regions,
      ...(options.regions ?? []),
    ];
    const regions = table ? regionsOf() : undefined;
    if (regions && regions.length > SANDBOX_REGIONS - 1) throw new JitArgumentError(`call: more than ${SANDBOX_REGIONS - 1} regions for the sandbox`);
    context.fill(0, 0, CTX_PER_CALL_BYTES);
    if (regions) regions.unshift(this.#writeRegionTable(depth, regions));
    if (regions && packet) context.writeBigUInt64LE(packet.context, CTX_PACKET_CONTEXT);
    if (options.context !== undefined) context.writeBigUInt64LE(options.context, CTX_ARG_CONTEXT);
    const run: RunState = {};
    this.#runs.push(run);
    let r0: bigint;
    let words: ExitWords;
    try {
      r0 = this.#entry.call(arg1, r2) as bigint;
    } finally {
      // the packet's regions as the run left them (a helper may have moved them)
      if (regions && packet) regions.splice(REGION_ENTRY_PACKET, 2, this.#tableEntry(REGION_ENTRY_PACKET, packet.data), this.#tableEntry(REGION_ENTRY_META, packet.meta));
      // without the sandbox the stack entry is the frame the last checked helper call had
      if (regions && !sandbox) regions[0] = { ...this.#tableEntry(0, regions[0]!), name: 'stack frame' };
      words = {
        request: Number(context.readBigUInt64LE(CTX_EXIT_REQUEST)),
        value: context.readBigUInt64LE(CTX_EXIT_VALUE),
        detail: context.readBigUInt64LE(CTX_EXIT_DETAIL),
        detail2: context.readBigUInt64LE(CTX_EXIT_DETAIL2),
      };
      this.#runs.pop();
      if (outer) context.set(outer, 0);
      if (outerTable) context.set(outerTable, CTX_REGIONS);
      if (this.#runs.length === 0 && this.#freed) release(this.#resources);
    }
    if (words.request === EXIT_REQUEST_NONE || words.request === EXIT_REQUEST_HELPER) return BigInt.asUintN(64, r0);
    if (words.request === EXIT_REQUEST_HELPER_ERROR) {
      const why = run.error instanceof Error ? run.error.message : String(run.error);
      throw new JitRuntimeError(`pc ${run.errorPc ?? -1}: helper ${run.errorId} threw: ${why}`, run.errorPc, { cause: run.error });
    }
    const range = this.#resources.range!;
    // (an empty metadata region is no region to name in a message)
    const explained = { program: this.program, compiled: this.compiled, range, regions: (regions ?? regionsOf()).filter((r) => r.size > 0) };
    throw exitError(words, explained) ?? new JitRuntimeError(`unknown exit request ${words.request}`);
  }

  /**
   * Sandbox region table: entry 0 the live stack frames (the entry's frame, in the shadow
   * stack of this nesting depth), then the run's regions. Returns the stack's region.
   */
  #writeRegionTable(depth: number, regions: readonly Region[]): Region {
    const context = this.#resources.context;
    let stack: Region = { kind: 'stack', name: 'stack', base: 0n, size: 0, writable: true };
    // without the sandbox (helper argument checks only) the code sets the stack entry: the
    // native frame of the function that calls the helper
    if (this.compiled.sandbox) {
      const shadow = (this.#shadows[depth] ??= Buffer.alloc(MAX_CALL_FRAMES * STACK_FRAME_SIZE));
      const base = bufferAddress(shadow);
      const top = base + BigInt(shadow.length);
      context.writeBigUInt64LE(base, CTX_SHADOW_LIMIT);
      stack = { ...stack, base: top - BigInt(STACK_FRAME_SIZE), size: STACK_FRAME_SIZE };
    }
    const entries = [stack, ...regions];
    entries.forEach((r, i) => {
      const at = CTX_REGIONS + i * REGION_ENTRY_SIZE;
      context.writeBigUInt64LE(r.base, at);
      context.writeBigUInt64LE(BigInt(r.size), at + 8);
      const strided = r.stride !== undefined;
      if (strided && !(r.stride! > 0 && r.stride! < 2 ** 32 && r.elementSize! > 0 && r.elementSize! <= r.stride!)) throw new JitArgumentError(`region '${r.name}': stride ${r.stride} and element size ${r.elementSize} must be 0 < element size <= stride < 2^32`);
      context.writeBigUInt64LE(BigInt(REGION_LIVE | (r.writable ? REGION_WRITABLE : 0) | (strided ? REGION_STRIDED : 0)), at + 16);
      context.writeBigUInt64LE(strided ? BigInt(r.elementSize!) | (BigInt(r.stride!) << 32n) : 0n, at + 24);
    });
    context.fill(0, CTX_REGIONS + entries.length * REGION_ENTRY_SIZE, CTX_REGIONS + (entries.length + 1) * REGION_ENTRY_SIZE);
    // both caches start at the stack entry: writable and longer than REGION_CACHE_MIN
    const first = this.#resources.contextAddress + BigInt(CTX_REGIONS);
    context.writeBigUInt64LE(first, CTX_REGION_CACHE_READ);
    context.writeBigUInt64LE(first, CTX_REGION_CACHE_WRITE);
    return stack;
  }

  /** A region of the table as the code left it (base and size; the rest from `like`). */
  #tableEntry(index: number, like: Region): Region {
    const at = CTX_REGIONS + index * REGION_ENTRY_SIZE;
    const context = this.#resources.context;
    return { ...like, base: context.readBigUInt64LE(at), size: Number(context.readBigUInt64LE(at + 8)) };
  }

  /**
   * The helper dispatcher's way into this program (src/runtime/helper-dispatch.ts). It must
   * not keep the JitProgram alive (the FinalizationRegistry would never run), so it closes
   * over the pieces it needs only. Every outcome becomes a return value: exceptions must not
   * unwind through JIT frames; env.exit(v) and a throwing helper store an exit request that
   * the JIT code checks right after the call.
   */
  #sink(): (id: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, ret: bigint) => bigint {
    const helpers = this.#helpers;
    const runs = this.#runs;
    const resources = this.#resources;
    const context = resources.context;
    return (id, r1, r2, r3, r4, r5, ret) => {
      const pc = resources.range?.bpfPcAt(ret - 4n) ?? -1;
      const fn = helpers.get(id);
      const env: HelperEnv = {
        get memory(): never {
          throw new JitRuntimeError(`helper ${id}: JIT-compiled programs use native memory; this helper needs the interpreter's Memory`, pc);
        },
        pc,
        exit(value: bigint): never {
          throw new HelperExit(value);
        },
      };
      try {
        if (!fn) throw new JitRuntimeError(`no helper ${id}`, pc);
        return BigInt.asUintN(64, fn(r1, r2, r3, r4, r5, env));
      } catch (e) {
        if (e instanceof HelperExit) {
          context.writeBigUInt64LE(BigInt(EXIT_REQUEST_HELPER), CTX_EXIT_REQUEST);
          context.writeBigUInt64LE(BigInt.asUintN(64, e.value), CTX_EXIT_VALUE);
          return 0n;
        }
        const run = runs[runs.length - 1];
        if (run) Object.assign(run, { error: e, errorPc: pc, errorId: id });
        context.writeBigUInt64LE(BigInt(EXIT_REQUEST_HELPER_ERROR), CTX_EXIT_REQUEST);
        return 0n;
      }
    };
  }

  /** Each BPF instruction with the AArch64 code it became (objdump-style). */
  listing(): ListingLine[] {
    return listing(this.program, this.compiled, this.#resources.region.address);
  }

  formatListing(): string {
    return formatListing(this.listing());
  }

  /**
   * Release the code, context block and code range. Called while the program runs (by one
   * of its helpers), it takes effect when the outermost run returns; the program cannot be
   * called again either way.
   */
  free(): void {
    if (this.#freed) throw new JitRuntimeError(`the program '${this.name}' was already freed`);
    this.#freed = true;
    dropped.unregister(this);
    if (this.#runs.length === 0) release(this.#resources);
  }
}

/**
 * A verified plain-buffer program was proven safe for a memory of at least (or, with
 * `memSize`, exactly) the size the verifier worked out; anything else could let it read or
 * write past the buffer, so it is refused before any code runs.
 */
function checkVerifiedMemory(v: { readonly result: VerifyResult; readonly options: Omit<VerifyOptions, 'natives'> }, r1: Uint8Array | bigint | null, r2: bigint): void {
  const typed = v.options.programType !== undefined && v.options.programType.name !== 'plain';
  if (typed) return;
  const need = v.result.memSize;
  const exact = v.options.memSize;
  if (typeof r1 === 'bigint' && (need > 0 || exact !== undefined)) {
    throw new JitRuntimeError('a verified program gets its memory as a buffer, not an address (compile with verify: false for raw addresses)');
  }
  const length = r1 instanceof Uint8Array ? r1.length : 0;
  if (exact !== undefined && (length !== exact || r2 !== BigInt(exact))) {
    throw new JitRuntimeError(`the program was verified for exactly ${exact} bytes of memory; got ${length}${r2 !== BigInt(length) ? ` (R2 = ${r2})` : ''}`);
  }
  if (length < need) throw new JitRuntimeError(`the program reads or writes ${need} bytes of its memory (as verified); got ${length}`);
  if (v.result.memAtomics && r1 instanceof Uint8Array && bufferAddress(r1) % 8n !== 0n) {
    throw new JitRuntimeError('the program does atomic operations on its memory, which must then be 8-byte aligned');
  }
}

function randomSeed(): number {
  return (Math.random() * 2 ** 32) >>> 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v === 'string' ? `the string '${v.length > 20 ? `${v.slice(0, 20)}...` : v}'` : `${typeof v} ${String(v)}`;
}

/**
 * The bytes of a run's context: any ArrayBufferView, as its bytes (a Float64Array of 2
 * elements is 16 bytes); null/undefined for none. Numbers and strings are refused: koffi would
 * take a number as an address and a string as a C string.
 */
function contextBytes(mem: unknown, what: string): Uint8Array | null {
  if (mem === null || mem === undefined) return null;
  if (mem instanceof Uint8Array) return mem;
  if (ArrayBuffer.isView(mem)) return new Uint8Array(mem.buffer, mem.byteOffset, mem.byteLength);
  throw new JitArgumentError(`${what}: the context must be a Uint8Array, Buffer, another typed array or a DataView (or null), got ${describe(mem)}`);
}

export { JitCompileError, JitRuntimeError };
