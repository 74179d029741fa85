/**
 * Logical ("bitmask") immediates of AND/ORR/EOR/ANDS/TST (ARM ARM C6.2, DecodeBitMasks in J1).
 *
 * A bitmask immediate is an element of e = 2, 4, 8, 16, 32 or 64 bits, replicated across the
 * register, where the element is a run of s+1 ones (s+1 < e) rotated right by r. The encoding is
 * N:immr:imms with N=1 only for e=64, immr = r, and imms = the element size in unary-ish form
 * (high bits, see `imms` below) followed by s. All-zeros and all-ones are not representable.
 */
import type { RegWidth } from './registers.js';

export interface LogicalImmFields {
  readonly n: number;
  readonly immr: number;
  readonly imms: number;
}

const MASK64 = (1n << 64n) - 1n;

/** (1 << bits) - 1 for 0..64, precomputed: masks are on the constant-materialisation hot path. */
const MASKS: readonly bigint[] = Array.from({ length: 65 }, (_, bits) => (1n << BigInt(bits)) - 1n);

function mask(bits: number): bigint {
  return MASKS[bits] ?? (1n << BigInt(bits)) - 1n;
}

function rorElement(v: bigint, r: number, e: number): bigint {
  if (r === 0) return v;
  const eb = BigInt(e);
  const rb = BigInt(r);
  return ((v >> rb) | (v << (eb - rb))) & mask(e);
}

function replicate(elem: bigint, e: number, width: RegWidth): bigint {
  let v = 0n;
  for (let i = 0; i < width; i += e) v |= elem << BigInt(i);
  return v;
}

/** Normalise to the unsigned value of the given width, or null when it does not fit at all. */
export function toUnsigned(value: bigint | number, width: RegWidth): bigint | null {
  const v = BigInt(value);
  const w = BigInt(width);
  if (v < -(1n << (w - 1n)) || v > mask(width)) return null;
  return v & mask(width);
}

/**
 * Encode `value` as a logical immediate of the given register width. Negative values are taken
 * as two's complement of that width. Returns null when not representable.
 */
export function encodeLogicalImmediate(value: bigint | number, width: RegWidth): LogicalImmFields | null {
  const f = logicalFields(value, width);
  return f < 0 ? null : { n: f >>> 12, immr: (f >>> 6) & 0x3f, imms: f & 0x3f };
}

export function isLogicalImmediate(value: bigint | number, width: RegWidth): boolean {
  return logicalFields(value, width) >= 0;
}

const TWO32 = 0x1_0000_0000;
const MIN64 = -(1n << 63n);
const MIN32 = -(1n << 31n);

/**
 * N:immr:imms packed as (n << 12) | (immr << 6) | imms, or -1. On the two 32-bit halves of
 * the value as numbers: this is on the hot path of every compile (constant materialisation
 * asks it about most constants), where BigInt arithmetic allocates at every step.
 */
function logicalFields(value: bigint | number, width: RegWidth): number {
  let hi: number;
  let lo: number;
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    if (width === 32) {
      if (value < -0x8000_0000 || value >= TWO32) return -1;
      return logicalFieldsHiLo(0, value >>> 0, 32);
    }
    if (value >= 0) {
      lo = value % TWO32;
      hi = Math.floor(value / TWO32);
    } else {
      // two's complement of |value| (< 2^53) across the halves: ~x + 1 with the carry
      const p = -value;
      lo = (~(p % TWO32) + 1) >>> 0;
      hi = (~Math.floor(p / TWO32) + (lo === 0 ? 1 : 0)) >>> 0;
    }
    return logicalFieldsHiLo(hi, lo, 64);
  }
  const v = BigInt(value);
  if (v < (width === 64 ? MIN64 : MIN32) || v > mask(width)) return -1;
  lo = Number(BigInt.asUintN(32, v));
  hi = width === 64 ? Number(BigInt.asUintN(32, v >> 32n)) : 0;
  return logicalFieldsHiLo(hi, lo, width);
}

