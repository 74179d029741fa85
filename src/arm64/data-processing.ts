/**
 * Integer data-processing encoders (ARM ARM C4.1.2 "Data Processing -- Immediate" and C4.1.5
 * "Data Processing -- Register"). Each function returns the 32-bit instruction word.
 *
 * Width comes from the destination register: X operands give the 64-bit form, W the 32-bit form,
 * and the other operands must agree (except where the ISA mixes them, e.g. extended registers).
 * Parameters are typed `GpReg` even where only one width exists (SXTW, UMULH, ...): a JIT picks
 * widths at run time, so the width rules are checked at run time, with the operand named.
 */
import type { Cond } from './conditions.js';
import { A64EncodeError } from './errors.js';
import { encodeLogicalImmediate } from './logical-immediate.js';
import { gp, inRange, sameWidth, sf, uimm } from './operands.js';
import { WZR, XZR, type GpReg, type RegWidth } from './registers.js';

export type Shift = 'lsl' | 'lsr' | 'asr' | 'ror';
export type Extend = 'uxtb' | 'uxth' | 'uxtw' | 'uxtx' | 'sxtb' | 'sxth' | 'sxtw' | 'sxtx';

export const SHIFT_CODES: Readonly<Record<Shift, number>> = { lsl: 0, lsr: 1, asr: 2, ror: 3 };
export const EXTEND_CODES: Readonly<Record<Extend, number>> = {
  uxtb: 0, uxth: 1, uxtw: 2, uxtx: 3, sxtb: 4, sxth: 5, sxtw: 6, sxtx: 7,
};

const w32 = (x: number): number => x >>> 0;

// ---------------------------------------------------------------------------------------------
// Add/subtract

/** op (bit 30) and S (bit 29) of the four add/subtract flavours. */
const ADDSUB = { add: [0, 0], adds: [0, 1], sub: [1, 0], subs: [1, 1] } as const;
type AddSubOp = keyof typeof ADDSUB;

function addSubImm(mn: string, op: AddSubOp, rd: GpReg, rn: GpReg, imm: number, shift: 0 | 12): number {
  const [o, s] = ADDSUB[op];
  const width = rd.width;
  // Flag-setting forms write the zero register where the plain forms write SP.
  const d = gp(mn, 'rd', rd, s ? 'zr' : 'sp');
  const n = gp(mn, 'rn', rn, 'sp', width);
  uimm(mn, 'imm', imm, 12);
  if (shift !== 0 && shift !== 12) throw new A64EncodeError(mn, 'shift', `lsl #${String(shift)} (only 0 or 12)`);
  return w32((sf(width) << 31) | (o << 30) | (s << 29) | 0x11000000 | ((shift === 12 ? 1 : 0) << 22) | (imm << 10) | (n << 5) | d);
}

function addSubShifted(mn: string, op: AddSubOp, rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift, amount: number): number {
  const [o, s] = ADDSUB[op];
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  const n = gp(mn, 'rn', rn, 'zr', width);
  const m = gp(mn, 'rm', rm, 'zr', width);
  if (shift === 'ror' || !(shift in SHIFT_CODES)) throw new A64EncodeError(mn, 'shift', `${String(shift)} is not allowed (lsl, lsr, asr)`);
  inRange(mn, 'amount', amount, 0, width - 1);
  return w32((sf(width) << 31) | (o << 30) | (s << 29) | 0x0b000000 | (SHIFT_CODES[shift] << 22) | (m << 16) | (amount << 10) | (n << 5) | d);
}

function addSubExtended(mn: string, op: AddSubOp, rd: GpReg, rn: GpReg, rm: GpReg, extend: Extend, amount: number): number {
  const [o, s] = ADDSUB[op];
  const width = rd.width;
  const d = gp(mn, 'rd', rd, s ? 'zr' : 'sp');
  const n = gp(mn, 'rn', rn, 'sp', width);
  if (!(extend in EXTEND_CODES)) throw new A64EncodeError(mn, 'extend', `${String(extend)} is not an extend`);
  // Only the X-sized extends take an X source register; everything else reads a W register.
  const mWidth: RegWidth = width === 64 && (extend === 'uxtx' || extend === 'sxtx') ? 64 : 32;
  const m = gp(mn, 'rm', rm, 'zr', mWidth);
  inRange(mn, 'amount', amount, 0, 4);
  return w32((sf(width) << 31) | (o << 30) | (s << 29) | 0x0b200000 | (m << 16) | (EXTEND_CODES[extend] << 13) | (amount << 10) | (n << 5) | d);
}

