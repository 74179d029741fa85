/**
 * Branches and PC-relative addressing (ARM ARM C4.1.3 "Branches, Exception Generating and System
 * instructions", C4.1.2 "PC-rel. addressing"). Offsets are in bytes relative to the address of the
 * instruction itself. An offset out of reach throws `A64BranchRangeError`: a JIT catches it (or asks
 * `branchInRange` first) and relaxes; nothing is ever truncated.
 */
import { condName, type Cond } from './conditions.js';
import { A64BranchRangeError, A64EncodeError } from './errors.js';
import { gp, inRange, uimm } from './operands.js';
import { LR, type GpReg } from './registers.js';

/** The PC-relative immediate fields, with their reach in bytes (the range is [-reach, reach - granule]). */
export const BRANCH_FIELDS = {
  /** B, BL: imm26 words = +-128 MiB. */
  imm26: { bits: 26, shift: 2, lsb: 0, reach: 128 * 1024 * 1024 },
  /** B.cond, CBZ, CBNZ (and LDR literal): imm19 words = +-1 MiB. */
  imm19: { bits: 19, shift: 2, lsb: 5, reach: 1024 * 1024 },
  /** TBZ, TBNZ: imm14 words = +-32 KiB. */
  imm14: { bits: 14, shift: 2, lsb: 5, reach: 32 * 1024 },
  /** ADR: 21-bit byte offset split into immlo:immhi = +-1 MiB. */
  adr: { bits: 21, shift: 0, lsb: 0, reach: 1024 * 1024 },
} as const;
export type BranchField = keyof typeof BRANCH_FIELDS;

/** True when a byte offset is encodable in the given field (alignment and range). */
export function branchInRange(field: BranchField, offset: number): boolean {
  const f = BRANCH_FIELDS[field];
  return Number.isInteger(offset) && offset % (1 << f.shift) === 0 && offset >= -f.reach && offset < f.reach;
}

/** Insert a byte offset into the field of an instruction word, with the checks. */
export function setBranchOffset(mnemonic: string, field: BranchField, word: number, offset: number): number {
  const f = BRANCH_FIELDS[field];
  if (!Number.isInteger(offset)) throw new A64EncodeError(mnemonic, 'target', `offset ${offset} is not an integer`);
  if (offset % (1 << f.shift) !== 0) throw new A64EncodeError(mnemonic, 'target', `offset ${offset} is not a multiple of 4`);
  if (offset < -f.reach || offset >= f.reach) throw new A64BranchRangeError(mnemonic, offset, f.reach);
  const v = offset / (1 << f.shift);
  if (field === 'adr') {
    const u = v & 0x1fffff;
    return ((word & ~0x60ffffe0) | ((u & 3) << 29) | ((u >>> 2) << 5)) >>> 0;
  }
  const m = (2 ** f.bits - 1) * 2 ** f.lsb;
  return ((word & ~m) | ((v & (2 ** f.bits - 1)) << f.lsb)) >>> 0;
}

/** Which field each label-taking instruction uses. */
export function branchFieldOf(word: number): BranchField | null {
  if ((word & 0x7c000000) === 0x14000000) return 'imm26'; // B, BL
  if ((word & 0xff000010) === 0x54000000) return 'imm19'; // B.cond
  if ((word & 0x7e000000) === 0x34000000) return 'imm19'; // CBZ, CBNZ
  if ((word & 0x7e000000) === 0x36000000) return 'imm14'; // TBZ, TBNZ
  if ((word & 0x9f000000) === 0x10000000) return 'adr';
  return null;
}

export const b = (offset: number): number => setBranchOffset('b', 'imm26', 0x14000000, offset);
export const bl = (offset: number): number => setBranchOffset('bl', 'imm26', 0x94000000, offset);

/** `b.eq` ... `b.nv` by condition code (made once: every conditional branch names itself). */
const B_COND_MNEMONICS: readonly string[] = Array.from({ length: 16 }, (_, c) => `b.${condName(c as Cond)}`);

/** The mnemonic of B.cond for a condition code. */
export function bCondMnemonic(cond: Cond): string {
  return B_COND_MNEMONICS[cond] ?? `b.${condName(cond)}`;
}

export function bCond(cond: Cond, offset: number): number {
  uimm('b.cond', 'cond', cond, 4);
  return setBranchOffset(bCondMnemonic(cond), 'imm19', 0x54000000 | cond, offset);
}

function compareBranch(mn: string, nz: number, rt: GpReg, offset: number): number {
  const t = gp(mn, 'rt', rt, 'zr');
  return setBranchOffset(mn, 'imm19', ((rt.width === 64 ? 1 << 31 : 0) | 0x34000000 | (nz << 24) | t) >>> 0, offset);
}
/** CBZ/CBNZ: branch if rt is (not) zero. */
export const cbz = (rt: GpReg, offset: number): number => compareBranch('cbz', 0, rt, offset);
export const cbnz = (rt: GpReg, offset: number): number => compareBranch('cbnz', 1, rt, offset);

function testBranch(mn: string, nz: number, rt: GpReg, bit: number, offset: number): number {
  const t = gp(mn, 'rt', rt, 'zr');
  inRange(mn, 'bit', bit, 0, rt.width - 1);
  // b5 (bit 31) is the high bit of the bit number; it also selects how the register is printed.
  return setBranchOffset(mn, 'imm14', (((bit >> 5) << 31) | 0x36000000 | (nz << 24) | ((bit & 31) << 19) | t) >>> 0, offset);
}
/** TBZ/TBNZ: branch if bit `bit` of rt is zero / not zero. */
export const tbz = (rt: GpReg, bit: number, offset: number): number => testBranch('tbz', 0, rt, bit, offset);
export const tbnz = (rt: GpReg, bit: number, offset: number): number => testBranch('tbnz', 1, rt, bit, offset);

function branchReg(mn: string, base: number, rn: GpReg): number {
  return (base | (gp(mn, 'rn', rn, 'zr', 64) << 5)) >>> 0;
}
export const br = (rn: GpReg): number => branchReg('br', 0xd61f0000, rn);
export const blr = (rn: GpReg): number => branchReg('blr', 0xd63f0000, rn);
export const ret = (rn: GpReg = LR): number => branchReg('ret', 0xd65f0000, rn);

/** ADR: xd = address of this instruction + offset (+-1 MiB, any byte). */
export function adr(rd: GpReg, offset: number): number {
  const d = gp('adr', 'rd', rd, 'zr', 64);
  return setBranchOffset('adr', 'adr', 0x10000000 | d, offset);
}

/** ADRP: xd = (address of this instruction & ~0xfff) + offset, offset a multiple of 4096 within +-4 GiB. */
export function adrp(rd: GpReg, offset: number): number {
  const d = gp('adrp', 'rd', rd, 'zr', 64);
  if (!Number.isInteger(offset) || offset % 4096 !== 0) throw new A64EncodeError('adrp', 'target', `offset ${offset} is not a multiple of 4096`);
  const pages = offset / 4096;
  if (pages < -(2 ** 20) || pages >= 2 ** 20) throw new A64BranchRangeError('adrp', offset, 2 ** 32);
  const u = pages & 0x1fffff;
  return (0x90000000 | ((u & 3) << 29) | ((u >>> 2) << 5) | d) >>> 0;
}
