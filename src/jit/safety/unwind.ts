import { X17, X29, X8, ldr, mem, mov, movz, stp, str, type Assembler, type Label } from '../../arm64/index.js';
import { CTX_EXIT_DETAIL, CTX_EXIT_REQUEST, CTX_EXIT_VALUE, EXIT_REQUEST_BUDGET, EXIT_REQUEST_FAULT } from '../context-layout.js';
import { CTX, ENTRY_FP, SCRATCH1, SCRATCH2, SCRATCH3 } from '../registers.js';

/**
 * The paths that leave a program from any depth at once, all through the entry function's
 * epilogue with x29 = the entry frame (x28), which restores every callee-saved register the
 * entry saved and returns to the caller:
 * - exitAll: the exit request is already in the context block (helper exit, bad callx,
 *   helper error, budget, sandbox); R0 = the exit value;
 * - landing: where native/fault.cc resumes a contained fault, with x13 = address, x14 = the
 *   signal word, x15 = pc; it records them as EXIT_REQUEST_FAULT and unwinds.
 * Returns the landing's code offset.
 */
export function emitUnwindPaths(a: Assembler, exitAll: Label, entryEpilogue: Label): number {
  a.bind(exitAll);
  a.emit(mov(X29, ENTRY_FP));
  a.emit(ldr(X8, mem(CTX, CTX_EXIT_VALUE)));
  a.b(entryEpilogue);
  return emitFaultLanding(a, exitAll);
}

/**
 * The landing alone (the optimization tier has its own exitAll): records the fault the
 * handler left in x13-x15 as EXIT_REQUEST_FAULT and unwinds through `exitAll`. Returns its
 * code offset.
 */
export function emitFaultLanding(a: Assembler, exitAll: Label): number {
  const landing = a.offset;
  a.emit(movz(X17, EXIT_REQUEST_FAULT));
  a.emit(str(X17, mem(CTX, CTX_EXIT_REQUEST)));
  a.emit(str(SCRATCH1, mem(CTX, CTX_EXIT_VALUE)));
  a.emit(stp(SCRATCH3, SCRATCH2, mem(CTX, CTX_EXIT_DETAIL)));
  a.b(exitAll);
  return landing;
}

/** The budget's exit (x15 = native pc of the tick). */
export function emitBudgetExit(a: Assembler, budgetExit: Label, exitAll: Label): void {
  a.bind(budgetExit);
  a.emit(movz(X17, EXIT_REQUEST_BUDGET));
  a.emit(str(X17, mem(CTX, CTX_EXIT_REQUEST)));
  a.emit(str(SCRATCH3, mem(CTX, CTX_EXIT_DETAIL)));
  a.b(exitAll);
}
