import { alu as evalAlu, byteOrder } from '../interpreter.js';
import { BpfAluOp } from '../opcodes.js';
import type { Interval } from './bounds.js';
import { BOUNDS_UNKNOWN, max, min, widthLimits, wrapInterval } from './bounds.js';
import type { Scalar } from './scalar.js';
import { UNKNOWN_SCALAR, constScalar, constValue, isConst, scalarOf, scalarSext, scalarTruncate, unsignedRange } from './scalar.js';
import type { Tnum } from './tnum.js';
import {
  TNUM_UNKNOWN,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumCast,
  tnumConst,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumXor,
} from './tnum.js';

/**
 * Transfer functions of the ALU instructions on scalars (RFC 9669 section 4.1 semantics:
 * wrap-around arithmetic, shift counts masked to the width, x/0 = 0, x%0 = x, 32-bit results
 * zero-extended). Each operation is computed in both domains, the known bits and the ranges,
 * and makeScalar reconciles them. Two constants give the exact result, by the interpreter's
 * own arithmetic, so the verifier and the interpreter cannot disagree on a value they both know.
 */

/** One width's view of a value: its bits and its unsigned and signed range at that width. */
interface View {
  readonly t: Tnum;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
}

interface Result {
  readonly t: Tnum;
  readonly u: Interval;
  readonly s: Interval;
}

const view = (s: Scalar, width: 32 | 64): View =>
  width === 64 ? s : { t: tnumSubreg(s.t), umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max };

const trunc = (t: Tnum, width: 32 | 64): Tnum => (width === 64 ? t : tnumCast(t, 4));

/** Operations whose 64-bit result has the 32-bit result of the low halves as its low half (LSH: see scalarAlu). */
const LOW_HALF_ONLY = new Set<number>([BpfAluOp.ADD, BpfAluOp.SUB, BpfAluOp.MUL, BpfAluOp.AND, BpfAluOp.OR, BpfAluOp.XOR]);

