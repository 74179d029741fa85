import {
  addImm,
  addReg,
  andImm,
  andReg,
  asrImm,
  asrv,
  eorImm,
  eorReg,
  isAddSubImmediate,
  isLogicalImmediate,
  lslImm,
  lslv,
  lsrImm,
  lsrv,
  mov,
  msub,
  mul,
  neg,
  orrImm,
  orrReg,
  rev,
  rev16,
  sdiv,
  subImm,
  subReg,
  sxtb,
  sxth,
  sxtw,
  udiv,
  uxth,
  withWidth,
  WZR,
  XZR,
  type GpReg,
} from '../arm64/index.js';
import { BpfAluOp, type BpfInsn, type InsnKind } from '../bpf/index.js';
import { JitCompileError } from './errors.js';
import { imm32, imm64, type Emit } from './emit-context.js';
import { TMP1, TMP2, a64 } from './registers.js';

type AluKind = Extract<InsnKind, { kind: 'alu' }>;

/** The BPF register at an ALU width: W registers for ALU32, whose writes zero bits 63:32. */
const reg = (bpf: number, width: 32 | 64): GpReg => withWidth(a64(bpf), width);

/**
 * `rd = rn + value` with the cheapest form: ADD/SUB #imm12 (optionally LSL #12) when the value
 * or its negation fits, else the constant in a temporary.
 */
export function emitAddConstant(e: Emit, rd: GpReg, rn: GpReg, value: bigint): void {
  const width = rd.width;
  const v = BigInt.asIntN(width, value);
  if (v >= 0n && v <= 0xffffffn && isAddSubImmediate(Number(v))) {
    e.a.emit(addImm(rd, rn, ...splitImm12(Number(v))));
  } else if (v < 0n && -v <= 0xffffffn && isAddSubImmediate(Number(-v))) {
    e.a.emit(subImm(rd, rn, ...splitImm12(Number(-v))));
  } else {
    const t = withWidth(TMP1, width);
    e.a.materialize(t, v, width);
    e.a.emit(addReg(rd, rn, t));
  }
}

function splitImm12(v: number): [number, 0 | 12] {
  return v < 4096 ? [v, 0] : [v >>> 12, 12];
}

/** ALU and ALU64 operations (RFC 9669 section 4.1). */
export function emitAlu(e: Emit, insn: BpfInsn, k: AluKind): void {
  const w = k.width;
  const dst = reg(insn.dst, w);
  const value = w === 64 ? imm64(insn.imm) : imm32(insn.imm);
  const a = e.a;

  /** The second operand as a register: src, or the immediate materialised into `tmp`. */
  const operand = (tmp = TMP1): GpReg => {
    if (k.source === 'reg') return reg(insn.src, w);
    const t = withWidth(tmp, w);
    a.materialize(t, value, w);
    return t;
  };

  switch (k.op) {
    case BpfAluOp.MOV:
      if (k.movsx !== 0) {
        // MOVSX (cpu v4): sign-extend the low 8/16/32 bits of src; ALU32 results are then
        // zero-extended by the W write.
        const src = reg(insn.src, 32);
        if (k.movsx === 8) a.emit(sxtb(dst, src));
        else if (k.movsx === 16) a.emit(sxth(dst, src));
        else a.emit(w === 64 ? sxtw(a64(insn.dst), src) : mov(dst, src));
      } else if (k.source === 'reg') {
        if (insn.dst !== insn.src || w === 32) a.emit(mov(dst, reg(insn.src, w)));
      } else {
        a.materialize(dst, value, w);
      }
      return;
    case BpfAluOp.ADD:
      if (k.source === 'reg') a.emit(addReg(dst, dst, reg(insn.src, w)));
      else emitAddConstant(e, dst, dst, value);
      return;
    case BpfAluOp.SUB:
      if (k.source === 'reg') a.emit(subReg(dst, dst, reg(insn.src, w)));
      else emitAddConstant(e, dst, dst, -BigInt.asIntN(w, value));
      return;
    case BpfAluOp.MUL:
      a.emit(mul(dst, dst, operand()));
      return;
    case BpfAluOp.DIV:
      // AArch64 UDIV/SDIV by zero yield 0 (ARM ARM C6.2.388), which is BPF's rule (RFC 9669
      // 4.1); SDIV of INT_MIN by -1 wraps to INT_MIN, also BPF's rule.
      a.emit((k.signed ? sdiv : udiv)(dst, dst, operand()));
      return;
    case BpfAluOp.MOD: {
      // dst - (dst / src) * src: with src = 0 the quotient is 0 and dst stays (RFC 9669 4.1);
      // the remainder takes the dividend's sign, as BPF's truncating SMOD requires.
      const src = operand();
      const q = withWidth(TMP2, w);
      a.emit((k.signed ? sdiv : udiv)(q, dst, src));
      a.emit(msub(dst, q, src, dst));
      return;
    }
    case BpfAluOp.OR:
    case BpfAluOp.AND:
    case BpfAluOp.XOR: {
      const [regForm, immForm] =
        k.op === BpfAluOp.OR ? [orrReg, orrImm] : k.op === BpfAluOp.AND ? [andReg, andImm] : [eorReg, eorImm];
      const u = BigInt.asUintN(w, value);
      if (k.source === 'imm' && isLogicalImmediate(u, w)) a.emit(immForm(dst, dst, u));
      else if (k.source === 'imm' && k.op === BpfAluOp.AND && u === 0n) a.emit(mov(dst, w === 64 ? XZR : WZR));
      else a.emit(regForm(dst, dst, operand()));
      return;
    }
    case BpfAluOp.LSH:
    case BpfAluOp.RSH:
    case BpfAluOp.ARSH:
      if (k.source === 'reg') {
        // LSLV & co. take the amount modulo the width, exactly BPF's mask (RFC 9669 4.1).
        const f = k.op === BpfAluOp.LSH ? lslv : k.op === BpfAluOp.RSH ? lsrv : asrv;
        a.emit(f(dst, dst, reg(insn.src, w)));
      } else {
        const f = k.op === BpfAluOp.LSH ? lslImm : k.op === BpfAluOp.RSH ? lsrImm : asrImm;
        a.emit(f(dst, dst, insn.imm & (w - 1)));
      }
      return;
    default:
      throw new JitCompileError(`unsupported ALU operation 0x${k.op.toString(16)}`, e.pc);
  }
}

/** NEG (RFC 9669 4.1): dst = -dst. */
export function emitNeg(e: Emit, insn: BpfInsn, width: 32 | 64): void {
  const dst = reg(insn.dst, width);
  e.a.emit(neg(dst, dst));
}

/**
 * Byte swaps (RFC 9669 4.2). The host is little-endian: TO_LE only truncates to the size, TO_BE
 * and the unconditional BSWAP reverse the bytes (REV16/REV), truncating like the spec.
 */
export function emitEnd(e: Emit, insn: BpfInsn, bits: 16 | 32 | 64, order: 'le' | 'be' | 'swap'): void {
  const x = a64(insn.dst);
  const w = withWidth(x, 32);
  const a = e.a;
  if (order === 'le') {
    if (bits === 16) a.emit(uxth(w, w));
    else if (bits === 32) a.emit(mov(w, w));
    return;
  }
  if (bits === 16) {
    a.emit(rev16(w, w));
    a.emit(uxth(w, w));
  } else if (bits === 32) {
    a.emit(rev(w, w));
  } else {
    a.emit(rev(x, x));
  }
}
