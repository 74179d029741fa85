/**
 * The FP/SIMD subset needed by ABI probes (loads and stores live in load-store.ts): moves between
 * general and FP registers and scalar arithmetic (ARM ARM C4.1.6 "Data Processing -- Scalar FP").
 */
import { A64EncodeError } from './errors.js';
import { fp, gp } from './operands.js';
import type { FpReg, GpReg } from './registers.js';

function ftype(mn: string, operand: string, r: FpReg): number {
  fp(mn, operand, r, [32, 64]);
  return r.size === 32 ? 0 : 1;
}

/**
 * FMOV between registers of equal size: W<->S, X<->D (bit-exact, no conversion), or S->S / D->D.
 */
export function fmov(rd: GpReg | FpReg, rn: GpReg | FpReg): number {
  const mn = 'fmov';
  if (rd.kind === 'fp' && rn.kind === 'fp') {
    const t = ftype(mn, 'rd', rd);
    const n = fp(mn, 'rn', rn, [rd.size]);
    return (0x1e204000 | (t << 22) | (n << 5) | rd.num) >>> 0;
  }
  if (rd.kind === 'gp' && rn.kind === 'fp') {
    const t = ftype(mn, 'rn', rn);
    const d = gp(mn, 'rd', rd, 'zr', t ? 64 : 32);
    return ((t << 31) | 0x1e260000 | (t << 22) | (rn.num << 5) | d) >>> 0;
  }
  if (rd.kind === 'fp' && rn.kind === 'gp') {
    const t = ftype(mn, 'rd', rd);
    const n = gp(mn, 'rn', rn, 'zr', t ? 64 : 32);
    return ((t << 31) | 0x1e270000 | (t << 22) | (n << 5) | rd.num) >>> 0;
  }
  throw new A64EncodeError(mn, 'rd', 'one of the operands must be an FP register');
}

const FP2 = { fmul: 0, fdiv: 1, fadd: 2, fsub: 3 } as const;
function fp2(mn: keyof typeof FP2, rd: FpReg, rn: FpReg, rm: FpReg): number {
  const t = ftype(mn, 'rd', rd);
  const n = fp(mn, 'rn', rn, [rd.size]);
  const m = fp(mn, 'rm', rm, [rd.size]);
  return (0x1e200800 | (t << 22) | (m << 16) | (FP2[mn] << 12) | (n << 5) | rd.num) >>> 0;
}
export const fadd = (rd: FpReg, rn: FpReg, rm: FpReg): number => fp2('fadd', rd, rn, rm);
export const fsub = (rd: FpReg, rn: FpReg, rm: FpReg): number => fp2('fsub', rd, rn, rm);
export const fmul = (rd: FpReg, rn: FpReg, rm: FpReg): number => fp2('fmul', rd, rn, rm);
export const fdiv = (rd: FpReg, rn: FpReg, rm: FpReg): number => fp2('fdiv', rd, rn, rm);