function viewOp(op: number, a: View, b: View, width: 32 | 64, signed: boolean): Result {
  const lim = widthLimits(width);
  const bits = BigInt(width);
  const wrapU = (lo: bigint, hi: bigint): Interval => wrapInterval(lo, hi, width, false);
  const wrapS = (lo: bigint, hi: bigint): Interval => wrapInterval(lo, hi, width, true);
  const bConst = tnumIsConst(b.t);
  switch (op) {
    case BpfAluOp.ADD:
      return { t: trunc(tnumAdd(a.t, b.t), width), u: wrapU(a.umin + b.umin, a.umax + b.umax), s: wrapS(a.smin + b.smin, a.smax + b.smax) };
    case BpfAluOp.SUB:
      return { t: trunc(tnumSub(a.t, b.t), width), u: wrapU(a.umin - b.umax, a.umax - b.umin), s: wrapS(a.smin - b.smax, a.smax - b.smin) };
    case BpfAluOp.MUL: {
      const c = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
      const smin = c.reduce(min);
      const smax = c.reduce(max);
      return { t: trunc(tnumMul(a.t, b.t), width), u: wrapU(a.umin * b.umin, a.umax * b.umax), s: wrapS(smin, smax) };
    }
    case BpfAluOp.AND: {
      const t = tnumAnd(a.t, b.t);
      const nonNeg = a.smin >= 0n || b.smin >= 0n;
      const posMax = a.smin >= 0n && b.smin >= 0n ? min(a.smax, b.smax) : a.smin >= 0n ? a.smax : b.smax;
      return { t, u: [t.value, min(a.umax, b.umax)], s: nonNeg ? [0n, posMax] : undefined };
    }
    case BpfAluOp.OR: {
      const t = tnumOr(a.t, b.t);
      const hi = t.value | t.mask;
      return { t, u: [max(a.umin, b.umin), hi], s: a.smin >= 0n && b.smin >= 0n ? [max(a.smin, b.smin), min(hi, lim.smax)] : undefined };
    }
    case BpfAluOp.XOR: {
      const t = tnumXor(a.t, b.t);
      const hi = t.value | t.mask;
      return { t, u: [t.value, hi], s: a.smin >= 0n && b.smin >= 0n ? [min(t.value, lim.smax), min(hi, lim.smax)] : undefined };
    }
    case BpfAluOp.LSH: {
      if (!bConst) return { t: TNUM_UNKNOWN, u: undefined, s: undefined };
      const k = b.t.value & (bits - 1n);
      return { t: trunc(tnumLshift(a.t, Number(k)), width), u: wrapU(a.umin << k, a.umax << k), s: wrapS(a.smin << k, a.smax << k) };
    }
    case BpfAluOp.RSH: {
      if (bConst) {
        const k = b.t.value & (bits - 1n);
        const u: Interval = [a.umin >> k, a.umax >> k];
        return { t: tnumRshift(a.t, Number(k)), u, s: k === 0n ? [a.smin, a.smax] : u };
      }
      // a shift count that is known to be below the width is not masked
      if (b.umax < bits) return { t: TNUM_UNKNOWN, u: [a.umin >> b.umax, a.umax >> b.umin], s: undefined };
      return { t: TNUM_UNKNOWN, u: [0n, a.umax], s: undefined };
    }
    case BpfAluOp.ARSH: {
      // an arithmetic shift keeps the sign and never grows the magnitude, whatever the count
      if (!bConst) return { t: TNUM_UNKNOWN, u: undefined, s: [min(a.smin, 0n), max(a.smax, 0n)] };
      const k = b.t.value & (bits - 1n);
      return { t: tnumArshift(a.t, Number(k), width), u: undefined, s: [a.smin >> k, a.smax >> k] };
    }
    case BpfAluOp.DIV: {
      if (signed) {
        if (bConst && b.smin > 0n) return { t: TNUM_UNKNOWN, u: undefined, s: [a.smin / b.smin, a.smax / b.smin] };
        return { t: TNUM_UNKNOWN, u: undefined, s: undefined };
      }
      if (b.umin > 0n) return { t: TNUM_UNKNOWN, u: [a.umin / b.umax, a.umax / b.umin], s: undefined };
      return { t: TNUM_UNKNOWN, u: [0n, a.umax], s: undefined };
    }
    case BpfAluOp.MOD: {
      if (signed) {
        const mag = max(b.smax, -b.smin);
        if (b.smin > 0n || b.smax < 0n) {
          const bound = mag - 1n;
          return { t: TNUM_UNKNOWN, u: undefined, s: a.smin >= 0n ? [0n, min(a.smax, bound)] : a.smax <= 0n ? [max(a.smin, -bound), 0n] : [-bound, bound] };
        }
        return { t: TNUM_UNKNOWN, u: undefined, s: undefined };
      }
      if (b.umin > 0n) return a.umax < b.umin ? { t: a.t, u: [a.umin, a.umax], s: undefined } : { t: TNUM_UNKNOWN, u: [0n, min(a.umax, b.umax - 1n)], s: undefined };
      return { t: TNUM_UNKNOWN, u: [0n, a.umax], s: undefined };
    }
    default:
      return { t: TNUM_UNKNOWN, u: [0n, lim.umax], s: undefined };
  }
}

/** The scalar whose low `width` bits are described by a result (zero-extended for width 32). */
function fromResult64(r: Result, r32: Result | undefined): Scalar {
  const u = r.u;
  const sr = r.s;
  const u32 = r32?.u;
  const s32 = r32?.s;
  return scalarOf(r.t, {
    umin: u ? u[0] : 0n,
    umax: u ? u[1] : BOUNDS_UNKNOWN.umax,
    smin: sr ? sr[0] : BOUNDS_UNKNOWN.smin,
    smax: sr ? sr[1] : BOUNDS_UNKNOWN.smax,
    u32min: u32 ? u32[0] : 0n,
    u32max: u32 ? u32[1] : BOUNDS_UNKNOWN.u32max,
    s32min: s32 ? s32[0] : BOUNDS_UNKNOWN.s32min,
    s32max: s32 ? s32[1] : BOUNDS_UNKNOWN.s32max,
  });
}