/** ADD (immediate): rd = rn + (imm12 << shift). rd and rn may be SP. */
export const addImm = (rd: GpReg, rn: GpReg, imm: number, shift: 0 | 12 = 0): number => addSubImm('add', 'add', rd, rn, imm, shift);
export const addsImm = (rd: GpReg, rn: GpReg, imm: number, shift: 0 | 12 = 0): number => addSubImm('adds', 'adds', rd, rn, imm, shift);
export const subImm = (rd: GpReg, rn: GpReg, imm: number, shift: 0 | 12 = 0): number => addSubImm('sub', 'sub', rd, rn, imm, shift);
export const subsImm = (rd: GpReg, rn: GpReg, imm: number, shift: 0 | 12 = 0): number => addSubImm('subs', 'subs', rd, rn, imm, shift);

/** ADD (shifted register): rd = rn + (rm shift amount). No SP operands. */
export const addReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('add', 'add', rd, rn, rm, shift, amount);
export const addsReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('adds', 'adds', rd, rn, rm, shift, amount);
export const subReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('sub', 'sub', rd, rn, rm, shift, amount);
export const subsReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('subs', 'subs', rd, rn, rm, shift, amount);

/** ADD (extended register): rd = rn + (extend(rm) << amount), amount 0..4. rd (non-flag forms) and rn may be SP. */
export const addExt = (rd: GpReg, rn: GpReg, rm: GpReg, extend: Extend, amount = 0): number =>
  addSubExtended('add', 'add', rd, rn, rm, extend, amount);
export const addsExt = (rd: GpReg, rn: GpReg, rm: GpReg, extend: Extend, amount = 0): number =>
  addSubExtended('adds', 'adds', rd, rn, rm, extend, amount);
export const subExt = (rd: GpReg, rn: GpReg, rm: GpReg, extend: Extend, amount = 0): number =>
  addSubExtended('sub', 'sub', rd, rn, rm, extend, amount);
export const subsExt = (rd: GpReg, rn: GpReg, rm: GpReg, extend: Extend, amount = 0): number =>
  addSubExtended('subs', 'subs', rd, rn, rm, extend, amount);

const zrOf = (r: GpReg): GpReg => (r.width === 64 ? XZR : WZR);

