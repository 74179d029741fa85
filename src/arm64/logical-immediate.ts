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
  const u = toUnsigned(value, width);
  if (u === null) return null;
  // cached: the JIT asks about the same few masks over and over
  const cache = width === 64 ? ENCODED64 : ENCODED32;
  const hit = cache.get(u);
  if (hit !== undefined) return hit;
  if (cache.size >= 4096) cache.clear();
  const fields = encodeUncached(u, width);
  cache.set(u, fields);
  return fields;
}

const ENCODED64 = new Map<bigint, LogicalImmFields | null>();
const ENCODED32 = new Map<bigint, LogicalImmFields | null>();

function encodeUncached(u: bigint | null, width: RegWidth): LogicalImmFields | null {
  if (u === null || u === 0n || u === mask(width)) return null;
  // Find the smallest element size the value is periodic in.
  let e: number = width;
  while (e > 2) {
    const half = e / 2;
    if ((u & mask(half)) !== ((u >> BigInt(half)) & mask(half))) break;
    e = half;
  }
  const elem = u & mask(e);
  // The element is a run of ones rotated right by r (ARM ARM DecodeBitMasks). Either the run
  // does not wrap (elem is one contiguous block) or it does (its complement is one block);
  // the block's position gives r directly, with no search over rotations.
  const ones = popcount(elem);
  let start: number;
  if (isContiguous(elem)) start = trailingZeros(elem);
  else {
    const inv = ~elem & mask(e);
    if (!isContiguous(inv)) return null;
    start = (trailingZeros(inv) + (e - ones)) % e;
  }
  // ROR(run at bit 0, r) starts the run at bit (e - r) mod e.
  const r = (e - start) % e;
  // imms high bits encode e: 0xxxxx for 32 (or 64 with N=1), 10xxxx for 16, ..., 11110x for 2.
  const imms = ((-e << 1) & 0x3f) | (ones - 1);
  return { n: e === 64 ? 1 : 0, immr: r, imms };
}

/** One block of consecutive ones (x != 0): adding the lowest set bit carries through it. */
function isContiguous(x: bigint): boolean {
  return x !== 0n && ((x + (x & -x)) & x) === 0n;
}

function trailingZeros(x: bigint): number {
  return (x & -x).toString(2).length - 1;
}

function popcount(x: bigint): number {
  let n = 0;
  for (const c of x.toString(2)) if (c === '1') n++;
  return n;
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

export function isLogicalImmediate(value: bigint | number, width: RegWidth): boolean {
  return encodeLogicalImmediate(value, width) !== null;
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
