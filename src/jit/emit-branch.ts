import { Cond, cmnImm, cmpImm, cmpReg, isAddSubImmediate, isLogicalImmediate, tstImm, tstReg, withWidth, type GpReg } from '../arm64/index.js';
import { BpfJmpOp, type BpfInsn } from '../bpf/index.js';
import { imm32, imm64, type Emit } from './emit-context.js';
import { JitCompileError } from './errors.js';
import { TMP1, a64 } from './registers.js';

/**
 * "if (dst & src) == 0": the inverse of JSET, which BPF lacks; the optimizer uses it when it
 * inverts a branch (0xf0 is no BPF jump operation).
 */
export const JNSET = 0xf0;

/** BPF condition -> AArch64 condition after CMP dst, src (ARM ARM C1.2.4). */
export const CONDITIONS: Readonly<Record<number, Cond>> = {
  [BpfJmpOp.JEQ]: Cond.EQ,
  [BpfJmpOp.JNE]: Cond.NE,
  [BpfJmpOp.JGT]: Cond.HI,
  [BpfJmpOp.JGE]: Cond.HS,
  [BpfJmpOp.JLT]: Cond.LO,
  [BpfJmpOp.JLE]: Cond.LS,
  [BpfJmpOp.JSGT]: Cond.GT,
  [BpfJmpOp.JSGE]: Cond.GE,
  [BpfJmpOp.JSLT]: Cond.LT,
  [BpfJmpOp.JSLE]: Cond.LE,
  [BpfJmpOp.JSET]: Cond.NE,
  [JNSET]: Cond.EQ,
};

const isTest = (op: number): boolean => op === BpfJmpOp.JSET || op === JNSET;

/** The bit number when v has exactly one bit set, else -1. */
function singleBit(v: bigint): number {
  if (v === 0n || (v & (v - 1n)) !== 0n) return -1;
  return v.toString(2).length - 1;
}

/**
 * Conditional jumps, JMP (64-bit) and JMP32 (RFC 9669 4.3), of the 1:1 path: the BPF
 * registers and immediate of `insn`, branching to slot `pc + 1 + off`.
 */
export function emitJcond(e: Emit, insn: BpfInsn, pc: number, width: 32 | 64, op: number, source: 'imm' | 'reg'): void {
  const rhs = source === 'reg' ? a64(insn.src) : BigInt.asUintN(width, width === 64 ? imm64(insn.imm) : imm32(insn.imm));
  emitCondBranch(e, op, width, a64(insn.dst), rhs, pc + 1 + insn.off);
}

/**
 * `if lhs <op> rhs goto target` at `width` bits, where rhs is a register or a constant (the
 * unsigned value at that width). Comparisons with a constant use CMP/CMN #imm12 or TST
 * #bitmask when it encodes, and `== 0` / `!= 0` become CBZ/CBNZ. `target` is whatever the
 * Emit context's branch methods take (a slot in the 1:1 path, a block in the optimizer's).
 */
export function emitCondBranch(e: Emit, op: number, width: 32 | 64, lhs: GpReg, rhs: GpReg | bigint, target: number): void {
  const cond = CONDITIONS[op];
  if (cond === undefined) throw new JitCompileError(`unknown jump operation 0x${op.toString(16)}`, e.pc);
  const dst = withWidth(lhs, width);
  const a = e.a;
  if (typeof rhs !== 'bigint') {
    const src = withWidth(rhs, width);
    a.emit(isTest(op) ? tstReg(dst, src) : cmpReg(dst, src));
    e.branchTo(cond, target);
    return;
  }
  const value = BigInt.asUintN(width, rhs);
  if (e.testBitBranchTo !== undefined) {
    // one bit tested, or the sign bit: TBZ/TBNZ (reach +-32 KiB, which the context checks)
    const bit = isTest(op) ? singleBit(value) : value === 0n && (op === BpfJmpOp.JSLT || op === BpfJmpOp.JSGE) ? width - 1 : -1;
    if (bit >= 0) {
      e.testBitBranchTo(op === BpfJmpOp.JSET || op === BpfJmpOp.JSLT, dst, bit, target);
      return;
    }
  }
  if (isTest(op)) {
    if (value === 0n) {
      // nothing is ever set: JSET is never taken, its inverse always
      if (op === JNSET) e.jumpTo(target);
      return;
    }
    if (isLogicalImmediate(value, width)) a.emit(tstImm(dst, value));
    else {
      const t = withWidth(TMP1, width);
      a.materialize(t, value, width);
      a.emit(tstReg(dst, t));
    }
    e.branchTo(cond, target);
    return;
  }
  if (value === 0n && (op === BpfJmpOp.JEQ || op === BpfJmpOp.JNE)) {
    e.compareBranchTo(op === BpfJmpOp.JNE, dst, target);
    return;
  }
  emitCompareConstant(e, dst, value);
  e.branchTo(cond, target);
}

/** CMP dst, #value with the cheapest form: CMP/CMN #imm12 (LSL #12), else through TMP1. */
export function emitCompareConstant(e: Emit, dst: GpReg, value: bigint): void {
  const width = dst.width;
  const signed = BigInt.asIntN(width, value);
  const a = e.a;
  if (signed >= 0n && signed <= 0xffffffn && isAddSubImmediate(Number(signed))) {
    a.emit(signed < 4096n ? cmpImm(dst, Number(signed)) : cmpImm(dst, Number(signed) >>> 12, 12));
  } else if (signed < 0n && -signed <= 0xffffffn && isAddSubImmediate(Number(-signed))) {
    const n = Number(-signed);
    a.emit(n < 4096 ? cmnImm(dst, n) : cmnImm(dst, n >>> 12, 12));
  } else {
    const t = withWidth(TMP1, width);
    a.materialize(t, BigInt.asUintN(width, value), width);
    a.emit(cmpReg(dst, t));
  }
}
