/**
 * The capture probe: an AArch64 function, generated with the project's assembler for one
 * signature, that records exactly what it received and returns a chosen result.
 *
 * On entry it stores x0-x8, v0-v7 (all 128 bits, so nothing a caller put in a high lane is lost)
 * and the incoming stack area into a capture buffer; for each argument the model says is passed by
 * reference (B.4) it also copies the pointee (the caller's copy only lives during the call). Then
 * it loads x0, x1 and q0-q3 from a result image prepared in the same buffer, copies the result
 * bytes to [x8] when the result is indirect (6.9), and returns. It only uses x9-x10 and x15-x17,
 * which are caller-saved (AAPCS64 6.1.1), and never writes below the SP.
 *
 * Buffer layout (offsets in bytes):
 *   0     x0..x8 as received              80   q0..q7 as received
 *   208   the stack from the SP at entry  ...  pointee copies, then the result image:
 *   R     x0, x1 to return                R+16 q0..q3 to return     R+80 indirect result bytes
 */
import {
  Assembler,
  SP,
  X0, X1, X10, X15, X16, X17, X8, X9,
  addImm,
  addReg,
  ldp,
  ldr,
  ldrb,
  ldrh,
  mem,
  postIndex,
  qreg,
  ret,
  stp,
  str,
  strb,
  strh,
  wreg,
  xreg,
  type XReg,
} from '../arm64/index.js';
import type { Classification, Location } from './classify.js';
import { emptyState, X_REGS, V_REGS, type MachineState } from './machine-state.js';
import { roundUp } from './types.js';

export const CAPTURE_X = 0;
export const CAPTURE_V = 80;
export const CAPTURE_STACK = 208;
/** stack bytes captured beyond the model's argument area, so misplaced arguments can still be found */
export const STACK_SLACK = 64;

export interface CaptureLayout {
  readonly stackBytes: number;
  /** argument index -> offset of the copy of its pointee */
  readonly refCopies: ReadonlyMap<number, number>;
  readonly resultImage: number;
  readonly size: number;
}

export function captureLayout(cls: Classification): CaptureLayout {
  const stackBytes = cls.stackArea + STACK_SLACK;
  let at = CAPTURE_STACK + stackBytes;
  const refCopies = new Map<number, number>();
  for (const a of cls.args) {
    if (!a.byReference) continue;
    refCopies.set(a.index, at);
    at = roundUp(at + a.size, 16);
  }
  const resultImage = at;
  at += 80 + roundUp(cls.result?.size ?? 0, 16);
  return { stackBytes, refCopies, resultImage, size: at };
}

/** rd = rn + value for any non-negative value (rd must not be rn when value needs a scratch). */
function addConst(a: Assembler, rd: XReg, rn: XReg, value: number): void {
  if (value < 4096) a.emit(addImm(rd, rn, value));
  else {
    a.materialize(X10, value);
    a.emit(addReg(rd, rn, X10));
  }
}

/** Copy `size` bytes from [src] to [dst] with 8/4/2/1-byte accesses through x9 (src, dst unchanged). */
export function emitCopy(a: Assembler, dst: XReg, src: XReg, size: number): void {
  let o = 0;
  for (; o + 8 <= size; o += 8) {
    a.emit(ldr(X9, mem(src, o)));
    a.emit(str(X9, mem(dst, o)));
  }
  if (o + 4 <= size) {
    a.emit(ldr(wreg(9), mem(src, o)));
    a.emit(str(wreg(9), mem(dst, o)));
    o += 4;
  }
  if (o + 2 <= size) {
    a.emit(ldrh(wreg(9), mem(src, o)));
    a.emit(strh(wreg(9), mem(dst, o)));
    o += 2;
  }
  if (o < size) {
    a.emit(ldrb(wreg(9), mem(src, o)));
    a.emit(strb(wreg(9), mem(dst, o)));
  }
}

/** The probe's machine code for a buffer at `buffer` (laid out by captureLayout). */
export function buildCaptureProbe(
  cls: Classification,
  buffer: bigint,
  layout: CaptureLayout = captureLayout(cls),
  /** false: do not follow the pointers of by-reference arguments (a safe first look) */
  copyReferences = true,
): Uint8Array {
  const a = new Assembler();
  a.materialize(X16, buffer);
  for (let r = 0; r < 8; r += 2) a.emit(stp(xreg(r), xreg(r + 1), mem(X16, CAPTURE_X + r * 8)));
  a.emit(str(X8, mem(X16, CAPTURE_X + 64)));
  for (let r = 0; r < 8; r += 2) a.emit(stp(qreg(r), qreg(r + 1), mem(X16, CAPTURE_V + r * 16)));
  // The incoming stack area: 16 bytes per step with post-incremented pointers.
  a.emit(addImm(X17, SP, 0));
  a.emit(addImm(X15, X16, CAPTURE_STACK));
  for (let o = 0; o < layout.stackBytes; o += 16) {
    a.emit(ldp(X9, X10, postIndex(X17, 16)));
    a.emit(stp(X9, X10, postIndex(X15, 16)));
  }
  // Pointees of by-reference arguments, from wherever the model says the pointer is.
  for (const arg of cls.args) {
    if (!arg.byReference || !copyReferences) continue;
    const at: Location = arg.pieces[0]!.at;
    let src: XReg;
    if (at.kind === 'x') src = xreg(at.reg);
    else if (at.kind === 'stack') {
      a.emit(ldr(X17, mem(SP, at.offset)));
      src = X17;
    } else throw new Error(`argument ${arg.index}: a pointer cannot be in ${at.kind}${at.reg}`);
    addConst(a, X15, X16, layout.refCopies.get(arg.index)!);
    emitCopy(a, X15, src, arg.size);
  }
  // The result.
  addConst(a, X15, X16, layout.resultImage);
  if (cls.result?.indirect) {
    a.emit(addImm(X17, X15, 80));
    emitCopy(a, X8, X17, cls.result.size);
  }
  a.emit(ldp(X0, X1, mem(X15, 0)));
  a.emit(ldp(qreg(0), qreg(1), mem(X15, 16)));
  a.emit(ldp(qreg(2), qreg(3), mem(X15, 48)));
  a.emit(ret());
  return a.finish();
}

/** Write the result the probe returns into its buffer: register images and indirect bytes. */
export function writeResultImage(buffer: Uint8Array, layout: CaptureLayout, result: MachineState, indirectBytes?: Uint8Array): void {
  buffer.set(result.x.subarray(0, 16), layout.resultImage);
  buffer.set(result.v.subarray(0, 64), layout.resultImage + 16);
  if (indirectBytes) buffer.set(indirectBytes, layout.resultImage + 80);
}

/** What the probe captured, as a machine state. */
export function readCapture(buffer: Uint8Array, layout: CaptureLayout): MachineState {
  const s = emptyState(layout.stackBytes);
  s.x.set(buffer.subarray(CAPTURE_X, CAPTURE_X + X_REGS * 8));
  s.v.set(buffer.subarray(CAPTURE_V, CAPTURE_V + V_REGS * 16));
  s.stack.set(buffer.subarray(CAPTURE_STACK, CAPTURE_STACK + layout.stackBytes));
  return s;
}

/** The copy the probe made of a by-reference argument's pointee. */
export function readRefCopy(buffer: Uint8Array, layout: CaptureLayout, index: number, size: number): Uint8Array {
  const at = layout.refCopies.get(index);
  if (at === undefined) throw new Error(`argument ${index} was not passed by reference`);
  return buffer.slice(at, at + size);
}
