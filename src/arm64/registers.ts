/**
 * Register operands. General-purpose registers carry their width (X = 64, W = 32) and distinguish
 * the two meanings of register number 31: the stack pointer (SP/WSP) or the zero register
 * (XZR/WZR). Which one an instruction accepts is checked by each encoder (ARM ARM C1.2.5).
 */
export type RegWidth = 32 | 64;

export interface GpReg {
  readonly kind: 'gp';
  readonly width: RegWidth;
  /** 0..31; 31 is SP when `isSp`, the zero register otherwise. */
  readonly num: number;
  readonly isSp: boolean;
  readonly name: string;
}
export interface XReg extends GpReg {
  readonly width: 64;
}
export interface WReg extends GpReg {
  readonly width: 32;
}

/** Size in bits of an FP/SIMD register view: B, H, S, D or Q. */
export type FpSize = 8 | 16 | 32 | 64 | 128;
export interface FpReg {
  readonly kind: 'fp';
  readonly size: FpSize;
  readonly num: number;
  readonly name: string;
}

export type Reg = GpReg | FpReg;

const FP_PREFIX: Record<FpSize, string> = { 8: 'b', 16: 'h', 32: 's', 64: 'd', 128: 'q' };

function makeGp<W extends RegWidth>(width: W, num: number, isSp: boolean): GpReg & { width: W } {
  const name =
    num === 31 ? (isSp ? (width === 64 ? 'sp' : 'wsp') : width === 64 ? 'xzr' : 'wzr') : `${width === 64 ? 'x' : 'w'}${num}`;
  return Object.freeze({ kind: 'gp', width, num, isSp, name }) as GpReg & { width: W };
}

const XS: readonly XReg[] = Array.from({ length: 32 }, (_, i) => makeGp(64, i, false));
const WS: readonly WReg[] = Array.from({ length: 32 }, (_, i) => makeGp(32, i, false));
const FPS = new Map<FpSize, readonly FpReg[]>(
  ([8, 16, 32, 64, 128] as const).map((size) => [
    size,
    Array.from({ length: 32 }, (_, num) => Object.freeze({ kind: 'fp' as const, size, num, name: `${FP_PREFIX[size]}${num}` })),
  ]),
);

function checkNum(num: number, max: number, what: string): void {
  if (!Number.isInteger(num) || num < 0 || num > max) throw new RangeError(`${what} register number ${num} out of range 0..${max}`);
}

/** X register 0..30, or 31 = XZR. */
export function xreg(num: number): XReg {
  checkNum(num, 31, 'X');
  return XS[num]!;
}
/** W register 0..30, or 31 = WZR. */
export function wreg(num: number): WReg {
  checkNum(num, 31, 'W');
  return WS[num]!;
}
function fpreg(size: FpSize, num: number): FpReg {
  checkNum(num, 31, FP_PREFIX[size].toUpperCase());
  return FPS.get(size)![num]!;
}
export const breg = (num: number): FpReg => fpreg(8, num);
export const hreg = (num: number): FpReg => fpreg(16, num);
export const sreg = (num: number): FpReg => fpreg(32, num);
export const dreg = (num: number): FpReg => fpreg(64, num);
export const qreg = (num: number): FpReg => fpreg(128, num);

/** The same register number viewed at another width (SP stays SP, ZR stays ZR). */
export function withWidth(r: GpReg, width: 64): XReg;
export function withWidth(r: GpReg, width: 32): WReg;
export function withWidth(r: GpReg, width: RegWidth): GpReg;
export function withWidth(r: GpReg, width: RegWidth): GpReg {
  if (r.isSp) return width === 64 ? SP : WSP;
  return width === 64 ? XS[r.num]! : WS[r.num]!;
}

export const [X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15] = XS as XReg[] as [
  XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg,
];
export const [X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30] = XS.slice(16) as [
  XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg, XReg,
];
export const [W0, W1, W2, W3, W4, W5, W6, W7, W8, W9, W10, W11, W12, W13, W14, W15] = WS as WReg[] as [
  WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg,
];
export const [W16, W17, W18, W19, W20, W21, W22, W23, W24, W25, W26, W27, W28, W29, W30] = WS.slice(16) as [
  WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg, WReg,
];
export const XZR: XReg = XS[31]!;
export const WZR: WReg = WS[31]!;
export const SP: XReg = makeGp(64, 31, true);
export const WSP: WReg = makeGp(32, 31, true);
/** AAPCS64 names. */
export const FP: XReg = X29;
export const LR: XReg = X30;
