/**
 * The interval domain of the verifier: for one 64-bit value, its unsigned and signed range as
 * a 64-bit number and the unsigned and signed range of its low 32 bits (the kernel's
 * umin/umax/smin/smax and u32_min/u32_max/s32_min/s32_max of `struct bpf_reg_state`).
 * The eight bounds describe the same value, so each can sharpen the others (`deduceBounds`);
 * scalar.ts combines them with the tnum of the value.
 */

export interface Bounds {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
  readonly s32min: bigint;
  readonly s32max: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

export const BOUNDS_UNKNOWN: Bounds = {
  umin: 0n,
  umax: U64_MAX,
  smin: S64_MIN,
  smax: S64_MAX,
  u32min: 0n,
  u32max: U32_MAX,
  s32min: S32_MIN,
  s32max: S32_MAX,
};

/** Largest unsigned value and signed range of a width. */
export const widthLimits = (width: 32 | 64): { umax: bigint; smin: bigint; smax: bigint } =>
  width === 64 ? { umax: U64_MAX, smin: S64_MIN, smax: S64_MAX } : { umax: U32_MAX, smin: S32_MIN, smax: S32_MAX };

export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** An interval [lo, hi] of mathematical integers, or undefined for "any value". */
export type Interval = readonly [bigint, bigint] | undefined;

/**
 * The interval [lo, hi] of exact results reduced modulo 2^width into the unsigned
 * (`signed` false) or signed range: it stays one interval when every result wraps by the same
 * multiple of 2^width, otherwise nothing is known.
 */
export function wrapInterval(lo: bigint, hi: bigint, width: 32 | 64, signed: boolean): Interval {
  const span = 1n << BigInt(width);
  if (hi - lo >= span) return undefined;
  const base = signed ? -(span >> 1n) : 0n;
  const q = (v: bigint): bigint => {
    const d = v - base;
    return d >= 0n ? d / span : -((-d + span - 1n) / span);
  };
  const ql = q(lo);
  if (ql !== q(hi)) return undefined;
  return [lo - ql * span, hi - ql * span];
}

const intersect = (lo: bigint, hi: bigint, lo2: bigint, hi2: bigint): [bigint, bigint] => [max(lo, lo2), min(hi, hi2)];

/**
 * Signed and unsigned ranges of one width sharpen each other: a signed range that does not
 * cross zero is also an unsigned one and vice versa; when both cross, the value lies in the
 * part of the unsigned range that the signed range allows.
 */
function deduceSameWidth(umin: bigint, umax: bigint, smin: bigint, smax: bigint, width: 32 | 64): [bigint, bigint, bigint, bigint] {
  const span = 1n << BigInt(width);
  const half = span >> 1n;
  // signed -> unsigned
  if (smin >= 0n) [umin, umax] = intersect(umin, umax, smin, smax);
  else if (smax < 0n) [umin, umax] = intersect(umin, umax, smin + span, smax + span);
  else {
    // signed range crosses zero: values are in [0, smax] or in [span + smin, span - 1]
    if (umin > smax) umin = max(umin, smin + span);
    if (umax < smin + span) umax = min(umax, smax);
  }
  // unsigned -> signed
  if (umax < half) [smin, smax] = intersect(smin, smax, umin, umax);
  else if (umin >= half) [smin, smax] = intersect(smin, smax, umin - span, umax - span);
  else {
    // unsigned range crosses the sign boundary: values are in [umin, half-1] or [-half, umax-span]
    if (smin > umax - span) smin = max(smin, umin);
    if (smax < umin) smax = min(smax, umax - span);
  }
  return [umin, umax, smin, smax];
}

const hi32 = (v: bigint): bigint => v >> 32n;
const lo32 = (v: bigint): bigint => v & U32_MAX;
const toS32 = (v: bigint): bigint => BigInt.asIntN(32, v);

/** Everything the eight bounds say about each other, applied once. Empty results are left for the caller to detect. */
export function deduceBounds(b: Bounds): Bounds {
  let { umin, umax, smin, smax, u32min, u32max, s32min, s32max } = b;
  [u32min, u32max, s32min, s32max] = deduceSameWidth(u32min, u32max, s32min, s32max, 32);
  // 64 -> 32: when the upper halves of the bounds agree, the low halves form a range.
  const narrow = (lo: bigint, hi: bigint): void => {
    const l = lo32(lo);
    const h = lo32(hi);
    [u32min, u32max] = intersect(u32min, u32max, l, h);
    if (toS32(l) <= toS32(h)) [s32min, s32max] = intersect(s32min, s32max, toS32(l), toS32(h));
  };
  if (hi32(umin) === hi32(umax)) narrow(umin, umax);
  if (hi32(smin) === hi32(smax)) narrow(smin, smax);
  // 32 -> 64: with the upper half fixed, the low half's range bounds the whole value.
  if (hi32(umin) === hi32(umax)) {
    const h = hi32(umin) << 32n;
    [umin, umax] = intersect(umin, umax, h | u32min, h | u32max);
  }
  if (hi32(smin) === hi32(smax)) {
    const h = hi32(smin) << 32n;
    [smin, smax] = intersect(smin, smax, h + u32min, h + u32max);
  }
  [umin, umax, smin, smax] = deduceSameWidth(umin, umax, smin, smax, 64);
  [u32min, u32max, s32min, s32max] = deduceSameWidth(u32min, u32max, s32min, s32max, 32);
  return { umin, umax, smin, smax, u32min, u32max, s32min, s32max };
}

export const boundsEmpty = (b: Bounds): boolean => b.umin > b.umax || b.smin > b.smax || b.u32min > b.u32max || b.s32min > b.s32max;

/** Every value allowed by `inner` is allowed by `outer`. */
export const boundsIn = (outer: Bounds, inner: Bounds): boolean =>
  outer.umin <= inner.umin &&
  inner.umax <= outer.umax &&
  outer.smin <= inner.smin &&
  inner.smax <= outer.smax &&
  outer.u32min <= inner.u32min &&
  inner.u32max <= outer.u32max &&
  outer.s32min <= inner.s32min &&
  inner.s32max <= outer.s32max;

export const boundsEqual = (a: Bounds, b: Bounds): boolean =>
  a.umin === b.umin &&
  a.umax === b.umax &&
  a.smin === b.smin &&
  a.smax === b.smax &&
  a.u32min === b.u32min &&
  a.u32max === b.u32max &&
  a.s32min === b.s32min &&
  a.s32max === b.s32max;

/** The smallest bounds holding both. */
export const boundsUnion = (a: Bounds, b: Bounds): Bounds => ({
  umin: min(a.umin, b.umin),
  umax: max(a.umax, b.umax),
  smin: min(a.smin, b.smin),
  smax: max(a.smax, b.smax),
  u32min: min(a.u32min, b.u32min),
  u32max: max(a.u32max, b.u32max),
  s32min: min(a.s32min, b.s32min),
  s32max: max(a.s32max, b.s32max),
});

export const boundsIntersect = (a: Bounds, b: Bounds): Bounds => ({
  umin: max(a.umin, b.umin),
  umax: min(a.umax, b.umax),
  smin: max(a.smin, b.smin),
  smax: min(a.smax, b.smax),
  u32min: max(a.u32min, b.u32min),
  u32max: min(a.u32max, b.u32max),
  s32min: max(a.s32min, b.s32min),
  s32max: min(a.s32max, b.s32max),
});
