import { alu as evalAlu } from '../interpreter.js';
import { BOUNDS_UNKNOWN } from './bounds.js';
import type { Scalar } from './scalar.js';
import { constScalar, isConst, makeScalar } from './scalar.js';
import { tnumDisjoint, tnumIntersect, tnumUnion } from './tnum.js';

/**
 * A small functional domain on top of the ranges: a scalar computed from one unknown value of
 * at most 256 possibilities (a loaded byte, a masked index) keeps, for each possibility, the
 * value it has. Two such scalars computed from the same unknown ("origin") combine value by
 * value, so `x - (x * 0xab >> 11) * 12` (clang's `x % 12` for a byte) is known to be
 * 0..11, which intervals alone cannot tell (they lose that both operands depend on x). The
 * result always narrows the interval result, never replaces it, so it is sound whichever is
 * tighter.
 */
export interface ValueSet {
  /** the unknown this table is a function of (a fresh id when the unknown first appears) */
  readonly origin: number;
  /** value for each possibility of the origin, in order */
  readonly values: readonly bigint[];
}

export const MAX_VALUE_SET = 256;

/** The table of a fresh unknown that can be lo..hi (undefined when there are too many values). */
export function identitySet(origin: number, s: Scalar): ValueSet | undefined {
  if (isConst(s) || s.umax - s.umin >= BigInt(MAX_VALUE_SET)) return undefined;
  const values: bigint[] = [];
  for (let v = s.umin; v <= s.umax; v++) values.push(v);
  return { origin, values };
}

const mask32 = (v: bigint): bigint => BigInt.asUintN(32, v);

/** op applied to each value (b: the other operand's value per possibility, or a constant). */
export function mapSet(vs: ValueSet, op: number, width: 32 | 64, b: bigint | ValueSet, signed: boolean, swapped = false): ValueSet | undefined {
  if (typeof b !== 'bigint' && (b.origin !== vs.origin || b.values.length !== vs.values.length)) return undefined;
  const values = vs.values.map((a, i) => {
    const y = typeof b === 'bigint' ? b : (b.values[i] as bigint);
    const [l, r] = swapped ? [y, a] : [a, y];
    return width === 64 ? evalAlu(64, op, l, BigInt.asUintN(64, r), signed ? 1 : 0) : evalAlu(32, op, mask32(l), mask32(r), signed ? 1 : 0);
  });
  return { origin: vs.origin, values };
}

/** A unary function of each value (neg, byte swap, extension, truncation). */
export function mapUnary(vs: ValueSet, fn: (v: bigint) => bigint): ValueSet {
  return { origin: vs.origin, values: vs.values.map(fn) };
}

/** The scalar holding exactly the table's values, intersected with what the intervals say. */
export function narrowBySet(s: Scalar, vs: ValueSet): Scalar {
  let lo = BigInt.asUintN(64, -1n);
  let hi = 0n;
  let slo = (1n << 63n) - 1n;
  let shi = -(1n << 63n);
  let t = constScalar(vs.values[0] ?? 0n).t;
  for (const v of vs.values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    const sv = BigInt.asIntN(64, v);
    if (sv < slo) slo = sv;
    if (sv > shi) shi = sv;
    t = tnumUnion(t, constScalar(v).t);
  }
  if (lo === hi) return constScalar(lo);
  if (tnumDisjoint(s.t, t)) return s;
  return makeScalar(tnumIntersect(s.t, t), {
    ...BOUNDS_UNKNOWN,
    umin: lo > s.umin ? lo : s.umin,
    umax: hi < s.umax ? hi : s.umax,
    smin: slo > s.smin ? slo : s.smin,
    smax: shi < s.smax ? shi : s.smax,
    u32min: s.u32min,
    u32max: s.u32max,
    s32min: s.s32min,
    s32max: s.s32max,
  }) ?? s;
}

export function valueSetsEqual(a: ValueSet | undefined, b: ValueSet | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.values.length !== b.values.length) return false;
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) return false;
  return true;
}
