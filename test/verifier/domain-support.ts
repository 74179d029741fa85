import { Rng } from '../../src/bpf/program-generator.js';
import { BOUNDS_UNKNOWN } from '../../src/bpf/verifier/bounds.js';
import type { Scalar } from '../../src/bpf/verifier/scalar.js';
import { constScalar, makeScalar, scalarOf } from '../../src/bpf/verifier/scalar.js';
import type { Tnum } from '../../src/bpf/verifier/tnum.js';
import { TNUM_UNKNOWN, tnumRange } from '../../src/bpf/verifier/tnum.js';

/**
 * Random abstract values with a way to draw concrete members, for soundness checks: every
 * concrete result of an operation on members must be a member of the abstract result.
 */
export interface Sampled {
  readonly s: Scalar;
  draw(): bigint;
  readonly what: string;
}

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export function tnumContains(t: Tnum, v: bigint): boolean {
  return (u64(v) & ~t.mask) === t.value;
}

export function scalarContains(s: Scalar, v: bigint): boolean {
  const u = u64(v);
  const sv = BigInt.asIntN(64, u);
  const lo = u & 0xffff_ffffn;
  const slo = BigInt.asIntN(32, lo);
  return (
    tnumContains(s.t, u) &&
    s.umin <= u &&
    u <= s.umax &&
    s.smin <= sv &&
    sv <= s.smax &&
    s.u32min <= lo &&
    lo <= s.u32max &&
    s.s32min <= slo &&
    slo <= s.s32max
  );
}

const rand64 = (r: Rng): bigint => (BigInt(r.u32()) << 32n) | BigInt(r.u32());
const interesting = [0n, 1n, 2n, 7n, 8n, 0xffn, 0x100n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, u64(-1n), u64(-2n), u64(-8n), 0xffff_ffff_0000_0000n];

function randValue(r: Rng): bigint {
  switch (r.int(4)) {
    case 0:
      return r.pick(interesting);
    case 1:
      return BigInt(r.int(64));
    case 2:
      return u64(BigInt(r.i32()));
    default:
      return rand64(r);
  }
}

/** Uniform-ish value in [lo, hi] (unsigned or signed, any size). */
function between(r: Rng, lo: bigint, hi: bigint): bigint {
  const span = hi - lo + 1n;
  if (r.chance(0.2)) return r.chance(0.5) ? lo : hi;
  return lo + (rand64(r) % span);
}

/** A random abstract value of one of several shapes, each with a member generator. */
export function randomSampled(r: Rng): Sampled {
  const shape = r.int(6);
  switch (shape) {
    case 0: {
      const v = randValue(r);
      return { s: constScalar(v), draw: () => v, what: `const ${v}` };
    }
    case 1: {
      const value = randValue(r);
      const mask = r.chance(0.5) ? BigInt(r.int(256)) << BigInt(r.int(56)) : randValue(r);
      const t = { value: value & ~mask, mask };
      return { s: scalarOf(t, BOUNDS_UNKNOWN), draw: () => t.value | (randValue(r) & mask), what: `tnum ${t.value}/${t.mask}` };
    }
    case 2: {
      let a = randValue(r);
      let b = r.chance(0.5) ? a + BigInt(r.int(1000)) : randValue(r);
      b = u64(b);
      if (a > b) [a, b] = [b, a];
      return { s: scalarOf(tnumRange(a, b), { ...BOUNDS_UNKNOWN, umin: a, umax: b }), draw: () => between(r, a, b), what: `u[${a},${b}]` };
    }
    case 3: {
      let a = BigInt.asIntN(64, randValue(r));
      let b = r.chance(0.5) ? a + BigInt(r.int(1000)) : BigInt.asIntN(64, randValue(r));
      if (b > (1n << 63n) - 1n) b = (1n << 63n) - 1n;
      if (a > b) [a, b] = [b, a];
      return { s: scalarOf(TNUM_UNKNOWN, { ...BOUNDS_UNKNOWN, smin: a, smax: b }), draw: () => u64(between(r, a, b)), what: `s[${a},${b}]` };
    }
    case 4: {
      // a 32-bit value: upper half zero, low half in a range
      let a = BigInt(r.u32());
      let b = r.chance(0.5) ? a + BigInt(r.int(300)) : BigInt(r.u32());
      if (b > 0xffff_ffffn) b = 0xffff_ffffn;
      if (a > b) [a, b] = [b, a];
      const s = makeScalar(TNUM_UNKNOWN, { ...BOUNDS_UNKNOWN, umax: 0xffff_ffffn, u32min: a, u32max: b });
      return { s: s!, draw: () => between(r, a, b), what: `u32[${a},${b}]` };
    }
    default: {
      // small non-negative range, the common case of indexes
      const hi = BigInt(r.int(600));
      const lo = BigInt(r.int(Number(hi) + 1));
      return { s: scalarOf(tnumRange(lo, hi), { ...BOUNDS_UNKNOWN, umin: lo, umax: hi }), draw: () => between(r, lo, hi), what: `small[${lo},${hi}]` };
    }
  }
}
