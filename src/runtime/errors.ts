/** An operation on executable memory failed (the addon's error, typed for callers). */
export class CodeMemoryError extends Error {
  override readonly name = 'CodeMemoryError';
  constructor(
    message: string,
    /** ERR_A64JIT_SYSCALL | ERR_A64JIT_RANGE | ERR_A64JIT_FREED | ERR_A64JIT_SEALED | ERR_A64JIT_ARGUMENT */
    readonly code: string,
    readonly errno?: number,
  ) {
    super(message);
  }
}

/** The native addon could not be loaded for this platform. */
export class AddonLoadError extends Error {
  override readonly name = 'AddonLoadError';
}

/** A C prototype or an argument list that the call layer cannot use. */
export class NativeCallError extends Error {
  override readonly name = 'NativeCallError';
}
