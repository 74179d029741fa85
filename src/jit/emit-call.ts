import { Cond, X17, X16, X8, addImm, blr, cmpImm, cmpReg, ldr, mem, memIndex, mov, movz, str, type Label, type XReg } from '../arm64/index.js';
import { CTX_EXIT_DETAIL, CTX_EXIT_REQUEST, CTX_EXIT_VALUE, CTX_HELPERS, EXIT_REQUEST_BAD_CALL, HELPER_TABLE_SIZE } from './context-layout.js';
import type { Emit } from './emit-context.js';
import { JitCompileError } from './errors.js';
import { CALL_TARGET, CTX, RESULT } from './registers.js';

/**
 * After a helper returns: a helper may ask the whole program to stop (the conformance suite's
 * helper 5 does, like uBPF's unwind helper). It says so in the context block; then the entry
 * function's epilogue runs straight away, restoring every callee-saved register it saved.
 * The far form (`cbz; b`) reaches the entry function from anywhere in a large program.
 */
function emitExitCheck(e: Emit): void {
  const a = e.a;
  const go = a.newLabel();
  a.emit(ldr(X17, mem(CTX, CTX_EXIT_REQUEST)));
  a.cbz(X17, go);
  a.b(e.exitAll);
  a.bind(go);
}

/**
 * `call <id>`: BLR through the helper table; R1-R5 already sit in x0-x4 (AAPCS64 6.8.2).
 * The result is moved to `result` (R0's x8 in the 1:1 path; null leaves it in x0).
 */
export function emitHelperCall(e: Emit, id: number, registered: boolean, result: XReg | null = X8): void {
  if (!Number.isInteger(id) || id < 0 || id >= HELPER_TABLE_SIZE) throw new JitCompileError(`helper id ${id} is outside 0..${HELPER_TABLE_SIZE - 1}`, e.pc);
  if (!registered) throw new JitCompileError(`helper ${id} is not registered`, e.pc);
  const a = e.a;
  a.emit(ldr(CALL_TARGET, mem(CTX, CTX_HELPERS + 8 * id)));
  a.emit(blr(CALL_TARGET));
  if (result !== null && result !== RESULT) a.emit(mov(result, RESULT));
  emitExitCheck(e);
}

/** `call native <id>`: a C function by address; args 6-8 in x5-x7 and 9+ at [sp] already. */
export function emitNativeCall(e: Emit, address: bigint, result: XReg | null = X8): void {
  e.a.materialize(CALL_TARGET, address);
  e.a.emit(blr(CALL_TARGET));
  if (result !== null && result !== RESULT) e.a.emit(mov(result, RESULT));
}

/** `call local`: BL to the subprogram, which keeps R0 in x8 (no move on return). */
export function emitLocalCall(e: Emit, target: Label): void {
  e.a.bl(target);
}

/**
 * `callx rN`: as in uBPF and the interpreter, the register holds a helper id (below the
 * helper table size) or the address of a function (from `lddw rX, func`). Anything else, and
 * ids nobody registered, stop the program with a "bad call" exit request instead of jumping
 * into the unknown.
 */
export function emitCallx(e: Emit, r: XReg, functionEntries: readonly Label[], result: XReg | null = X8): void {
  const a = e.a;
  const notHelper = a.newLabel();
  const bad = a.newLabel();
  const done = a.newLabel();
  a.emit(cmpImm(r, HELPER_TABLE_SIZE));
  a.bCond(Cond.HS, notHelper);
  a.emit(addImm(X16, CTX, CTX_HELPERS));
  a.emit(ldr(X16, memIndex(X16, r, 'lsl', true)));
  a.cbz(X16, bad);
  a.emit(blr(X16));
  if (result !== null && result !== RESULT) a.emit(mov(result, RESULT));
  a.b(done);
  a.bind(notHelper);
  for (const entry of functionEntries) {
    const next = a.newLabel();
    a.adr(X16, entry);
    a.emit(cmpReg(r, X16));
    a.bCond(Cond.NE, next);
    a.emit(blr(X16));
    a.b(done);
    a.bind(next);
  }
  a.bind(bad);
  a.emit(movz(X17, EXIT_REQUEST_BAD_CALL));
  a.emit(str(X17, mem(CTX, CTX_EXIT_REQUEST)));
  a.emit(str(r, mem(CTX, CTX_EXIT_VALUE)));
  // a native pc inside this instruction's code: the error names the callx's BPF pc
  a.adr(X16, bad);
  a.emit(str(X16, mem(CTX, CTX_EXIT_DETAIL)));
  a.b(e.exitAll);
  a.bind(done);
  emitExitCheck(e);
}
