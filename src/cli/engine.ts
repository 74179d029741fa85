import { CONFORMANCE_HELPER_PROTOS, conformanceHelpers, interpret, objectMaps, verifyProgram, type BpfExecutor } from '../bpf/index.js';
import { linkForInterpreter } from '../bpf/object-linker.js';
import { JitCompileError, JitProgram, JitRuntimeError, type JitOptions } from '../jit/index.js';
import { ObjectProgram } from '../jit/object-program.js';
import { NativeLibrary, NativeLibraryError } from '../runtime/native-library.js';
import { single, type ParsedArgs } from './args.js';
import { CliInputError, CliUsageError } from './command.js';
import { inputError, type LoadedProgram } from './inputs.js';

/** The JIT switches shared by run, conformance and conformance-plugin. */
export interface JitFlags {
  readonly atomics: 'auto' | 'llsc';
  readonly blind: boolean;
  /** the optimization tier (on unless -O0) */
  readonly optimize: boolean;
}

export const JIT_FLAGS = ['--llsc', '--blind', '-O0'] as const;
export const JIT_FLAGS_USAGE = `  --llsc     (JIT) atomics as load/store-exclusive loops even when the CPU has LSE
  --blind    (JIT) constant blinding: no program immediate appears in the machine code
  -O0        (JIT) no optimization tier: each BPF instruction compiled on its own (1:1)`;

export function jitFlags(parsed: ParsedArgs): JitFlags {
  const flags = { atomics: parsed.flags.has('--llsc') ? 'llsc' : 'auto', blind: parsed.flags.has('--blind'), optimize: !parsed.flags.has('-O0') } as const;
  if (parsed.flags.has('--interp') && (flags.atomics === 'llsc' || flags.blind || !flags.optimize)) {
    throw new CliUsageError('--llsc, --blind and -O0 apply to the JIT, not to --interp');
  }
  return flags;
}

const jitOptions = (flags: JitFlags): Pick<JitOptions, 'atomics' | 'blind' | 'optimize'> => ({ atomics: flags.atomics, blind: flags.blind, optimize: flags.optimize });

/**
 * Compile, run once, free: the JIT as a conformance executor (the runner has verified the
 * program when asked to; with --no-verify the suite is trusted test code). No budget and no
 * helper argument checks: the suite's programs end and call the suite's own helpers, and
 * either would compile them 1:1 instead of testing the optimizer.
 */
export function jitExecutor(flags: JitFlags): BpfExecutor {
  return (program, mem, helpers) => {
    const jit = JitProgram.compile(program, { helpers, verify: false, budget: false, helperArgChecks: false, ...jitOptions(flags) });
    try {
      return jit.run(mem);
    } finally {
      jit.free();
    }
  };
}

export interface RunOptions {
  readonly interp: boolean;
  readonly flags: JitFlags;
  /** the context buffer (R1 = address, R2 = length); null: R1 = R2 = 0 */
  readonly mem: Uint8Array | null;
  /** shared libraries for an object's externs (JIT only) */
  readonly libs: readonly string[];
  /** prove the program safe first (default); false: --no-verify, for trusted code */
  readonly verify: boolean;
}

/** What `run` adds for unverified code (issue 10): the sandbox and the budget. */
export interface SafetyFlags {
  /** the sandbox's analysis, then every memory access checked (JIT); the interpreter checks every access anyway; implies --no-verify */
  readonly sandbox: boolean;
  /** JIT: back-edges and calls per run; interpreter: instructions */
  readonly budget: number | undefined;
}

export const SAFETY_FLAGS = ['--sandbox'] as const;
export const SAFETY_VALUES = ['--budget'] as const;
export const SAFETY_USAGE = `  --sandbox            (unverified code; with or without --no-verify it means the same: no
                       full proof) first the sandbox's analysis ('a64jit verify --sandbox'):
                       what no run-time check sees (uninitialized registers and stack, pointer
                       leaks, helper arguments, context offsets, accesses certainly out of
                       bounds) is refused before the program runs, the rest is left to run
                       time: every load and store is checked against the regions the program
                       may touch (its stack, context, packet, memory, map values, global data)
                       and helpers' memory arguments; a miss stops it with pc, address, size
                       and the nearest region. The interpreter checks every access anyway
  --budget N           stop after N back-edges and calls (JIT) or N instructions (--interp);
                       default 1000000 for unverified code (--no-verify, --sandbox), none for
                       verified programs under the JIT`;

export function safetyFlags(parsed: ParsedArgs): SafetyFlags {
  const text = single(parsed, '--budget');
  let budget: number | undefined;
  if (text !== undefined) {
    budget = Number(text);
    if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(budget) || budget < 1) throw new CliUsageError(`--budget must be a positive integer, got '${text}'`);
  }
  return { sandbox: parsed.flags.has('--sandbox'), budget };
}

export const VERIFY_FLAG_USAGE = `  --no-verify  skip the verifier, for trusted code (by default a program must be proven safe,
               for the memory given, before it runs)`;

/**
 * Run a loaded program once on the chosen engine and return R0. The conformance helper
 * (id 5) is always available. Errors become CliInputError naming the file and the pc.
 */
export function runProgram(loaded: LoadedProgram, options: RunOptions): bigint {
  if (options.interp && options.libs.length > 0) throw new CliUsageError('--lib needs the JIT: the interpreter cannot call native code');
  const { helpers, protos } = runHelpers();
  const verify = options.verify && { memSize: options.mem?.length ?? 0, helpers: protos };
  const libraries: NativeLibrary[] = [];
  try {
    if (options.interp) {
      if (loaded.kind === 'insns') {
        if (verify) verifyProgram(loaded.insns, verify);
        return interpret(loaded.insns, { mem: options.mem, helpers }).value;
      }
      const link = linkForInterpreter(loaded.obj, loaded.program);
      if (verify) verifyProgram(loaded.program.insns, { ...verify, ...objectMaps(loaded.obj) });
      return interpret(loaded.program.insns, { mem: options.mem, helpers, memory: link.memory, natives: link.natives, resolvePseudo: link.resolvePseudo }).value;
    }
    if (loaded.kind === 'insns') {
      const jit = JitProgram.compile(loaded.insns, { helpers, verify, ...jitOptions(options.flags) });
      try {
        return jit.run(options.mem);
      } finally {
        jit.free();
      }
    }
    for (const lib of options.libs) libraries.push(NativeLibrary.open(lib));
    const prog = ObjectProgram.load(loaded.obj, loaded.program, { helpers, libraries, verify, ...jitOptions(options.flags) });
    try {
      return prog.run(options.mem);
    } finally {
      prog.free();
    }
  } catch (e) {
    throw engineError(e, loaded.file);
  } finally {
    for (const lib of libraries) lib.close();
  }
}

/**
 * The helpers `run` binds, with the prototypes the verifier checks calls against (`verify`
 * uses the same, so both agree on what a program may call).
 */
export function runHelpers(): { readonly helpers: ReturnType<typeof conformanceHelpers>; readonly protos: typeof CONFORMANCE_HELPER_PROTOS } {
  return { helpers: conformanceHelpers(), protos: CONFORMANCE_HELPER_PROTOS };
}

/** inputError, plus the JIT's and the library loader's errors. */
export function engineError(e: unknown, file: string): unknown {
  if (e instanceof JitCompileError) return new CliInputError(`${file}: ${e.message}`);
  if (e instanceof JitRuntimeError) return new CliInputError(`${file}: run-time error: ${e.message}`);
  if (e instanceof NativeLibraryError) return new CliInputError(e.message);
  return inputError(e, file);
}
