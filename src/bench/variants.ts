import { interpret, prepareProgram, sectionProgramType, type BpfInsn, type BpfObject, type BpfProgram, type ProgramType } from '../bpf/index.js';
import { linkForInterpreter } from '../bpf/object-linker.js';
import { JitProgram, type JitOptions } from '../jit/index.js';
import { ObjectProgram } from '../jit/object-program.js';
import { BpfObjectFile, type ObjectProgram as ApiProgram } from '../object/index.js';
import { NativeLibrary, bufferAddress, contextBuilder, type CodeRange } from '../runtime/index.js';
import { RunLoop, type LoopTarget } from './run-loop.js';

/**
 * The things a benchmark compares, each able to time n runs of one program on one input:
 * JIT code and native C functions in the native run loop, the reference interpreter in a
 * JavaScript loop. Each variant has buffers of its own (the input, restored before every run),
 * so variants never see each other's writes. An ELF object with maps, or whose program has a
 * type (from its section or the caller), goes through the object API (src/object): its maps,
 * helpers and context; others through the JIT's linker (global data, externs from libraries).
 */

/** A BPF program as loaded (the shape of the CLI's loaded programs). */
export type BenchProgram =
  | { readonly kind: 'insns'; readonly insns: readonly BpfInsn[]; readonly file: string }
  | { readonly kind: 'object'; readonly obj: BpfObject; readonly program: BpfProgram; readonly file: string };

export type VariantKind = 'jit' | 'jit-O0' | 'interp' | 'native' | 'program';

export interface Sample {
  /** wall-clock nanoseconds of the whole batch */
  readonly ns: number;
  /** R0 of the batch's last run */
  readonly r0: bigint;
}

export interface CompileFigures {
  readonly bpfInsns: number;
  readonly codeBytes: number;
  /** median of several compiles, validation, loading into executable memory included */
  readonly compileMs: number;
  /** the verifier's time, once there is one (null until then) */
  readonly verifyMs: number | null;
  /** the optimization tier compiled it (false: -O0, or the tier fell back to 1:1 code) */
  readonly optimized: boolean;
  /** optimization was asked for but the tier does not handle this program: why (else null) */
  readonly unoptimized: string | null;
}

export interface Variant {
  readonly label: string;
  readonly kind: VariantKind;
  /** n runs, the input restored before each */
  batch(n: number): Sample;
  /** the code whose executed instructions are counted per run (none for the interpreter) */
  readonly range?: CodeRange;
  /** the same loop calling an empty function: what the loop itself costs per run */
  readonly overhead?: RunLoop;
  readonly compile?: CompileFigures;
  free(): void;
}

/** The JIT switches a benchmark passes on. */
export type BenchJitOptions = Pick<JitOptions, 'atomics' | 'blind' | 'optimize'>;

/** The input a program runs on: a plain buffer, or a program type's context and packet. */
export interface BenchInput {
  readonly data: Uint8Array;
  readonly type?: ProgramType;
  /** the expected attach type (attach-specific context fields) */
  readonly attach?: string;
}

interface Prepared {
  readonly target: Omit<LoopTarget, 'address'>;
  /** the buffers the target reads, kept alive with the loop */
  readonly keep: readonly unknown[];
}

/** Native buffers for one variant: the work copies the loop restores from pristine ones. */
function prepareInput(input: BenchInput): Prepared {
  if (input.type === undefined) {
    const size = input.data.length;
    const work = Buffer.alloc(Math.max(1, size));
    const pristine = Buffer.alloc(Math.max(1, size));
    pristine.set(input.data);
    work.set(input.data);
    const r1 = size === 0 ? 0n : bufferAddress(work);
    return { target: { r1, r2: BigInt(size), restores: [{ dst: bufferAddress(work), src: bufferAddress(pristine), size }] }, keep: [work, pristine] };
  }
  const builder = contextBuilder(input.type);
  const run = { dataIn: input.data, ...(input.attach !== undefined ? { attach: input.attach } : {}) };
  const plan = builder.plan(run);
  const ctx = Buffer.alloc(Math.max(1, plan.ctxSize));
  const packet = Buffer.alloc(Math.max(1, plan.packetSize));
  const built = builder.build(run, { ctx, ctxAddress: bufferAddress(ctx), packet, packetAddress: bufferAddress(packet) });
  const ctxPristine = Buffer.from(ctx);
  const packetPristine = Buffer.from(packet);
  return {
    target: {
      r1: built.r1,
      r2: built.r2,
      restores: [
        { dst: bufferAddress(ctx), src: bufferAddress(ctxPristine), size: plan.ctxSize },
        { dst: bufferAddress(packet), src: bufferAddress(packetPristine), size: plan.packetSize },
      ],
    },
    keep: [ctx, packet, ctxPristine, packetPristine],
  };
}

function loopVariant(label: string, kind: VariantKind, address: bigint, range: CodeRange, input: BenchInput, extra: { keep?: readonly unknown[]; compile?: CompileFigures; free?: () => void } = {}): Variant {
  const prepared = prepareInput(input);
  const keep = [...prepared.keep, ...(extra.keep ?? [])];
  const loop = RunLoop.create({ ...prepared.target, address }, keep);
  const overhead = RunLoop.overhead({ ...prepared.target, address }, keep);
  return {
    label,
    kind,
    range,
    overhead,
    ...(extra.compile ? { compile: extra.compile } : {}),
    batch: (n) => {
      const r = loop.run(n);
      return { ns: r.ns, r0: r.r0 };
    },
    free: () => {
      loop.free();
      overhead.free();
      extra.free?.();
    },
  };
}

