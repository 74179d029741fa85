/**
 * Operand validation shared by the encoders. Every check throws `A64EncodeError` naming the
 * instruction and the operand, so a bad JIT request never turns into silently wrong bits.
 */
import { A64EncodeError } from './errors.js';
import type { FpReg, FpSize, GpReg, RegWidth } from './registers.js';

/** What register number 31 means for an operand slot (ARM ARM C1.2.5): SP or the zero register. */
export type R31 = 'sp' | 'zr';

function describe(r: unknown): string {
  if (r && typeof r === 'object' && 'name' in r) return String((r as { name: unknown }).name);
  return String(r);
}

/** Register number of a GP register operand, checking its class, width and the meaning of 31. */
export function gp(mnemonic: string, operand: string, r: GpReg, r31: R31, width?: RegWidth): number {
  if (!r || typeof r !== 'object' || r.kind !== 'gp' || !Number.isInteger(r.num) || r.num < 0 || r.num > 31)
    throw new A64EncodeError(mnemonic, operand, `${describe(r)} is not a general-purpose register`);
  if (width !== undefined && r.width !== width)
    throw new A64EncodeError(mnemonic, operand, `${r.name} is a ${r.width}-bit register, expected ${width}-bit`);
  if (r.num === 31) {
    if (r.isSp && r31 === 'zr') throw new A64EncodeError(mnemonic, operand, `${r.name} is not allowed here (register 31 is the zero register)`);
    if (!r.isSp && r31 === 'sp') throw new A64EncodeError(mnemonic, operand, `${r.name} is not allowed here (register 31 is sp)`);
  } else if (r.isSp) {
    throw new A64EncodeError(mnemonic, operand, `malformed register ${r.name}`);
  }
  return r.num;
}

/** A 64-bit base register of an address: X0..X30 or SP. */
export function base(mnemonic: string, r: GpReg): number {
  return gp(mnemonic, 'base', r, 'sp', 64);
}

export function fp(mnemonic: string, operand: string, r: FpReg, sizes?: readonly FpSize[]): number {
  if (!r || typeof r !== 'object' || r.kind !== 'fp' || !Number.isInteger(r.num) || r.num < 0 || r.num > 31)
    throw new A64EncodeError(mnemonic, operand, `${describe(r)} is not an FP/SIMD register`);
  if (sizes && !sizes.includes(r.size))
    throw new A64EncodeError(mnemonic, operand, `${r.name} has the wrong size (allowed: ${sizes.map((s) => `${s}-bit`).join(', ')})`);
  return r.num;
}

export function sf(width: RegWidth): number {
  return width === 64 ? 1 : 0;
}

function checkInt(mnemonic: string, operand: string, v: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new A64EncodeError(mnemonic, operand, `${String(v)} is not an integer`);
}

/** An unsigned field of `bits` bits. */
export function uimm(mnemonic: string, operand: string, v: number, bits: number): number {
  checkInt(mnemonic, operand, v);
  if (v < 0 || v >= 2 ** bits) throw new A64EncodeError(mnemonic, operand, `#${v} is out of range 0..${2 ** bits - 1}`);
  return v;
}

/** An integer in [lo, hi]. */
export function inRange(mnemonic: string, operand: string, v: number, lo: number, hi: number): number {
  checkInt(mnemonic, operand, v);
  if (v < lo || v > hi) throw new A64EncodeError(mnemonic, operand, `#${v} is out of range ${lo}..${hi}`);
  return v;
}

/** A signed offset that must be a multiple of `scale`, encoded as a `bits`-bit two's complement field. */
export function simmScaled(mnemonic: string, operand: string, v: number, bits: number, scale: number): number {
  checkInt(mnemonic, operand, v);
  if (v % scale !== 0) throw new A64EncodeError(mnemonic, operand, `#${v} is not a multiple of ${scale}`);
  const q = v / scale;
  const lim = 2 ** (bits - 1);
  if (q < -lim || q >= lim)
    throw new A64EncodeError(mnemonic, operand, `#${v} is out of range ${-lim * scale}..${(lim - 1) * scale}`);
  return (q & (2 ** bits - 1)) >>> 0;
}

export function sameWidth(mnemonic: string, operand: string, r: GpReg, width: RegWidth): void {
  if (r.width !== width)
    throw new A64EncodeError(mnemonic, operand, `${r.name} is a ${r.width}-bit register, expected ${width}-bit like the destination`);
}
