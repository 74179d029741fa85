/**
 * The caller stub: the converse of the capture probe. For one signature it loads x0-x8 and
 * q0-q7 from register images and copies a stack image below its frame (all prepared by
 * `placeArguments` from the model), calls a target, and stores what came back in x0, x1 and
 * q0-q3. The stub itself is called as `void stub(void)`.
 *
 * Buffer layout (offsets in bytes):
 *   0     x0..x8 to pass        80    q0..q7 to pass
 *   208   x0, x1 returned       224   q0..q3 returned
 *   288   stack image (stackArea bytes)  then caller memory: copies of by-reference arguments and
 *         the indirect result block, whose addresses are already in the images.
 *
 * Frame: x29/x30 and x19 (callee-saved, AAPCS64 6.1.1, it holds the buffer address across the
 * call) are saved; the outgoing area is reserved below, so the SP is 16-byte aligned at the call
 * (AAPCS64 6.4.5.1) and the target sees its stack arguments at [sp].
 */
import {
  Assembler,
  SP,
  X0, X1, X10, X11, X12, X16, X19, X29, X30, X8, X9,
  addImm,
  blr,
  ldp,
  ldr,
  mem,
  postIndex,
  preIndex,
  qreg,
  ret,
  stp,
  str,
  subImm,
  xreg,
} from '../arm64/index.js';
import type { Classification } from './classify.js';
import { emptyState, placeArguments, X_REGS, V_REGS, type MachineState } from './machine-state.js';
import { roundUp } from './types.js';

export const STUB_IN_X = 0;
export const STUB_IN_V = 80;
export const STUB_OUT_X = 208;
export const STUB_OUT_V = 224;
export const STUB_STACK = 288;
/** immediate reach of SUB SP: the outgoing area must stay below it */
export const MAX_STACK_AREA = 4080;

export interface StubLayout {
  readonly stackArea: number;
  readonly refCopies: ReadonlyMap<number, number>;
  /** offset of the indirect result block (x8), if any */
  readonly resultMemory: number | undefined;
  readonly size: number;
}

export class CallerStubError extends Error {
  override readonly name = 'CallerStubError';
}

export function stubLayout(cls: Classification): StubLayout {
  if (cls.stackArea > MAX_STACK_AREA) throw new CallerStubError(`${cls.signature.id}: ${cls.stackArea} bytes of stack arguments (at most ${MAX_STACK_AREA})`);
  let at = roundUp(STUB_STACK + cls.stackArea, 16);
  const refCopies = new Map<number, number>();
  for (const a of cls.args) {
    if (!a.byReference) continue;
    refCopies.set(a.index, at);
    at = roundUp(at + a.size, 16);
  }
  let resultMemory: number | undefined;
  if (cls.result?.indirect) {
    resultMemory = at;
    at = roundUp(at + cls.result.size, 16);
  }
  return { stackArea: cls.stackArea, refCopies, resultMemory, size: at };
}

/** The stub's machine code: buffer and target addresses are built in. */
export function buildCallerStub(layout: StubLayout, buffer: bigint, target: bigint): Uint8Array {
  const a = new Assembler();
  a.emit(stp(X29, X30, preIndex(SP, -32)));
  a.emit(addImm(X29, SP, 0));
  a.emit(str(X19, mem(SP, 16)));
  a.materialize(X19, buffer);
  if (layout.stackArea > 0) {
    a.emit(subImm(SP, SP, layout.stackArea));
    a.emit(addImm(X9, X19, STUB_STACK));
    a.emit(addImm(X10, SP, 0));
    for (let o = 0; o < layout.stackArea; o += 16) {
      a.emit(ldp(X11, X12, postIndex(X9, 16)));
      a.emit(stp(X11, X12, postIndex(X10, 16)));
    }
  }
  for (let r = 0; r < 8; r += 2) a.emit(ldp(qreg(r), qreg(r + 1), mem(X19, STUB_IN_V + r * 16)));
  a.materialize(X16, target);
  for (let r = 0; r < 8; r += 2) a.emit(ldp(xreg(r), xreg(r + 1), mem(X19, STUB_IN_X + r * 8)));
  a.emit(ldr(X8, mem(X19, STUB_IN_X + 64)));
  a.emit(blr(X16));
  a.emit(stp(X0, X1, mem(X19, STUB_OUT_X)));
  a.emit(stp(qreg(0), qreg(1), mem(X19, STUB_OUT_V)));
  a.emit(stp(qreg(2), qreg(3), mem(X19, STUB_OUT_V + 32)));
  a.emit(addImm(SP, X29, 0));
  a.emit(ldr(X19, mem(SP, 16)));
  a.emit(ldp(X29, X30, postIndex(SP, 32)));
  a.emit(ret());
  return a.finish();
}

/**
 * Fill a stub buffer for one call: the arguments placed per the model (by-reference arguments
 * get their copy in the buffer's caller memory), and returns the state that was placed.
 */
export function prepareStubBuffer(cls: Classification, layout: StubLayout, buffer: Uint8Array, bufferAddress: bigint, values: readonly Uint8Array[]): MachineState {
  buffer.fill(0xbb);
  const pointers = new Map<number, bigint>();
  for (const [index, offset] of layout.refCopies) {
    buffer.set(values[index]!, offset);
    pointers.set(index, bufferAddress + BigInt(offset));
  }
  const resultAddress = layout.resultMemory === undefined ? undefined : bufferAddress + BigInt(layout.resultMemory);
  const state = placeArguments(cls, values, pointers, resultAddress);
  buffer.set(state.x, STUB_IN_X);
  buffer.set(state.v, STUB_IN_V);
  buffer.set(state.stack, STUB_STACK);
  return state;
}

/** What the target returned: x0, x1, q0-q3 (as a state), and the indirect result block. */
export function readStubResult(buffer: Uint8Array, layout: StubLayout, resultSize: number): { state: MachineState; memory: Uint8Array | undefined } {
  const state = emptyState(0);
  state.x.set(buffer.subarray(STUB_OUT_X, STUB_OUT_X + 16));
  state.v.set(buffer.subarray(STUB_OUT_V, STUB_OUT_V + 64));
  const memory = layout.resultMemory === undefined ? undefined : buffer.slice(layout.resultMemory, layout.resultMemory + resultSize);
  return { state, memory };
}

export { X_REGS, V_REGS };