/** CMP = SUBS zr, rn, ...; CMN = ADDS zr, rn, ... */
export const cmpImm = (rn: GpReg, imm: number, shift: 0 | 12 = 0): number => addSubImm('cmp', 'subs', zrOf(rn), rn, imm, shift);
export const cmnImm = (rn: GpReg, imm: number, shift: 0 | 12 = 0): number => addSubImm('cmn', 'adds', zrOf(rn), rn, imm, shift);
export const cmpReg = (rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('cmp', 'subs', zrOf(rn), rn, rm, shift, amount);
export const cmnReg = (rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('cmn', 'adds', zrOf(rn), rn, rm, shift, amount);
export const cmpExt = (rn: GpReg, rm: GpReg, extend: Extend, amount = 0): number =>
  addSubExtended('cmp', 'subs', zrOf(rn), rn, rm, extend, amount);
export const cmnExt = (rn: GpReg, rm: GpReg, extend: Extend, amount = 0): number =>
  addSubExtended('cmn', 'adds', zrOf(rn), rn, rm, extend, amount);
/** NEG = SUB rd, zr, rm; NEGS = SUBS rd, zr, rm. */
export const neg = (rd: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('neg', 'sub', rd, zrOf(rd), rm, shift, amount);
export const negs = (rd: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number =>
  addSubShifted('negs', 'subs', rd, zrOf(rd), rm, shift, amount);

/** True when `imm` fits ADD/SUB (immediate), directly or as imm12 << 12. */
export function isAddSubImmediate(imm: number): boolean {
  return Number.isInteger(imm) && imm >= 0 && (imm < 4096 || (imm % 4096 === 0 && imm < 4096 * 4096));
}

// ---------------------------------------------------------------------------------------------
// Logical

/** opc (bits 30:29) and N (bit 21 of the register form: negate rm). */
const LOGICAL = {
  and: [0, 0], bic: [0, 1], orr: [1, 0], orn: [1, 1], eor: [2, 0], eon: [2, 1], ands: [3, 0], bics: [3, 1],
} as const;
export type LogicalOp = keyof typeof LOGICAL;

function logicalShifted(mn: string, op: LogicalOp, rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift, amount: number): number {
  const [opc, nbit] = LOGICAL[op];
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  const n = gp(mn, 'rn', rn, 'zr', width);
  const m = gp(mn, 'rm', rm, 'zr', width);
  if (!(shift in SHIFT_CODES)) throw new A64EncodeError(mn, 'shift', `${String(shift)} is not a shift`);
  inRange(mn, 'amount', amount, 0, width - 1);
  return w32((sf(width) << 31) | (opc << 29) | 0x0a000000 | (SHIFT_CODES[shift] << 22) | (nbit << 21) | (m << 16) | (amount << 10) | (n << 5) | d);
}

function logicalImm(mn: string, op: 'and' | 'orr' | 'eor' | 'ands', rd: GpReg, rn: GpReg, imm: bigint | number): number {
  const [opc] = LOGICAL[op];
  const width = rd.width;
  // Like ADD, the non-flag-setting forms may write SP (e.g. to align the stack pointer).
  const d = gp(mn, 'rd', rd, op === 'ands' ? 'zr' : 'sp');
  const n = gp(mn, 'rn', rn, 'zr', width);
  const f = encodeLogicalImmediate(imm, width);
  if (!f) throw new A64EncodeError(mn, 'imm', `#${String(imm)} is not a ${width}-bit logical (bitmask) immediate`);
  return w32((sf(width) << 31) | (opc << 29) | 0x12000000 | (f.n << 22) | (f.immr << 16) | (f.imms << 10) | (n << 5) | d);
}

export const andReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('and', 'and', rd, rn, rm, shift, amount);
export const andsReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('ands', 'ands', rd, rn, rm, shift, amount);
export const orrReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('orr', 'orr', rd, rn, rm, shift, amount);
export const eorReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('eor', 'eor', rd, rn, rm, shift, amount);
export const bicReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('bic', 'bic', rd, rn, rm, shift, amount);
export const bicsReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('bics', 'bics', rd, rn, rm, shift, amount);
export const ornReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('orn', 'orn', rd, rn, rm, shift, amount);
export const eonReg = (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('eon', 'eon', rd, rn, rm, shift, amount);
/** TST = ANDS zr, rn, rm; MVN = ORN rd, zr, rm. */
export const tstReg = (rn: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('tst', 'ands', zrOf(rn), rn, rm, shift, amount);
export const mvn = (rd: GpReg, rm: GpReg, shift: Shift = 'lsl', amount = 0): number => logicalShifted('mvn', 'orn', rd, zrOf(rd), rm, shift, amount);

/** Logical immediates: `imm` is any value of the register width (negative = two's complement). */
export const andImm = (rd: GpReg, rn: GpReg, imm: bigint | number): number => logicalImm('and', 'and', rd, rn, imm);
export const andsImm = (rd: GpReg, rn: GpReg, imm: bigint | number): number => logicalImm('ands', 'ands', rd, rn, imm);
export const orrImm = (rd: GpReg, rn: GpReg, imm: bigint | number): number => logicalImm('orr', 'orr', rd, rn, imm);
export const eorImm = (rd: GpReg, rn: GpReg, imm: bigint | number): number => logicalImm('eor', 'eor', rd, rn, imm);
export const tstImm = (rn: GpReg, imm: bigint | number): number => logicalImm('tst', 'ands', zrOf(rn), rn, imm);

// ---------------------------------------------------------------------------------------------
// Moves

const MOVE_WIDE = { movn: 0, movz: 2, movk: 3 } as const;

function moveWide(mn: keyof typeof MOVE_WIDE, rd: GpReg, imm16: number, shift: number): number {
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  uimm(mn, 'imm', imm16, 16);
  if (!Number.isInteger(shift) || shift < 0 || shift % 16 !== 0 || shift >= width)
    throw new A64EncodeError(mn, 'shift', `lsl #${shift} (allowed: ${width === 64 ? '0, 16, 32, 48' : '0, 16'})`);
  return w32((sf(width) << 31) | (MOVE_WIDE[mn] << 29) | 0x12800000 | ((shift / 16) << 21) | (imm16 << 5) | d);
}

/** MOVZ: rd = imm16 << shift. */
export const movz = (rd: GpReg, imm16: number, shift = 0): number => moveWide('movz', rd, imm16, shift);
/** MOVN: rd = ~(imm16 << shift). */
export const movn = (rd: GpReg, imm16: number, shift = 0): number => moveWide('movn', rd, imm16, shift);
/** MOVK: replace 16 bits of rd at `shift`, keeping the rest. */
export const movk = (rd: GpReg, imm16: number, shift = 0): number => moveWide('movk', rd, imm16, shift);

/**
 * MOV (register). Copies involving SP must use ADD #0 because ORR reads register 31 as zero
 * (ARM ARM C6.2 MOV (to/from SP)); everything else is ORR rd, zr, rm.
 */
export function mov(rd: GpReg, rm: GpReg): number {
  sameWidth('mov', 'rm', rm, rd.width);
  if (rd.isSp || rm.isSp) {
    return addSubImm('mov', 'add', rd, rm, 0, 0);
  }
  return logicalShifted('mov', 'orr', rd, zrOf(rd), rm, 'lsl', 0);
}

// ---------------------------------------------------------------------------------------------
// Multiply and divide

function dp3(mn: string, op31: number, o0: number, rd: GpReg, rn: GpReg, rm: GpReg, ra: GpReg | null, widths?: [RegWidth, RegWidth]): number {
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  const [srcW, accW] = widths ?? [width, width];
  const n = gp(mn, 'rn', rn, 'zr', srcW);
  const m = gp(mn, 'rm', rm, 'zr', srcW);
  const a = ra === null ? 31 : gp(mn, 'ra', ra, 'zr', accW);
  return w32((sf(width) << 31) | 0x1b000000 | (op31 << 21) | (m << 16) | (o0 << 15) | (a << 10) | (n << 5) | d);
}

/** MADD: rd = ra + rn * rm. */
export const madd = (rd: GpReg, rn: GpReg, rm: GpReg, ra: GpReg): number => dp3('madd', 0, 0, rd, rn, rm, ra);
/** MSUB: rd = ra - rn * rm (with UDIV gives the remainder). */
export const msub = (rd: GpReg, rn: GpReg, rm: GpReg, ra: GpReg): number => dp3('msub', 0, 1, rd, rn, rm, ra);
export const mul = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp3('mul', 0, 0, rd, rn, rm, null);
export const mneg = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp3('mneg', 0, 1, rd, rn, rm, null);

function only64(mn: string, rd: GpReg): void {
  if (rd.width !== 64) throw new A64EncodeError(mn, 'rd', `${rd.name}: only the 64-bit form exists`);
}
/** UMULH/SMULH: high 64 bits of the 128-bit product. X registers only. */
export function umulh(rd: GpReg, rn: GpReg, rm: GpReg): number {
  only64('umulh', rd);
  return dp3('umulh', 6, 0, rd, rn, rm, null);
}
export function smulh(rd: GpReg, rn: GpReg, rm: GpReg): number {
  only64('smulh', rd);
  return dp3('smulh', 2, 0, rd, rn, rm, null);
}
/** UMADDL/SMADDL: xd = xa + wn * wm widened. */
export function umaddl(rd: GpReg, rn: GpReg, rm: GpReg, ra: GpReg): number {
  only64('umaddl', rd);
  return dp3('umaddl', 5, 0, rd, rn, rm, ra, [32, 64]);
}
export function smaddl(rd: GpReg, rn: GpReg, rm: GpReg, ra: GpReg): number {
  only64('smaddl', rd);
  return dp3('smaddl', 1, 0, rd, rn, rm, ra, [32, 64]);
}
export function umull(rd: GpReg, rn: GpReg, rm: GpReg): number {
  only64('umull', rd);
  return dp3('umull', 5, 0, rd, rn, rm, null, [32, 64]);
}
export function smull(rd: GpReg, rn: GpReg, rm: GpReg): number {
  only64('smull', rd);
  return dp3('smull', 1, 0, rd, rn, rm, null, [32, 64]);
}

const DP2 = { udiv: 0b000010, sdiv: 0b000011, lslv: 0b001000, lsrv: 0b001001, asrv: 0b001010, rorv: 0b001011 } as const;
type Dp2Op = keyof typeof DP2;

function dp2(mn: Dp2Op, rd: GpReg, rn: GpReg, rm: GpReg): number {
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  const n = gp(mn, 'rn', rn, 'zr', width);
  const m = gp(mn, 'rm', rm, 'zr', width);
  return w32((sf(width) << 31) | 0x1ac00000 | (m << 16) | (DP2[mn] << 10) | (n << 5) | d);
}

/** Division by zero yields 0 and INT_MIN / -1 yields INT_MIN; no trap (ARM ARM C6.2 SDIV). */
export const udiv = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp2('udiv', rd, rn, rm);
export const sdiv = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp2('sdiv', rd, rn, rm);
/** Variable shifts use the shift amount modulo the register width. */
export const lslv = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp2('lslv', rd, rn, rm);
export const lsrv = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp2('lsrv', rd, rn, rm);
export const asrv = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp2('asrv', rd, rn, rm);
export const rorv = (rd: GpReg, rn: GpReg, rm: GpReg): number => dp2('rorv', rd, rn, rm);

// ---------------------------------------------------------------------------------------------
// One-source: bit and byte reversal, counting

function dp1(mn: string, opcode: number, rd: GpReg, rn: GpReg): number {
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  const n = gp(mn, 'rn', rn, 'zr', width);
  return w32((sf(width) << 31) | 0x5ac00000 | (opcode << 10) | (n << 5) | d);
}

export const rbit = (rd: GpReg, rn: GpReg): number => dp1('rbit', 0, rd, rn);
/** REV16: swap the bytes of each halfword. */
export const rev16 = (rd: GpReg, rn: GpReg): number => dp1('rev16', 1, rd, rn);
/** REV32: swap the bytes of each word of an X register. */
export function rev32(rd: GpReg, rn: GpReg): number {
  only64('rev32', rd);
  return dp1('rev32', 2, rd, rn);
}
/** REV: reverse all bytes (opcode 2 in the 32-bit form, 3 in the 64-bit form). */
export const rev = (rd: GpReg, rn: GpReg): number => dp1('rev', rd.width === 64 ? 3 : 2, rd, rn);
export const clz = (rd: GpReg, rn: GpReg): number => dp1('clz', 4, rd, rn);
export const cls = (rd: GpReg, rn: GpReg): number => dp1('cls', 5, rd, rn);

// ---------------------------------------------------------------------------------------------
// Bitfield moves and their aliases

const BITFIELD = { sbfm: 0, bfm: 1, ubfm: 2 } as const;

function bitfield(mn: string, op: keyof typeof BITFIELD, rd: GpReg, rn: GpReg, immr: number, imms: number, rnWidth?: RegWidth): number {
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  const n = gp(mn, 'rn', rn, 'zr', rnWidth ?? width);
  inRange(mn, 'immr', immr, 0, width - 1);
  inRange(mn, 'imms', imms, 0, width - 1);
  const s = sf(width);
  return w32((s << 31) | (BITFIELD[op] << 29) | 0x13000000 | (s << 22) | (immr << 16) | (imms << 10) | (n << 5) | d);
}

export const sbfm = (rd: GpReg, rn: GpReg, immr: number, imms: number): number => bitfield('sbfm', 'sbfm', rd, rn, immr, imms);
export const bfm = (rd: GpReg, rn: GpReg, immr: number, imms: number): number => bitfield('bfm', 'bfm', rd, rn, immr, imms);
export const ubfm = (rd: GpReg, rn: GpReg, immr: number, imms: number): number => bitfield('ubfm', 'ubfm', rd, rn, immr, imms);

/** LSL #sh = UBFM rd, rn, #(-sh mod w), #(w-1-sh). */
export function lslImm(rd: GpReg, rn: GpReg, sh: number): number {
  const w = rd.width;
  inRange('lsl', 'shift', sh, 0, w - 1);
  return bitfield('lsl', 'ubfm', rd, rn, (w - sh) % w, w - 1 - sh);
}
export function lsrImm(rd: GpReg, rn: GpReg, sh: number): number {
  inRange('lsr', 'shift', sh, 0, rd.width - 1);
  return bitfield('lsr', 'ubfm', rd, rn, sh, rd.width - 1);
}
export function asrImm(rd: GpReg, rn: GpReg, sh: number): number {
  inRange('asr', 'shift', sh, 0, rd.width - 1);
  return bitfield('asr', 'sbfm', rd, rn, sh, rd.width - 1);
}

function checkField(mn: string, width: RegWidth, lsb: number, bits: number): void {
  inRange(mn, 'lsb', lsb, 0, width - 1);
  inRange(mn, 'width', bits, 1, width - lsb);
}
/** UBFX/SBFX: extract `bits` bits at `lsb` to the bottom, zero/sign-extended. */
export function ubfx(rd: GpReg, rn: GpReg, lsb: number, bits: number): number {
  checkField('ubfx', rd.width, lsb, bits);
  return bitfield('ubfx', 'ubfm', rd, rn, lsb, lsb + bits - 1);
}
export function sbfx(rd: GpReg, rn: GpReg, lsb: number, bits: number): number {
  checkField('sbfx', rd.width, lsb, bits);
  return bitfield('sbfx', 'sbfm', rd, rn, lsb, lsb + bits - 1);
}
/** UBFIZ/SBFIZ: insert the low `bits` bits at `lsb` into zeros / sign copies. */
export function ubfiz(rd: GpReg, rn: GpReg, lsb: number, bits: number): number {
  checkField('ubfiz', rd.width, lsb, bits);
  return bitfield('ubfiz', 'ubfm', rd, rn, (rd.width - lsb) % rd.width, bits - 1);
}
export function sbfiz(rd: GpReg, rn: GpReg, lsb: number, bits: number): number {
  checkField('sbfiz', rd.width, lsb, bits);
  return bitfield('sbfiz', 'sbfm', rd, rn, (rd.width - lsb) % rd.width, bits - 1);
}
/** BFI/BFXIL: insert into rd keeping its other bits. */
export function bfi(rd: GpReg, rn: GpReg, lsb: number, bits: number): number {
  checkField('bfi', rd.width, lsb, bits);
  return bitfield('bfi', 'bfm', rd, rn, (rd.width - lsb) % rd.width, bits - 1);
}
export function bfxil(rd: GpReg, rn: GpReg, lsb: number, bits: number): number {
  checkField('bfxil', rd.width, lsb, bits);
  return bitfield('bfxil', 'bfm', rd, rn, lsb, lsb + bits - 1);
}

/** Sign-extend byte/halfword of a W register into a W or X register. */
export const sxtb = (rd: GpReg, rn: GpReg): number => bitfield('sxtb', 'sbfm', rd, rn, 0, 7, 32);
export const sxth = (rd: GpReg, rn: GpReg): number => bitfield('sxth', 'sbfm', rd, rn, 0, 15, 32);
/** SXTW xd, wn = SBFM xd, xn, #0, #31. */
export function sxtw(rd: GpReg, rn: GpReg): number {
  only64('sxtw', rd);
  return bitfield('sxtw', 'sbfm', rd, rn, 0, 31, 32);
}
/** Zero-extend: only W forms exist (writing a W register already clears the top half). */
export function uxtb(rd: GpReg, rn: GpReg): number {
  if (rd.width !== 32) throw new A64EncodeError('uxtb', 'rd', `${rd.name}: only the 32-bit form exists`);
  return bitfield('uxtb', 'ubfm', rd, rn, 0, 7);
}
export function uxth(rd: GpReg, rn: GpReg): number {
  if (rd.width !== 32) throw new A64EncodeError('uxth', 'rd', `${rd.name}: only the 32-bit form exists`);
  return bitfield('uxth', 'ubfm', rd, rn, 0, 15);
}

/** EXTR: rd = (rn:rm) >> lsb, taking the low half. */
export function extr(rd: GpReg, rn: GpReg, rm: GpReg, lsb: number): number {
  const width = rd.width;
  const d = gp('extr', 'rd', rd, 'zr');
  const n = gp('extr', 'rn', rn, 'zr', width);
  const m = gp('extr', 'rm', rm, 'zr', width);
  inRange('extr', 'lsb', lsb, 0, width - 1);
  const s = sf(width);
  return w32((s << 31) | 0x13800000 | (s << 22) | (m << 16) | (lsb << 10) | (n << 5) | d);
}
/** ROR #sh = EXTR rd, rs, rs, #sh. */
export function rorImm(rd: GpReg, rs: GpReg, sh: number): number {
  inRange('ror', 'shift', sh, 0, rd.width - 1);
  return extr(rd, rs, rs, sh);
}

// ---------------------------------------------------------------------------------------------
// Conditional select

const CSEL = { csel: [0, 0], csinc: [0, 1], csinv: [1, 0], csneg: [1, 1] } as const;
type CselOp = keyof typeof CSEL;

function condSelect(mn: string, op: CselOp, rd: GpReg, rn: GpReg, rm: GpReg, cond: Cond): number {
  const [o, o2] = CSEL[op];
  const width = rd.width;
  const d = gp(mn, 'rd', rd, 'zr');
  const n = gp(mn, 'rn', rn, 'zr', width);
  const m = gp(mn, 'rm', rm, 'zr', width);
  uimm(mn, 'cond', cond, 4);
  return w32((sf(width) << 31) | (o << 30) | 0x1a800000 | (m << 16) | (cond << 12) | (o2 << 10) | (n << 5) | d);
}

export const csel = (rd: GpReg, rn: GpReg, rm: GpReg, cond: Cond): number => condSelect('csel', 'csel', rd, rn, rm, cond);
export const csinc = (rd: GpReg, rn: GpReg, rm: GpReg, cond: Cond): number => condSelect('csinc', 'csinc', rd, rn, rm, cond);
export const csinv = (rd: GpReg, rn: GpReg, rm: GpReg, cond: Cond): number => condSelect('csinv', 'csinv', rd, rn, rm, cond);
export const csneg = (rd: GpReg, rn: GpReg, rm: GpReg, cond: Cond): number => condSelect('csneg', 'csneg', rd, rn, rm, cond);

/** The aliases below invert the condition, which does not exist for AL/NV (ARM ARM C6.2 CSET). */
function invertible(mn: string, cond: Cond): Cond {
  uimm(mn, 'cond', cond, 4);
  if (cond >= 14) throw new A64EncodeError(mn, 'cond', 'al/nv cannot be inverted');
  return (cond ^ 1) as Cond;
}
/** CSET rd, cond: rd = cond ? 1 : 0. */
export const cset = (rd: GpReg, cond: Cond): number => condSelect('cset', 'csinc', rd, zrOf(rd), zrOf(rd), invertible('cset', cond));
/** CSETM rd, cond: rd = cond ? -1 : 0. */
export const csetm = (rd: GpReg, cond: Cond): number => condSelect('csetm', 'csinv', rd, zrOf(rd), zrOf(rd), invertible('csetm', cond));
/** CINC rd, rn, cond: rd = cond ? rn + 1 : rn. */
export const cinc = (rd: GpReg, rn: GpReg, cond: Cond): number => condSelect('cinc', 'csinc', rd, rn, rn, invertible('cinc', cond));
export const cinv = (rd: GpReg, rn: GpReg, cond: Cond): number => condSelect('cinv', 'csinv', rd, rn, rn, invertible('cinv', cond));
export const cneg = (rd: GpReg, rn: GpReg, cond: Cond): number => condSelect('cneg', 'csneg', rd, rn, rn, invertible('cneg', cond));
