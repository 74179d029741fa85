import { BpfJmpOp, NEGATED_JMP } from '../opcodes.js';
import type { Bounds } from './bounds.js';
import { max, min } from './bounds.js';
import type { Scalar } from './scalar.js';
import { makeScalar } from './scalar.js';
import type { Tnum } from './tnum.js';
import { tnumDisjoint, tnumIntersect, tnumSubreg, tnumWithSubreg } from './tnum.js';

/**
 * Conditional jumps on scalars: what `if a OP b` tells about a and b on each side (the kernel's
 * reg_set_min_max). `refineScalars` returns the narrowed pair, or undefined when no values
 * satisfy the condition: that side of the jump cannot be taken, which is also how the driver
 * decides a branch statically (is_branch_taken).
 */

/** A pseudo operation for the fall-through side of JSET: `(a & b) == 0`. */
export const JMP_NOT_SET = 0x1000;

type Range = { lo: bigint; hi: bigint };
interface Side {
  t: Tnum;
  u: Range;
  s: Range;
}

const side = (x: Scalar, width: 32 | 64): Side =>
  width === 64
    ? { t: x.t, u: { lo: x.umin, hi: x.umax }, s: { lo: x.smin, hi: x.smax } }
    : { t: tnumSubreg(x.t), u: { lo: x.u32min, hi: x.u32max }, s: { lo: x.s32min, hi: x.s32max } };

function rebuild(x: Scalar, sd: Side, width: 32 | 64): Scalar | undefined {
  const b: Bounds =
    width === 64
      ? { ...x, umin: sd.u.lo, umax: sd.u.hi, smin: sd.s.lo, smax: sd.s.hi }
      : { ...x, u32min: sd.u.lo, u32max: sd.u.hi, s32min: sd.s.lo, s32max: sd.s.hi };
  const t = width === 64 ? sd.t : tnumWithSubreg(x.t, sd.t);
  return makeScalar(t, b);
}

/** a < b (strict) or a <= b on one range pair: narrows a from above and b from below. */
function less(a: Range, b: Range, strict: boolean): void {
  const d = strict ? 1n : 0n;
  a.hi = min(a.hi, b.hi - d);
  b.lo = max(b.lo, a.lo + d);
}

/** Narrow a and b to the values for which `a op b` holds at `width`; undefined if none do. */
export function refineScalars(op: number, width: 32 | 64, a: Scalar, b: Scalar): [Scalar, Scalar] | undefined {
  const x = side(a, width);
  const y = side(b, width);
  const isConstY = y.t.mask === 0n;
  const isConstX = x.t.mask === 0n;
  switch (op) {
    case BpfJmpOp.JEQ: {
      if (tnumDisjoint(x.t, y.t)) return undefined;
      const t = tnumIntersect(x.t, y.t);
      const u = { lo: max(x.u.lo, y.u.lo), hi: min(x.u.hi, y.u.hi) };
      const s = { lo: max(x.s.lo, y.s.lo), hi: min(x.s.hi, y.s.hi) };
      x.t = y.t = t;
      x.u = { ...u };
      y.u = { ...u };
      x.s = { ...s };
      y.s = { ...s };
      break;
    }
    case BpfJmpOp.JNE: {
      // Only an end of a range can be cut off by a known value.
      const cut = (z: Side, c: bigint, cs: bigint): void => {
        if (z.u.lo === c) z.u.lo++;
        if (z.u.hi === c) z.u.hi--;
        if (z.s.lo === cs) z.s.lo++;
        if (z.s.hi === cs) z.s.hi--;
      };
      if (isConstX && isConstY && x.t.value === y.t.value) return undefined;
      if (isConstY) cut(x, y.t.value, y.s.lo);
      if (isConstX) cut(y, x.t.value, x.s.lo);
      break;
    }
    case BpfJmpOp.JGT:
      less(y.u, x.u, true);
      break;
    case BpfJmpOp.JGE:
      less(y.u, x.u, false);
      break;
    case BpfJmpOp.JLT:
      less(x.u, y.u, true);
      break;
    case BpfJmpOp.JLE:
      less(x.u, y.u, false);
      break;
    case BpfJmpOp.JSGT:
      less(y.s, x.s, true);
      break;
    case BpfJmpOp.JSGE:
      less(y.s, x.s, false);
      break;
    case BpfJmpOp.JSLT:
      less(x.s, y.s, true);
      break;
    case BpfJmpOp.JSLE:
      less(x.s, y.s, false);
      break;
    case BpfJmpOp.JSET: {
      const xs = x.t.value | x.t.mask;
      const ys = y.t.value | y.t.mask;
      if ((xs & ys) === 0n) return undefined;
      // one possible common bit: it must be set
      const single = (v: bigint): boolean => v !== 0n && (v & (v - 1n)) === 0n;
      if (isConstY && single(xs & ys)) x.t = { value: x.t.value | (xs & ys), mask: x.t.mask & ~(xs & ys) };
      if (isConstX && single(xs & ys)) y.t = { value: y.t.value | (xs & ys), mask: y.t.mask & ~(xs & ys) };
      break;
    }
    case JMP_NOT_SET: {
      if ((x.t.value & y.t.value) !== 0n) return undefined;
      // bits known set in one are known clear in the other
      if (y.t.value !== 0n) x.t = { value: x.t.value & ~y.t.value, mask: x.t.mask & ~y.t.value };
      if (x.t.value !== 0n) y.t = { value: y.t.value & ~x.t.value, mask: y.t.mask & ~x.t.value };
      break;
    }
    default:
      return [a, b];
  }
  if (x.u.lo > x.u.hi || y.u.lo > y.u.hi || x.s.lo > x.s.hi || y.s.lo > y.s.hi) return undefined;
  const na = rebuild(a, x, width);
  const nb = rebuild(b, y, width);
  if (!na || !nb) return undefined;
  return [na, nb];
}

/** The operation that holds when the jump of `op` is not taken. */
export function negateJmp(op: number): number {
  if (op === BpfJmpOp.JSET) return JMP_NOT_SET;
  const n = NEGATED_JMP[op];
  if (n === undefined) throw new RangeError(`jump op 0x${op.toString(16)} has no negation`);
  return n;
}