function fromResult32(r: Result): Scalar {
  let b = { ...BOUNDS_UNKNOWN, umax: 0xffff_ffffn, smin: 0n, smax: 0xffff_ffffn };
  if (r.u) b = { ...b, u32min: r.u[0], u32max: r.u[1], umin: r.u[0], umax: r.u[1], smin: r.u[0], smax: r.u[1] };
  if (r.s) b = { ...b, s32min: r.s[0], s32max: r.s[1] };
  return scalarOf(tnumCast(r.t, 4), b);
}

/**
 * `dst op= src` on scalars for a binary ALU operation other than MOV (`signed` selects
 * SDIV/SMOD). For width 32 both operands are read as their low 32 bits.
 */
export function scalarAlu(op: number, width: 32 | 64, a: Scalar, b: Scalar, signed = false): Scalar {
  if (isConst(a) && isConst(b)) {
    const mask = width === 64 ? (v: bigint): bigint => v : (v: bigint): bigint => BigInt.asUintN(32, v);
    return constScalar(evalAlu(width, op, mask(constValue(a)), mask(constValue(b)), signed ? 1 : 0));
  }
  if (width === 32) return fromResult32(viewOp(op, view(a, 32), view(b, 32), 32, signed));
  const r = viewOp(op, a, b, 64, signed);
  let r32: Result | undefined;
  if (op === BpfAluOp.LSH) {
    // the count is b & 63: the low half of the result is the 32-bit shift only for counts below 32
    const k = isConst(b) ? constValue(b) & 63n : undefined;
    if (k !== undefined) r32 = k < 32n ? viewOp(op, view(a, 32), view(constScalar(k), 32), 32, false) : { t: tnumConst(0n), u: [0n, 0n], s: [0n, 0n] };
  } else if (LOW_HALF_ONLY.has(op)) {
    r32 = viewOp(op, view(a, 32), view(b, 32), 32, signed);
  }
  return fromResult64(r, r32);
}

/** NEG: 0 - dst at the width. */
export function scalarNeg(a: Scalar, width: 32 | 64): Scalar {
  return scalarAlu(BpfAluOp.SUB, width, constScalar(0n), a);
}

/** `dst = src` for MOV (width 32: the low half, zero-extended) and MOVSX by `movsx` bits. */
export function scalarMov(src: Scalar, width: 32 | 64, movsx: 0 | 8 | 16 | 32): Scalar {
  if (movsx === 0) return width === 64 ? src : scalarTruncate(src, 4);
  const ext = scalarSext(src, movsx);
  return width === 64 ? ext : scalarTruncate(ext, 4);
}

/** Byte-order conversion (RFC 9669 section 4.2): `le` truncates, `be`/`swap` reorder bytes. */
export function scalarEnd(a: Scalar, bits: 16 | 32 | 64, order: 'le' | 'be' | 'swap'): Scalar {
  if (isConst(a)) return constScalar(byteOrder(constValue(a), bits, order));
  const bytes = (bits / 8) as 2 | 4 | 8;
  if (order === 'le') return scalarTruncate(a, bytes);
  // A byte swap moves known bits, byte by byte.
  let value = 0n;
  let mask = 0n;
  for (let i = 0; i < bytes; i++) {
    const shift = BigInt(8 * i);
    const back = BigInt(8 * (bytes - 1 - i));
    value |= ((a.t.value >> shift) & 0xffn) << back;
    mask |= ((a.t.mask >> shift) & 0xffn) << back;
  }
  const t = { value, mask };
  return bits === 64 ? scalarOf(t, BOUNDS_UNKNOWN) : scalarOf(t, { ...BOUNDS_UNKNOWN, umax: (1n << BigInt(bits)) - 1n });
}

export { UNKNOWN_SCALAR, unsignedRange, tnumConst };
