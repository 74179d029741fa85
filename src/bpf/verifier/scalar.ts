import type { Bounds } from './bounds.js';
import { BOUNDS_UNKNOWN, S32_MAX, S64_MAX, S64_MIN, U32_MAX, U64_MAX, boundsEmpty, boundsEqual, boundsIn, boundsIntersect, boundsUnion, deduceBounds } from './bounds.js';
import type { Tnum } from './tnum.js';
import {
  TNUM_UNKNOWN,
  formatTnum,
  tnumConst,
  tnumDisjoint,
  tnumEquals,
  tnumIn,
  tnumIntersect,
  tnumIsConst,
  tnumIsUnknown,
  tnumRange,
  tnumSubreg,
  tnumUnion,
  tnumWithSubreg,
} from './tnum.js';

/**
 * A scalar value as the verifier knows it: the reduced product of the known-bits domain
 * (tnum.ts) and the eight ranges (bounds.ts). `makeScalar` keeps the two consistent (the
 * kernel's reg_bounds_sync: bounds from bits, bounds from each other, bits from bounds) and
 * reports a contradiction (no value fits) as undefined, which is how a branch is found to be
 * impossible.
 */
export interface Scalar extends Bounds {
  readonly t: Tnum;
}

const SIGN64 = 1n << 63n;
const SIGN32 = 1n << 31n;

/** Bounds implied by the tnum alone. */
function boundsOfTnum(t: Tnum): Bounds {
  const hi = t.value | t.mask;
  const t32 = tnumSubreg(t);
  const hi32 = t32.value | t32.mask;
  return {
    umin: t.value,
    umax: hi,
    smin: BigInt.asIntN(64, t.value | (t.mask & SIGN64)),
    smax: BigInt.asIntN(64, hi & ~(t.mask & SIGN64)),
    u32min: t32.value,
    u32max: hi32,
    s32min: BigInt.asIntN(32, t32.value | (t32.mask & SIGN32)),
    s32max: BigInt.asIntN(32, hi32 & ~(t32.mask & SIGN32)),
  };
}

/** A consistent scalar from bits and bounds, or undefined when no 64-bit value satisfies both. */
export function makeScalar(t: Tnum, b: Bounds): Scalar | undefined {
  if (tnumIsConst(t)) {
    const c = constScalar(t.value);
    return boundsIn(b, c) ? c : undefined;
  }
  let tn = t;
  let bounds = b;
  for (let round = 0; round < 3; round++) {
    bounds = deduceBounds(boundsIntersect(bounds, boundsOfTnum(tn)));
    if (boundsEmpty(bounds)) return undefined;
    const r64 = tnumRange(bounds.umin, bounds.umax);
    if (tnumDisjoint(tn, r64)) return undefined;
    let next = tnumIntersect(tn, r64);
    const r32 = tnumRange(bounds.u32min, bounds.u32max);
    const sub = tnumSubreg(next);
    if (tnumDisjoint(sub, r32)) return undefined;
    next = tnumWithSubreg(next, tnumIntersect(sub, r32));
    if (tnumEquals(next, tn)) break;
    tn = next;
  }
  const final = deduceBounds(boundsIntersect(bounds, boundsOfTnum(tn)));
  if (boundsEmpty(final)) return undefined;
  return { t: tn, ...final };
}

/** makeScalar for inputs that cannot contradict (results of arithmetic on feasible values). */
export function scalarOf(t: Tnum, b: Bounds): Scalar {
  return makeScalar(t, b) ?? UNKNOWN_SCALAR;
}

export const UNKNOWN_SCALAR: Scalar = { t: TNUM_UNKNOWN, ...BOUNDS_UNKNOWN };

const constCache = new Map<bigint, Scalar>();
/** The scalar holding exactly v (taken modulo 2^64). */
export function constScalar(v: bigint): Scalar {
  const u = BigInt.asUintN(64, v);
  let s = constCache.get(u);
  if (!s) {
    const lo = u & U32_MAX;
    s = {
      t: tnumConst(u),
      umin: u,
      umax: u,
      smin: BigInt.asIntN(64, u),
      smax: BigInt.asIntN(64, u),
      u32min: lo,
      u32max: lo,
      s32min: BigInt.asIntN(32, lo),
      s32max: BigInt.asIntN(32, lo),
    };
    if (constCache.size < 4096) constCache.set(u, s);
  }
  return s;
}