/**
 * The fields of the value hi:lo (unsigned 32-bit halves; hi = 0 for width 32), or -1. The
 * element is the smallest period of the value; it is a run of ones rotated right by r (ARM
 * ARM DecodeBitMasks): either the run does not wrap (the element is one contiguous block) or
 * it does (its complement is one block), and the block's position gives r directly.
 */
export function logicalFieldsHiLo(hi: number, lo: number, width: RegWidth): number {
  let e: number;
  let ones: number;
  let start: number;
  if (width === 64 && hi !== lo) {
    ones = popcount32(hi) + popcount32(lo);
    if (contiguous64(hi, lo)) start = lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
    else {
      const ih = ~hi >>> 0;
      const il = ~lo >>> 0;
      if (!contiguous64(ih, il)) return -1;
      start = ((il !== 0 ? ctz32(il) : 32 + ctz32(ih)) + (64 - ones)) % 64;
    }
    e = 64;
  } else {
    if (lo === 0 || lo === 0xffff_ffff) return -1;
    e = 32;
    let elem = lo;
    while (e > 2) {
      const half = e / 2;
      const m = (1 << half) - 1;
      if ((elem & m) !== ((elem >>> half) & m)) break;
      e = half;
      elem &= m;
    }
    ones = popcount32(elem);
    if (contiguous32(elem)) start = ctz32(elem);
    else {
      const inv = (~elem & (e === 32 ? 0xffff_ffff : (1 << e) - 1)) >>> 0;
      if (!contiguous32(inv)) return -1;
      start = (ctz32(inv) + (e - ones)) % e;
    }
  }
  // ROR(run at bit 0, r) starts the run at bit (e - r) mod e.
  const r = (e - start) % e;
  // imms high bits encode e: 0xxxxx for 32 (or 64 with N=1), 10xxxx for 16, ..., 11110x for 2.
  const imms = ((-e << 1) & 0x3f) | (ones - 1);
  return ((e === 64 ? 1 : 0) << 12) | (r << 6) | imms;
}

/** One block of consecutive ones (x != 0, unsigned 32-bit): adding the lowest set bit carries through it. */
function contiguous32(x: number): boolean {
  return x !== 0 && ((x + ((x & -x) >>> 0)) & x) === 0;
}

/** One block of ones in hi:lo: within one half, or from bit 31 of lo up and from bit 0 of hi. */
function contiguous64(hi: number, lo: number): boolean {
  if (hi === 0) return contiguous32(lo);
  if (lo === 0) return contiguous32(hi);
  return contiguous32(lo) && lo >>> 31 === 1 && (hi & (hi + 1)) === 0;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x5555_5555;
  x = (x & 0x3333_3333) + ((x >>> 2) & 0x3333_3333);
  x = (x + (x >>> 4)) & 0x0f0f_0f0f;
  return Math.imul(x, 0x0101_0101) >>> 24;
}

/** Decode N:immr:imms for a register width; null for the reserved encodings. */
export function decodeLogicalImmediate(n: number, immr: number, imms: number, width: RegWidth): bigint | null {
  if (width === 32 && n !== 0) return null;
  const combined = (n << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  if (len < 1) return null;
  const e = 1 << len;
  const levels = e - 1;
  const s = imms & levels;
  const r = immr & levels;
  if (s === levels) return null;
  return replicate(rorElement(mask(s + 1), r, e), e, width) & MASK64;
}

let all64: bigint[] | undefined;
let all32: bigint[] | undefined;

/** Every representable value of a width (5334 for 64-bit, 1302 for 32-bit), ascending. */
export function allLogicalImmediates(width: RegWidth): readonly bigint[] {
  const cached = width === 64 ? all64 : all32;
  if (cached) return cached;
  const set = new Set<bigint>();
  for (let n = 0; n <= (width === 64 ? 1 : 0); n++)
    for (let immr = 0; immr < 64; immr++)
      for (let imms = 0; imms < 64; imms++) {
        const v = decodeLogicalImmediate(n, immr, imms, width);
        if (v !== null) set.add(v);
      }
  const list = [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (width === 64) all64 = list;
  else all32 = list;
  return list;
}
