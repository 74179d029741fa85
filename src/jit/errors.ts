/** The JIT cannot compile a program: raised at compile time, never at run time. */
export class JitCompileError extends Error {
  override readonly name = 'JitCompileError';
  constructor(
    readonly reason: string,
    /** slot index of the offending BPF instruction (-1: the program as a whole) */
    readonly pc: number,
  ) {
    super(pc >= 0 ? `pc ${pc}: ${reason}` : reason);
  }
}

/** A JIT-compiled program stopped abnormally (e.g. callx to a helper id nobody registered). */
export class JitRuntimeError extends Error {
  override readonly name = 'JitRuntimeError';
}
