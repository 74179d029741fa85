import { BpfRuntimeError, describeNearest, type Region } from '../bpf/index.js';

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
  override readonly name: string = 'JitRuntimeError';
  constructor(
    message: string,
    /** slot index of the instruction where the program stopped, when known */
    readonly pc?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** run()/call() were given something that is not a valid context or argument. */
export class JitArgumentError extends TypeError {
  override readonly name = 'JitArgumentError';
}

/** How the faulting instruction used memory. */
export type FaultAccess = 'read' | 'write' | 'read-write' | 'execute' | 'unknown';

/**
 * A fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE) in JIT code, contained by the addon's handler
 * (native/fault.cc): the program was unwound to its entry frame and the process goes on.
 */
export class BpfFaultError extends BpfRuntimeError {
  override readonly name: string = 'BpfFaultError';
  constructor(
    /** BPF slot of the faulting instruction (for a prologue or epilogue: its function's first slot) */
    pc: number,
    readonly signal: string,
    /** si_code */
    readonly code: number,
    address: bigint,
    readonly access: FaultAccess,
    /** access size in bytes, when the instruction is a load/store */
    readonly size: number | undefined,
    /** native pc of the faulting instruction */
    readonly nativePc: bigint,
    /** where in the program, in words ("in the prologue of the function at slot 3") */
    where: string,
    regions: readonly Region[],
  ) {
    const hex = `0x${address.toString(16)}`;
    const what = access === 'unknown' ? '' : access === 'execute' ? ' on instruction fetch' : ` on a ${access}${size === undefined ? '' : ` of ${size} bytes`}`;
    const near = regions.length > 0 ? ` (${describeNearest(regions, address, size)})` : '';
    super(`${signal}${what} at address ${hex}${near} ${where}; the fault was contained`, pc, address);
  }
}
