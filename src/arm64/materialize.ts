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
import { allLogicalImmediates, logicalFieldsHiLo } from './logical-immediate.js';
import { gp } from './operands.js';
import { W0, WZR, X0, XZR, withWidth, type GpReg, type RegWidth } from './registers.js';

// Everything below works on the value's halfwords as numbers (BigInt arithmetic allocates at
// every step, and this runs for most constants of every compile) and builds the words for
// register 0: every word of a sequence (MOVZ/MOVN/MOVK, ORR Rd, ZR, #imm) has Rd in bits 4:0,
// so `materialize` re-targets them with one OR.

/** MOVZ/MOVN/MOVK of register 0 with imm16 = 0 and hw = 0, per width: the fields are ORed in. */
const MOVZ = { 32: movz(W0, 0, 0), 64: movz(X0, 0, 0) } as const;
const MOVN = { 32: movn(W0, 0, 0), 64: movn(X0, 0, 0) } as const;
const MOVK = { 32: movk(W0, 0, 0), 64: movk(X0, 0, 0) } as const;
/** ORR w0/x0, zr, #imm without the N:immr:imms fields (bits 22:10). */
const ORR = { 32: orrImm(W0, WZR, 1) & ~0x7ffc00, 64: orrImm(X0, XZR, 1) & ~0x7ffc00 } as const;

const moveWord = (base: number, h: number, i: number): number => (base | (i << 21) | (h << 5)) >>> 0;

function moveWideSeq(width: RegWidth, hs: readonly number[], inverted: boolean): number[] {
  const fill = inverted ? 0xffff : 0;
  const out: number[] = [];
  for (let i = 0; i < hs.length; i++) {
    const h = hs[i]!;
    if (h === fill) continue;
    if (out.length === 0) out.push(inverted ? moveWord(MOVN[width], ~h & 0xffff, i) : moveWord(MOVZ[width], h, i));
    else out.push(moveWord(MOVK[width], h, i));
  }
  if (out.length === 0) out.push(moveWord(inverted ? MOVN[width] : MOVZ[width], 0, 0));
  return out;
}

/**
 * Bitmask immediates indexed by their value with some halfwords cleared: for each set of
 * halfword positions a MOVK could supply (one or two of them), the first immediate, in
 * ascending order, that agrees with a value everywhere else. Built once per width, so
 * finding an ORR + MOVK sequence is a few map lookups instead of a scan of all 5334. Keys are
 * the kept halfwords as one number (at most three of them: 48 bits).
 */
interface BitmaskIndex {
  readonly positions: readonly (readonly number[])[];
  /** per position set: key -> the immediate's ORR word and halfwords */
  readonly maps: readonly Map<number, { readonly word: number; readonly hs: readonly number[] }>[];
}
const indexes = new Map<RegWidth, BitmaskIndex>();

/** The halfwords of hs outside `cleared`, as one number. */
function keptKey(hs: readonly number[], cleared: readonly number[]): number {
  let key = 0;
  for (let i = hs.length - 1; i >= 0; i--) if (!cleared.includes(i)) key = key * 0x1_0000 + hs[i]!;
  return key;
}

function bitmaskIndex(width: RegWidth): BitmaskIndex {
  let index = indexes.get(width);
  if (index) return index;
  const n = width / 16;
  const positions: number[][] = [];
  for (let i = 0; i < n; i++) positions.push([i]);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) positions.push([i, j]);
  const entries = allLogicalImmediates(width).map((imm) => {
    const hs = Array.from({ length: n }, (_, i) => Number((imm >> BigInt(16 * i)) & 0xffffn));
    return { word: orrWord(width, n === 4 ? hs[2]! | (hs[3]! << 16) : 0, (hs[0]! | (hs[1]! << 16)) >>> 0), hs };
  });
  const maps = positions.map((ps) => {
    const map = new Map<number, { word: number; hs: readonly number[] }>();
    for (const entry of entries) {
      const key = keptKey(entry.hs, ps);
      if (!map.has(key)) map.set(key, entry);
    }
    return map;
  });
  index = { positions, maps };
  indexes.set(width, index);
  return index;
}

/** ORR rd, zr, #hi:lo when that is a bitmask immediate, else -1. */
function orrWord(width: RegWidth, hi: number, lo: number): number {
  const f = logicalFieldsHiLo(width === 64 ? hi >>> 0 : 0, lo >>> 0, width);
  return f < 0 ? -1 : (ORR[width] | ((f >>> 12) << 22) | (((f >>> 6) & 0x3f) << 16) | ((f & 0x3f) << 10)) >>> 0;
}

function bitmaskSeq(width: RegWidth, hi: number, lo: number, hs: readonly number[], maxMovk: number): number[] | null {
  const orr = orrWord(width, hi, lo);
  if (orr >= 0) return [orr];
  if (maxMovk === 0) return null;
  const { positions, maps } = bitmaskIndex(width);
  for (let movks = 1; movks <= maxMovk; movks++) {
    for (let k = 0; k < positions.length; k++) {
      const ps = positions[k]!;
      if (ps.length !== movks) continue;
      const imm = maps[k]!.get(keptKey(hs, ps));
      if (imm === undefined) continue;
      const out = [imm.word];
      for (const i of ps) if (imm.hs[i] !== hs[i]) out.push(moveWord(MOVK[width], hs[i]!, i));
      return out;
    }
  }
  return null;
}

function shortest(width: RegWidth, hi: number, lo: number): number[] {
  const hs = width === 64 ? [lo & 0xffff, lo >>> 16, hi & 0xffff, hi >>> 16] : [lo & 0xffff, lo >>> 16];
  let best = moveWideSeq(width, hs, false);
  const consider = (seq: number[] | null): void => {
    if (seq && seq.length < best.length) best = seq;
  };
  consider(moveWideSeq(width, hs, true));
  if (best.length > 1) consider(bitmaskSeq(width, hi, lo, hs, best.length - 2));
  if (width === 64 && best.length > 1) {
    // Build the low half on the W register (which zeroes bits 63:32), then MOVK the upper halfwords.
    const seq = shortest(32, 0, lo);
    for (let i = 2; i < 4; i++) if (hs[i] !== 0) seq.push(moveWord(MOVK[64], hs[i]!, i));
    consider(seq);
  }
  return best;
}

const TWO32 = 0x1_0000_0000;

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
  // the value's two's complement at `width` as two unsigned 32-bit halves
  let hi: number;
  let lo: number;
  const fits = typeof value === 'number' ? value >= -(2 ** (width - 1)) && value < 2 ** width : value >= -(1n << BigInt(width - 1)) && value < 1n << BigInt(width);
  if (!fits) throw new A64EncodeError('mov', 'imm', `#${String(value)} does not fit in ${width} bits`);
  if (typeof value === 'number') {
    const p = Math.abs(value);
    lo = p % TWO32;
    hi = Math.floor(p / TWO32);
    if (value < 0) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
  } else {
    lo = Number(BigInt.asUintN(32, value));
    hi = Number(BigInt.asUintN(32, value >> 32n));
  }
  if (width === 32) hi = 0;
  const r = rd.num;
  const seq = shortest(width, hi, lo);
  for (let i = 0; i < seq.length; i++) seq[i] = (seq[i]! | r) >>> 0;
  return seq;
}
