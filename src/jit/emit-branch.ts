import { Cond, cmnImm, cmpImm, cmpReg, isAddSubImmediate, isLogicalImmediate, tstImm, tstReg, withWidth } from '../arm64/index.js';
import { BpfJmpOp, type BpfInsn } from '../bpf/index.js';
import { imm32, imm64, type Emit } from './emit-context.js';
import { JitCompileError } from './errors.js';
import { TMP1, a64 } from './registers.js';

/** BPF condition -> AArch64 condition after CMP dst, src (ARM ARM C1.2.4). */
const CONDITIONS: Readonly<Record<number, Cond>> = {
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
};

/**
 * Conditional jumps, JMP (64-bit) and JMP32 (RFC 9669 4.3). Comparisons with an immediate use
 * CMP/CMN #imm12 or TST #bitmask when it encodes, and `== 0` / `!= 0` become CBZ/CBNZ.
 */
export function emitJcond(e: Emit, insn: BpfInsn, pc: number, width: 32 | 64, op: number, source: 'imm' | 'reg'): void {
  const cond = CONDITIONS[op];
  if (cond === undefined) throw new JitCompileError(`unknown jump operation 0x${op.toString(16)}`, pc);
  const target = pc + 1 + insn.off;
  const dst = withWidth(a64(insn.dst), width);
  const a = e.a;
  if (source === 'reg') {
    const src = withWidth(a64(insn.src), width);
    a.emit(op === BpfJmpOp.JSET ? tstReg(dst, src) : cmpReg(dst, src));
    e.branchTo(cond, target);
    return;
  }
  const value = BigInt.asUintN(width, width === 64 ? imm64(insn.imm) : imm32(insn.imm));
  const signed = BigInt.asIntN(width, value);
  if (op === BpfJmpOp.JSET) {
    if (value === 0n) return; // nothing is ever set: never taken
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
  if (signed >= 0n && signed <= 0xffffffn && isAddSubImmediate(Number(signed))) {
    a.emit(signed < 4096n ? cmpImm(dst, Number(signed)) : cmpImm(dst, Number(signed) >>> 12, 12));
  } else if (signed < 0n && -signed <= 0xffffffn && isAddSubImmediate(Number(-signed))) {
    const n = Number(-signed);
    a.emit(n < 4096 ? cmnImm(dst, n) : cmnImm(dst, n >>> 12, 12));
  } else {
    const t = withWidth(TMP1, width);
    a.materialize(t, value, width);
    a.emit(cmpReg(dst, t));
  }
  e.branchTo(cond, target);
}