/** The program's instructions for a type (context accesses rewritten), or as they are. */
function typedInsns(insns: readonly BpfInsn[], type: ProgramType | undefined): readonly BpfInsn[] {
  return type === undefined ? insns : prepareProgram(insns, { type }).insns;
}

interface Loaded {
  readonly jit: JitProgram;
  free(): void;
}

/**
 * The object-API program for an object that needs one (maps, a program type), else undefined.
 * The JIT options belong to the object: each set of options needs an object of its own.
 */
export function apiProgram(program: BenchProgram, type: ProgramType | undefined, options: BenchJitOptions = {}): ApiProgram | undefined {
  if (program.kind !== 'object') return undefined;
  const typed = type !== undefined || sectionProgramType(program.program.section).kind !== 'none';
  if (!typed && program.obj.maps.length === 0) return undefined;
  const object = new BpfObjectFile(program.obj, { name: program.file, ...(type ? { type: type.name } : {}), jit: options });
  const p = object.programs.get(program.program.name);
  if (!p) throw new RangeError(`${program.file}: no program '${program.program.name}'`);
  return p;
}

/** The input of an object-API program: its type's context (plain: the buffer alone). */
export function apiInput(p: ApiProgram, data: Uint8Array): BenchInput {
  return p.type.name === 'plain' ? { data } : { data, type: p.type, ...(p.attach !== undefined ? { attach: p.attach } : {}) };
}

function load(program: BenchProgram | ApiProgram, type: ProgramType | undefined, options: BenchJitOptions): Loaded {
  if (!('kind' in program)) {
    // The object API compiles with its object's options (apiProgram), native helpers and maps.
    const jit = program.jit();
    return { jit, free: () => program.free() };
  }
  if (program.kind === 'insns') {
    // the bench times code and compiles (5 times); proving programs safe is measured by
    // npm run bench:verifier, and repeating it here would dominate the figures under qemu; no
    // budget either (the corpus is trusted, and a budget compiles 1:1: bench:sandbox measures it)
    const jit = JitProgram.compile(typedInsns(program.insns, type), { ...options, verify: false, budget: false });
    return { jit, free: () => jit.free() };
  }
  const prog = ObjectProgram.load(program.obj, program.program, { ...options, verify: false, budget: false });
  return { jit: prog.jit, free: () => prog.free() };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * JIT-compiled program in the native loop, with its compile figures (median of `compiles`).
 * An object-API program (apiProgram) runs with its object's maps and helpers.
 */
export function jitVariant(label: string, kind: VariantKind, program: BenchProgram | ApiProgram, input: BenchInput, options: BenchJitOptions = {}, compiles = 5): Variant {
  const times: number[] = [];
  for (let i = 0; i < compiles; i++) {
    const t0 = performance.now();
    const l = load(program, input.type, options);
    times.push(performance.now() - t0);
    l.free();
  }
  const loaded = load(program, input.type, options);
  try {
    const c = loaded.jit.compiled;
    const compile: CompileFigures = {
      bpfInsns: loaded.jit.program.length,
      codeBytes: loaded.jit.code.length,
      compileMs: medianOf(times),
      verifyMs: null,
      optimized: c.optimizer !== undefined,
      unoptimized: c.unoptimized ?? null,
    };
    const range = { start: loaded.jit.address, size: loaded.jit.code.length, name: label };
    return loopVariant(label, kind, loaded.jit.address, range, input, { keep: [loaded], compile, free: () => loaded.free() });
  } catch (e) {
    loaded.free();
    throw e;
  }
}

/** A native function `uint64_t f(void *, uint64_t)` of a shared library, in the same loop. */
export function nativeVariant(label: string, library: string, symbol: string, input: BenchInput): Variant {
  const lib = NativeLibrary.open(library);
  try {
    const range = lib.symbolRange(symbol);
    return loopVariant(label, 'native', range.start, { ...range, name: label }, input, { keep: [lib], free: () => lib.close() });
  } catch (e) {
    lib.close();
    throw e;
  }
}

/** The reference interpreter, n runs in a JavaScript loop (it copies the input every run). */
export function interpVariant(label: string, program: BenchProgram | ApiProgram, input: BenchInput): Variant {
  if (!('kind' in program)) {
    // BPF_PROG_TEST_RUN-style runs of the object API: the same maps, helpers and context.
    return {
      label,
      kind: 'interp',
      batch: (n) => {
        const r = program.testRun({ dataIn: input.data, engine: 'interpreter', repeat: n });
        return { ns: r.durationNs * n, r0: r.retval };
      },
      free: () => {},
    };
  }
  if (input.type !== undefined) throw new RangeError(`${program.file}: a typed program given as instructions runs on the JIT only (give the ELF object for the interpreter)`);
  const insns = program.kind === 'insns' ? program.insns : program.program.insns;
  const link = program.kind === 'object' ? linkForInterpreter(program.obj, program.program) : undefined;
  const options = {
    mem: input.data.length === 0 ? null : input.data,
    maxInstructions: 2 ** 31,
    validate: false,
    ...(link ? { memory: link.memory, natives: link.natives, resolvePseudo: link.resolvePseudo } : {}),
  };
  interpret(insns, { ...options, validate: true }); // validated once, then timed without
  return {
    label,
    kind: 'interp',
    batch: (n) => {
      let r0 = 0n;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) r0 = interpret(insns, options).value;
      return { ns: Number(process.hrtime.bigint() - t0), r0 };
    },
    free: () => {},
  };
}
