import { alu as evalAlu } from '../interpreter.js';
import { BOUNDS_UNKNOWN } from './bounds.js';
import type { Scalar } from './scalar.js';
import { constScalar, isConst, makeScalar } from './scalar.js';
import { tnumDisjoint, tnumIntersect } from './tnum.js';

/**
 * A small functional domain on top of the ranges: a scalar computed from one unknown value of
 * at most 256 possibilities (a loaded byte, a masked index) keeps, for each possibility, the
 * value it has. Two such scalars computed from the same unknown ("origin") combine value by
 * value, so `x - (x * 0xab >> 11) * 12` (clang's `x % 12` for a byte) is known to be
 * 0..11, which intervals alone cannot tell (they lose that both operands depend on x). The
 * result always narrows the interval result, never replaces it, so it is sound whichever is
 * tighter.
 *
 * Tables are lazy: one made from another by an operation with a constant is only the recipe
 * (`key` names it) until a value-by-value combination needs the values.
 */
export class ValueSet {
  #values: readonly bigint[] | undefined;

  private constructor(
    /** the unknown this table is a function of (a fresh id when the unknown first appears) */
    readonly origin: number,
    /** the recipe, when the table is one (equal keys: equal tables); undefined for combined tables */
    readonly key: string | undefined,
    private readonly make: () => readonly bigint[],
  ) {}

  /** value for each possibility of the origin, in order */
  get values(): readonly bigint[] {
    this.#values ??= this.make();
    return this.#values;
  }

  static identity(origin: number, lo: bigint, hi: bigint): ValueSet {
    return new ValueSet(origin, `id:${lo}:${hi}`, () => {
      const v: bigint[] = [];
      for (let x = lo; x <= hi; x++) v.push(x);
      return v;
    });
  }

  derived(step: string, fn: (v: bigint) => bigint): ValueSet {
    return new ValueSet(this.origin, this.key === undefined ? undefined : `${this.key}|${step}`, () => this.values.map(fn));
  }

  static combined(origin: number, values: readonly bigint[]): ValueSet {
    const s = new ValueSet(origin, undefined, () => values);
    return s;
  }
}

export const MAX_VALUE_SET = 256;

/** The table of a fresh unknown that can be lo..hi (undefined when there are too many values). */
export function identitySet(origin: number, s: Scalar): ValueSet | undefined {
  if (isConst(s) || s.umax - s.umin >= BigInt(MAX_VALUE_SET)) return undefined;
  return ValueSet.identity(origin, s.umin, s.umax);
}

const mask32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const apply = (op: number, width: 32 | 64, l: bigint, r: bigint, signed: boolean): bigint =>
  width === 64 ? evalAlu(64, op, l, BigInt.asUintN(64, r), signed ? 1 : 0) : evalAlu(32, op, mask32(l), mask32(r), signed ? 1 : 0);

/** op with a constant on each value (lazy), or value by value with another table of the same origin. */
export function mapSet(vs: ValueSet, op: number, width: 32 | 64, b: bigint | ValueSet, signed: boolean, swapped = false): ValueSet | undefined {
  if (typeof b === 'bigint') {
    return vs.derived(`${op},${width},${b},${signed ? 1 : 0},${swapped ? 1 : 0}`, (a) => (swapped ? apply(op, width, b, a, signed) : apply(op, width, a, b, signed)));
  }
  if (b.origin !== vs.origin) return undefined;
  const x = vs.values;
  const y = b.values;
  if (x.length !== y.length) return undefined;
  return ValueSet.combined(vs.origin, x.map((a, i) => apply(op, width, a, y[i] as bigint, signed)));
}

/** A unary function of each value (neg, byte swap, extension, truncation), named by `step`. */
export function mapUnary(vs: ValueSet, step: string, fn: (v: bigint) => bigint): ValueSet {
  return vs.derived(step, fn);
}

/**
 * The scalar narrowed to exactly the table's values. Only combined tables can say more than
 * the intervals (a recipe of constant operations is what the intervals follow too), so
 * recipes are left alone.
 */
export function narrowBySet(s: Scalar, vs: ValueSet): Scalar {
  if (vs.key !== undefined) return s;
  const values = vs.values;
  let lo = BigInt.asUintN(64, -1n);
  let hi = 0n;
  let slo = (1n << 63n) - 1n;
  let shi = -(1n << 63n);
  let and = BigInt.asUintN(64, -1n);
  let or = 0n;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    const sv = BigInt.asIntN(64, v);
    if (sv < slo) slo = sv;
    if (sv > shi) shi = sv;
    and &= v;
    or |= v;
  }
  if (lo === hi) return constScalar(lo);
  const t = { value: and, mask: or ^ and };
  if (tnumDisjoint(s.t, t)) return s;
  return (
    makeScalar(tnumIntersect(s.t, t), {
      ...BOUNDS_UNKNOWN,
      umin: lo > s.umin ? lo : s.umin,
      umax: hi < s.umax ? hi : s.umax,
      smin: slo > s.smin ? slo : s.smin,
      smax: shi < s.smax ? shi : s.smax,
      u32min: s.u32min,
      u32max: s.u32max,
      s32min: s.s32min,
      s32max: s.s32max,
    }) ?? s
  );
}

export function valueSetsEqual(a: ValueSet | undefined, b: ValueSet | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.key !== undefined && b.key !== undefined) return a.key === b.key;
  const x = a.values;
  const y = b.values;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