/** Values in [lo, hi], unsigned. */
export const unsignedRange = (lo: bigint, hi: bigint): Scalar => scalarOf(tnumRange(lo, hi), { ...BOUNDS_UNKNOWN, umin: lo, umax: hi });
/** Values in [lo, hi], signed 64-bit. */
export const signedRange = (lo: bigint, hi: bigint): Scalar => scalarOf(TNUM_UNKNOWN, { ...BOUNDS_UNKNOWN, smin: lo, smax: hi });

export const isConst = (s: Scalar): boolean => tnumIsConst(s.t);
/** The 64-bit value of a constant scalar. */
export const constValue = (s: Scalar): bigint => s.t.value;
export const isConst32 = (s: Scalar): boolean => tnumIsConst(tnumSubreg(s.t));

/** Every value of `inner` is a value of `outer` (what state pruning asks). */
export const scalarIn = (outer: Scalar, inner: Scalar): boolean => tnumIn(outer.t, inner.t) && boundsIn(outer, inner);

export const scalarEquals = (a: Scalar, b: Scalar): boolean => tnumEquals(a.t, b.t) && boundsEqual(a, b);

/** The smallest scalar holding every value of a and of b. */
export const scalarUnion = (a: Scalar, b: Scalar): Scalar => scalarOf(tnumUnion(a.t, b.t), boundsUnion(a, b));

/** The low 32 bits, zero-extended (what a 32-bit ALU operation or a w-register read sees). */
export function scalarZext32(s: Scalar): Scalar {
  if (s.umax <= U32_MAX) return s;
  const t = tnumSubreg(s.t);
  return scalarOf(t, { ...BOUNDS_UNKNOWN, umin: s.u32min, umax: s.u32max, u32min: s.u32min, u32max: s.u32max, s32min: s.s32min, s32max: s.s32max });
}

/** The low `bytes` bytes, zero-extended (a narrow load or store of the value). */
export function scalarTruncate(s: Scalar, bytes: 1 | 2 | 4 | 8): Scalar {
  if (bytes === 8) return s;
  if (bytes === 4) return scalarZext32(s);
  const limit = (1n << BigInt(8 * bytes)) - 1n;
  if (s.umax <= limit) return s;
  const m = { value: s.t.value & limit, mask: s.t.mask & limit };
  return scalarOf(m, { ...BOUNDS_UNKNOWN, umin: 0n, umax: limit });
}

/** Sign-extend the low `bits` bits (MOVSX, LDXSX). */
export function scalarSext(s: Scalar, bits: 8 | 16 | 32): Scalar {
  if (isConst(s)) return constScalar(BigInt.asIntN(bits, constValue(s)));
  const half = 1n << BigInt(bits - 1);
  // already a sign-extended value of that width: unchanged
  if (s.smin >= -half && s.smax < half) return s;
  const low = scalarTruncate(s, bits === 32 ? 4 : bits === 16 ? 2 : 1);
  if (low.umax < half) return low; // the sign bit is known clear
  return signedRange(-half, half - 1n);
}

export function formatScalar(s: Scalar): string {
  if (isConst(s)) return `${BigInt.asIntN(64, constValue(s))}`;
  const parts: string[] = [];
  if (s.smin !== S64_MIN) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64_MAX) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64_MAX) parts.push(`umax=${s.umax}`);
  if (s.s32min !== -(S32_MAX + 1n) && s.s32min !== s.smin) parts.push(`smin32=${s.s32min}`);
  if (s.s32max !== S32_MAX && s.s32max !== s.smax) parts.push(`smax32=${s.s32max}`);
  if (s.u32min !== 0n && s.u32min !== s.umin) parts.push(`umin32=${s.u32min}`);
  if (s.u32max !== U32_MAX && s.u32max !== s.umax) parts.push(`umax32=${s.u32max}`);
  if (!tnumIsUnknown(s.t)) parts.push(`var_off=${formatTnum(s.t)}`);
  return `scalar(${parts.join(',')})`;
}
