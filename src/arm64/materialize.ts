/**
 * Constant materialisation: the shortest sequence of MOVZ/MOVN/MOVK and ORR (bitmask immediate)
 * that leaves a value in a register. Candidates, shortest wins:
 *   - MOVZ + MOVK per non-zero halfword, or MOVN + MOVK per non-0xffff halfword;
 *   - a single ORR rd, zr, #bitmask;
 *   - ORR #bitmask + one or two MOVK, for values one or two halfwords away from a bitmask;
 *   - the best 32-bit sequence for the low half on the W register, since writing a W register
 *     zeroes bits 63:32 (ARM ARM B1.2.1) -- e.g. MOVN w0 gives 0x00000000ffffxxxx -- followed by
 *     a MOVK for each non-zero upper halfword.
 */
import { orrImm, movk, movn, movz } from './data-processing.js';
import { A64EncodeError } from './errors.js';
import { allLogicalImmediates, isLogicalImmediate, toUnsigned } from './logical-immediate.js';
import { gp } from './operands.js';
import { WZR, X0, XZR, withWidth, type GpReg, type RegWidth } from './registers.js';

function halfwords(u: bigint, width: RegWidth): number[] {
  const hs: number[] = [];
  for (let i = 0; i < width / 16; i++) hs.push(Number((u >> BigInt(16 * i)) & 0xffffn));
  return hs;
}

function moveWideSeq(rd: GpReg, hs: readonly number[], inverted: boolean): number[] {
  const fill = inverted ? 0xffff : 0;
  const out: number[] = [];
  hs.forEach((h, i) => {
    if (h === fill) return;
    if (out.length === 0) out.push(inverted ? movn(rd, ~h & 0xffff, 16 * i) : movz(rd, h, 16 * i));
    else out.push(movk(rd, h, 16 * i));
  });
  if (out.length === 0) out.push(inverted ? movn(rd, 0, 0) : movz(rd, 0, 0));
  return out;
}

/**
 * Bitmask immediates indexed by their value with some halfwords cleared: for each set of
 * halfword positions a MOVK could supply (one or two of them), the first immediate, in
 * ascending order, that agrees with a value everywhere else. Built once per width, so
 * finding an ORR + MOVK sequence is a few map lookups instead of a scan of all 5334.
 */
interface BitmaskIndex {
  readonly positions: readonly (readonly number[])[];
  readonly maps: readonly Map<bigint, bigint>[];
}
const indexes = new Map<RegWidth, BitmaskIndex>();

function clearMask(positions: readonly number[]): bigint {
  return positions.reduce((m, i) => m | (0xffffn << BigInt(16 * i)), 0n);
}

function bitmaskIndex(width: RegWidth): BitmaskIndex {
  let index = indexes.get(width);
  if (index) return index;
  const n = width / 16;
  const positions: number[][] = [];
  for (let i = 0; i < n; i++) positions.push([i]);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) positions.push([i, j]);
  const full = (1n << BigInt(width)) - 1n;
  const maps = positions.map((ps) => {
    const keep = full & ~clearMask(ps);
    const map = new Map<bigint, bigint>();
    for (const imm of allLogicalImmediates(width)) {
      const key = imm & keep;
      if (!map.has(key)) map.set(key, imm);
    }
    return map;
  });
  index = { positions, maps };
  indexes.set(width, index);
  return index;
}

function bitmaskSeq(rd: GpReg, u: bigint, hs: readonly number[], width: RegWidth, maxMovk: number): number[] | null {
  const zr = rd.width === 64 ? XZR : WZR;
  if (isLogicalImmediate(u, width)) return [orrImm(rd, zr, u)];
  if (maxMovk === 0) return null;
  const { positions, maps } = bitmaskIndex(width);
  const full = (1n << BigInt(width)) - 1n;
  for (let movks = 1; movks <= maxMovk; movks++) {
    for (let k = 0; k < positions.length; k++) {
      const ps = positions[k]!;
      if (ps.length !== movks) continue;
      const imm = maps[k]!.get(u & full & ~clearMask(ps));
      if (imm === undefined) continue;
      const bh = halfwords(imm, width);
      const diff = ps.filter((i) => bh[i] !== hs[i]);
      return [orrImm(rd, zr, imm), ...diff.map((i) => movk(rd, hs[i]!, 16 * i))];
    }
  }
  return null;
}

function shortest(width: RegWidth, rd: GpReg, u: bigint): number[] {
  const hs = halfwords(u, width);
  let best = moveWideSeq(rd, hs, false);
  const consider = (seq: number[] | null): void => {
    if (seq && seq.length < best.length) best = seq;
  };
  consider(moveWideSeq(rd, hs, true));
  if (best.length > 1) consider(bitmaskSeq(rd, u, hs, width, best.length - 2));
  if (width === 64 && best.length > 1) {
    // Build the low half on the W register (which zeroes bits 63:32), then MOVK the upper halfwords.
    const low = shortest(32, withWidth(rd, 32), u & 0xffffffffn);
    const high = hs.slice(2).flatMap((h, i) => (h === 0 ? [] : [movk(rd, h, 32 + 16 * i)]));
    consider([...low, ...high]);
  }
  return best;
}

/**
 * Instruction words that set `rd` to `value`. `width` defaults to the register's; a 32-bit
 * constant in an X register is zero-extended. Negative values are two's complement of `width`.
 */
export function materialize(rd: GpReg, value: bigint | number, width: RegWidth = rd.width): number[] {
  gp('mov', 'rd', rd, 'zr');
  if (rd.num === 31) throw new A64EncodeError('mov', 'rd', `${rd.name}: cannot materialise into the zero register`);
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new A64EncodeError('mov', 'imm', `${value} is not a safe integer; pass a bigint`);
  // one MOVZ or MOVN: the search below would find exactly that (nothing is shorter), and it is
  // most constants a JIT sees
  if (typeof value === 'number' || (value >= -0x1_0000n && value < 0x1_0000n)) {
    const v = Number(value);
    if (v >= 0 && v < 0x1_0000) return [movz(withWidth(rd, width), v, 0)];
    if (v < 0 && v > -0x1_0000) return [movn(withWidth(rd, width), ~v & 0xffff, 0)];
  }
  const u = toUnsigned(value, width);
  if (u === null) throw new A64EncodeError('mov', 'imm', `#${String(value)} does not fit in ${width} bits`);
  // The search is costly and JIT code repeats its constants: sequences are cached for x0 and
  // re-targeted, since every word of them (MOVZ/MOVN/MOVK, ORR Rd, ZR, #imm) has Rd in bits 4:0.
  const cache = width === 64 ? CACHE64 : CACHE32;
  let seq = cache.get(u);
  if (seq === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    seq = shortest(width, withWidth(X0, width), u);
    cache.set(u, seq);
  }
  const r = rd.num;
  return seq.map((w) => ((w & ~31) | r) >>> 0);
}

const CACHE_LIMIT = 4096;
const CACHE64 = new Map<bigint, number[]>();
const CACHE32 = new Map<bigint, number[]>();
