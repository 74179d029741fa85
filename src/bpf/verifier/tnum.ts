/**
 * Tristate numbers ("tnums"): the known-bits abstract domain of the Linux verifier
 * (kernel/bpf/tnum.c, and "Sound, Precise, and Fast Abstract Interpretation with Tristate
 * Numbers", Vishwanathan et al., CGO 2022). A tnum stands for every 64-bit value x with
 * x & ~mask === value: a bit set in `mask` is unknown, a clear one equals the bit of `value`.
 * Invariant: value & mask === 0. Values are unsigned 64-bit BigInts.
 */

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export const tnumConst = (v: bigint): Tnum => ({ value: u64(v), mask: 0n });
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64_MAX };
export const TNUM_ZERO: Tnum = { value: 0n, mask: 0n };

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

/** Number of bits needed for v (0 for 0): the position of the highest set bit plus one. */
function bitLength(v: bigint): number {
  const hi = Number(v >> 32n);
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(Number(v & 0xffff_ffffn));
}

/** The smallest tnum holding every value of [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = bitLength(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta, mask: delta };
}

export const tnumLshift = (a: Tnum, n: number): Tnum => ({ value: u64(a.value << BigInt(n)), mask: u64(a.mask << BigInt(n)) });
export const tnumRshift = (a: Tnum, n: number): Tnum => ({ value: a.value >> BigInt(n), mask: a.mask >> BigInt(n) });

/** Arithmetic shift right of the low `width` bits, result zero-extended from `width` bits. */
export function tnumArshift(a: Tnum, n: number, width: 32 | 64): Tnum {
  const sx = (v: bigint): bigint => BigInt.asIntN(width, v);
  const trunc = (v: bigint): bigint => BigInt.asUintN(width, v);
  return { value: trunc(sx(a.value) >> BigInt(n)), mask: trunc(sx(a.mask) >> BigInt(n)) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = a.mask + b.mask;
  const sv = a.value + b.value;
  const sigma = sm + sv;
  const chi = u64(sigma ^ sv);
  const mu = chi | a.mask | b.mask;
  return { value: u64(sv) & ~mu, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = a.value - b.value;
  const alpha = dv + a.mask;
  const beta = dv - b.mask;
  const chi = u64(alpha) ^ u64(beta);
  const mu = chi | a.mask | b.mask;
  return { value: u64(dv) & ~mu, mask: mu };
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  return { value: v, mask: (a.mask | b.mask) & ~v };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask;
  return { value: (a.value ^ b.value) & ~mu, mask: mu };
}

/**
 * Multiplication as shift-and-add over the bits of `a`: a known 1 bit adds `b << i`, an
 * unknown bit adds "0 or b << i", whose smallest tnum has no known ones and every bit that
 * b << i may have set unknown. Exact when both are constants.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  if (tnumIsConst(a) && tnumIsConst(b)) return tnumConst(a.value * b.value);
  let acc: Tnum = TNUM_ZERO;
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if (x.value & 1n) acc = tnumAdd(acc, y);
    else if (x.mask & 1n) acc = tnumAdd(acc, { value: 0n, mask: y.value | y.mask });
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
    if (y.value === 0n && y.mask === 0n) break;
  }
  return acc;
}

/** Values in both a and b (the caller knows they overlap; otherwise the result is one of them). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu, mask: mu };
}

/** True when a and b have no value in common (a known bit differs). */
export function tnumDisjoint(a: Tnum, b: Tnum): boolean {
  return ((a.value ^ b.value) & ~(a.mask | b.mask)) !== 0n;
}

/** The smallest tnum holding every value of a and of b. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & ~mu, mask: mu };
}

/** Truncate to the low `bytes` bytes. */
export function tnumCast(a: Tnum, bytes: 1 | 2 | 4 | 8): Tnum {
  if (bytes === 8) return a;
  const m = (1n << BigInt(8 * bytes)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** True when every value of b is a value of a. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return (b.value & ~a.mask) === a.value;
}

/** Every value is a multiple of `size` (a power of two). */
export const tnumIsAligned = (a: Tnum, size: number): boolean => ((a.value | a.mask) & BigInt(size - 1)) === 0n;

export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
export const tnumClearSubreg = (a: Tnum): Tnum => tnumLshift(tnumRshift(a, 32), 32);
/** The upper 32 bits of a with the low 32 bits of b. */
export const tnumWithSubreg = (a: Tnum, b: Tnum): Tnum => tnumOr(tnumClearSubreg(a), tnumSubreg(b));

/** The kernel's `var_off=(0x..; 0x..)` spelling. */
export const formatTnum = (a: Tnum): string => `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
