/**
 * A deterministic corpus of encoder calls paired with the assembly text LLVM should accept for
 * them. The text is built from the operands alone (never from our disassembler), so a wrong
 * operand-to-field mapping in an encoder shows up as different bytes from llvm-mc.
 */
import * as A from '../../src/arm64/index.js';
import type { AccessBytes, Address, Extend, FpReg, GpReg, MemOrder, RegWidth, Shift } from '../../src/arm64/index.js';
import { seededRandom as rng } from '../../src/bench/stats.js';

export interface Instance {
  /** Assembly for llvm-mc. */
  readonly asm: string;
  /** Our encoder's word. */
  readonly word: number;
}

/** mulberry32 (the bench statistics' seeded generator): small, seeded, good enough to pick operands. */
export { rng };

type R = () => number;
const int = (r: R, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const pickCond = (r: R, xs: readonly A.Cond[]): A.Cond => (sweep !== null ? xs[sweep % xs.length]! : pick(r, xs));
/** Random in [lo, hi] with the edges and zero over-represented. */
function edgy(r: R, lo: number, hi: number): number {
  const x = r();
  if (x < 0.1) return lo;
  if (x < 0.2) return hi;
  if (x < 0.25 && lo <= 0 && hi >= 0) return 0;
  return int(r, lo, hi);
}

/**
 * During the first 32 rounds of every generator all register slots take register `sweep` (and
 * condition `sweep % 16`), so each encoder sees every register number and condition; after that,
 * registers are random with 0, 30 and 31 over-represented so SP/ZR appear often.
 */
let sweep: number | null = null;

function regNum(r: R, allow31: boolean): number {
  if (sweep !== null) return sweep === 31 && !allow31 ? 30 : sweep;
  const x = r();
  if (allow31 && x < 0.15) return 31;
  if (x < 0.2) return 0;
  if (x < 0.25) return 30;
  return int(r, 0, 30);
}
function gpr(r: R, width: RegWidth, r31: 'sp' | 'zr' | 'none'): GpReg {
  const n = regNum(r, r31 !== 'none');
  if (n === 31 && r31 === 'sp') return width === 64 ? A.SP : A.WSP;
  return width === 64 ? A.xreg(n) : A.wreg(n);
}
const fpOf = (size: 8 | 16 | 32 | 64 | 128, n: number): FpReg =>
  size === 8 ? A.breg(n) : size === 16 ? A.hreg(n) : size === 32 ? A.sreg(n) : size === 64 ? A.dreg(n) : A.qreg(n);
const fpr = (r: R, size: 8 | 16 | 32 | 64 | 128): FpReg => fpOf(size, regNum(r, true));
const width = (r: R): RegWidth => (r() < 0.5 ? 64 : 32);
const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

const CONDS = A.ALL_CONDS;

type Gen = (r: R) => Instance | null;

function addSubSpecs(): Gen[] {
  const gens: Gen[] = [];
  const imm = { add: A.addImm, adds: A.addsImm, sub: A.subImm, subs: A.subsImm } as const;
  const reg = { add: A.addReg, adds: A.addsReg, sub: A.subReg, subs: A.subsReg } as const;
  const ext = { add: A.addExt, adds: A.addsExt, sub: A.subExt, subs: A.subsExt } as const;
  for (const mn of ['add', 'adds', 'sub', 'subs'] as const) {
    const flags = mn.endsWith('s');
    gens.push((r) => {
      const w = width(r);
      const rd = gpr(r, w, flags ? 'zr' : 'sp');
      const rn = gpr(r, w, 'sp');
      const i = edgy(r, 0, 4095);
      const sh = r() < 0.5 ? 0 : 12;
      return { asm: `${mn} ${rd.name}, ${rn.name}, #${i}, lsl #${sh}`, word: imm[mn](rd, rn, i, sh) };
    });
    gens.push((r) => {
      const w = width(r);
      const [rd, rn, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const s = pick(r, ['lsl', 'lsr', 'asr'] as const);
      const a = edgy(r, 0, w - 1);
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}, ${s} #${a}`, word: reg[mn](rd, rn, rm, s, a) };
    });
    gens.push((r) => {
      const w = width(r);
      const rd = gpr(r, w, flags ? 'zr' : 'sp');
      const rn = gpr(r, w, 'sp');
      const e = pick(r, ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'] as const);
      const rm = gpr(r, w === 64 && (e === 'uxtx' || e === 'sxtx') ? 64 : 32, 'zr');
      const a = edgy(r, 0, 4);
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}, ${e} #${a}`, word: ext[mn](rd, rn, rm, e, a) };
    });
  }
  for (const mn of ['cmp', 'cmn'] as const) {
    const fi = mn === 'cmp' ? A.cmpImm : A.cmnImm;
    const fr = mn === 'cmp' ? A.cmpReg : A.cmnReg;
    const fe = mn === 'cmp' ? A.cmpExt : A.cmnExt;
    gens.push((r) => {
      const w = width(r);
      const rn = gpr(r, w, 'sp');
      const i = edgy(r, 0, 4095);
      const sh = r() < 0.5 ? 0 : 12;
      return { asm: `${mn} ${rn.name}, #${i}, lsl #${sh}`, word: fi(rn, i, sh) };
    });
    gens.push((r) => {
      const w = width(r);
      const [rn, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const s = pick(r, ['lsl', 'lsr', 'asr'] as const);
      const a = edgy(r, 0, w - 1);
      return { asm: `${mn} ${rn.name}, ${rm.name}, ${s} #${a}`, word: fr(rn, rm, s, a) };
    });
    gens.push((r) => {
      const w = width(r);
      const rn = gpr(r, w, 'sp');
      const e = pick(r, ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'] as const);
      const rm = gpr(r, w === 64 && (e === 'uxtx' || e === 'sxtx') ? 64 : 32, 'zr');
      const a = edgy(r, 0, 4);
      return { asm: `${mn} ${rn.name}, ${rm.name}, ${e} #${a}`, word: fe(rn, rm, e, a) };
    });
  }
  for (const mn of ['neg', 'negs'] as const) {
    const f = mn === 'neg' ? A.neg : A.negs;
    gens.push((r) => {
      const w = width(r);
      const [rd, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const s = pick(r, ['lsl', 'lsr', 'asr'] as const);
      const a = edgy(r, 0, w - 1);
      return { asm: `${mn} ${rd.name}, ${rm.name}, ${s} #${a}`, word: f(rd, rm, s, a) };
    });
  }
  return gens;
}

function logicalSpecs(): Gen[] {
  const gens: Gen[] = [];
  const reg = {
    and: A.andReg, ands: A.andsReg, orr: A.orrReg, eor: A.eorReg, bic: A.bicReg, bics: A.bicsReg, orn: A.ornReg, eon: A.eonReg,
  } as const;
  const shifts: readonly Shift[] = ['lsl', 'lsr', 'asr', 'ror'];
  for (const mn of Object.keys(reg) as (keyof typeof reg)[]) {
    gens.push((r) => {
      const w = width(r);
      const [rd, rn, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const s = pick(r, shifts);
      const a = edgy(r, 0, w - 1);
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}, ${s} #${a}`, word: reg[mn](rd, rn, rm, s, a) };
    });
  }
  gens.push((r) => {
    const w = width(r);
    const [rn, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
    const s = pick(r, shifts);
    const a = edgy(r, 0, w - 1);
    return { asm: `tst ${rn.name}, ${rm.name}, ${s} #${a}`, word: A.tstReg(rn, rm, s, a) };
  });
  gens.push((r) => {
    const w = width(r);
    const [rd, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
    const s = pick(r, shifts);
    const a = edgy(r, 0, w - 1);
    return { asm: `mvn ${rd.name}, ${rm.name}, ${s} #${a}`, word: A.mvn(rd, rm, s, a) };
  });
  const imm = { and: A.andImm, ands: A.andsImm, orr: A.orrImm, eor: A.eorImm } as const;
  for (const mn of Object.keys(imm) as (keyof typeof imm)[]) {
    gens.push((r) => {
      const w = width(r);
      const rd = gpr(r, w, mn === 'ands' ? 'zr' : 'sp');
      const rn = gpr(r, w, 'zr');
      const v = pick(r, A.allLogicalImmediates(w));
      return { asm: `${mn} ${rd.name}, ${rn.name}, #${hex(v)}`, word: imm[mn](rd, rn, v) };
    });
  }
  gens.push((r) => {
    const w = width(r);
    const rn = gpr(r, w, 'zr');
    const v = pick(r, A.allLogicalImmediates(w));
    return { asm: `tst ${rn.name}, #${hex(v)}`, word: A.tstImm(rn, v) };
  });
  return gens;
}

function moveSpecs(): Gen[] {
  const gens: Gen[] = [];
  const f = { movz: A.movz, movn: A.movn, movk: A.movk } as const;
  for (const mn of ['movz', 'movn', 'movk'] as const) {
    gens.push((r) => {
      const w = width(r);
      const rd = gpr(r, w, 'zr');
      const i = edgy(r, 0, 0xffff);
      const sh = 16 * int(r, 0, w / 16 - 1);
      return { asm: `${mn} ${rd.name}, #${i}, lsl #${sh}`, word: f[mn](rd, i, sh) };
    });
  }
  gens.push((r) => {
    const w = width(r);
    // Either side may be SP (but not both ZR-and-SP mixed): pick which.
    const mode = int(r, 0, 2);
    const rd = gpr(r, w, mode === 1 ? 'sp' : mode === 2 ? 'none' : 'zr');
    const rm = gpr(r, w, mode === 2 ? 'sp' : mode === 1 ? 'none' : 'zr');
    return { asm: `mov ${rd.name}, ${rm.name}`, word: A.mov(rd, rm) };
  });
  return gens;
}

function mulDivSpecs(): Gen[] {
  const gens: Gen[] = [];
  const three = { madd: A.madd, msub: A.msub } as const;
  for (const mn of ['madd', 'msub'] as const)
    gens.push((r) => {
      const w = width(r);
      const [rd, rn, rm, ra] = [gpr(r, w, 'zr'), gpr(r, w, 'zr'), gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}, ${ra.name}`, word: three[mn](rd, rn, rm, ra) };
    });
  const two = {
    mul: A.mul, mneg: A.mneg, udiv: A.udiv, sdiv: A.sdiv, lslv: A.lslv, lsrv: A.lsrv, asrv: A.asrv, rorv: A.rorv,
  } as const;
  for (const mn of Object.keys(two) as (keyof typeof two)[])
    gens.push((r) => {
      const w = width(r);
      const [rd, rn, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}`, word: two[mn](rd, rn, rm) };
    });
  const high = { umulh: A.umulh, smulh: A.smulh } as const;
  for (const mn of ['umulh', 'smulh'] as const)
    gens.push((r) => {
      const [rd, rn, rm] = [gpr(r, 64, 'zr'), gpr(r, 64, 'zr'), gpr(r, 64, 'zr')] as A.XReg[] as [A.XReg, A.XReg, A.XReg];
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}`, word: high[mn](rd, rn, rm) };
    });
  const long = { umull: A.umull, smull: A.smull } as const;
  for (const mn of ['umull', 'smull'] as const)
    gens.push((r) => {
      const [rd, rn, rm] = [gpr(r, 64, 'zr') as A.XReg, gpr(r, 32, 'zr') as A.WReg, gpr(r, 32, 'zr') as A.WReg];
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}`, word: long[mn](rd, rn, rm) };
    });
  const longAcc = { umaddl: A.umaddl, smaddl: A.smaddl } as const;
  for (const mn of ['umaddl', 'smaddl'] as const)
    gens.push((r) => {
      const [rd, rn, rm, ra] = [gpr(r, 64, 'zr') as A.XReg, gpr(r, 32, 'zr') as A.WReg, gpr(r, 32, 'zr') as A.WReg, gpr(r, 64, 'zr') as A.XReg];
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}, ${ra.name}`, word: longAcc[mn](rd, rn, rm, ra) };
    });
  return gens;
}

function bitSpecs(): Gen[] {
  const gens: Gen[] = [];
  const sh = { lsl: A.lslImm, lsr: A.lsrImm, asr: A.asrImm, ror: A.rorImm } as const;
  for (const mn of ['lsl', 'lsr', 'asr', 'ror'] as const)
    gens.push((r) => {
      const w = width(r);
      const [rd, rn] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const a = edgy(r, 0, w - 1);
      return { asm: `${mn} ${rd.name}, ${rn.name}, #${a}`, word: sh[mn](rd, rn, a) };
    });
  const bfm = { ubfm: A.ubfm, sbfm: A.sbfm, bfm: A.bfm } as const;
  for (const mn of ['ubfm', 'sbfm', 'bfm'] as const)
    gens.push((r) => {
      const w = width(r);
      const [rd, rn] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const [immr, imms] = [edgy(r, 0, w - 1), edgy(r, 0, w - 1)];
      return { asm: `${mn} ${rd.name}, ${rn.name}, #${immr}, #${imms}`, word: bfm[mn](rd, rn, immr, imms) };
    });
  const field = { ubfx: A.ubfx, sbfx: A.sbfx, ubfiz: A.ubfiz, sbfiz: A.sbfiz, bfi: A.bfi, bfxil: A.bfxil } as const;
  for (const mn of Object.keys(field) as (keyof typeof field)[])
    gens.push((r) => {
      const w = width(r);
      const [rd, rn] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const lsb = edgy(r, 0, w - 1);
      const bits = edgy(r, 1, w - lsb);
      return { asm: `${mn} ${rd.name}, ${rn.name}, #${lsb}, #${bits}`, word: field[mn](rd, rn, lsb, bits) };
    });
  gens.push((r) => {
    const w = width(r);
    const [rd, rn, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr'), gpr(r, w, 'zr')];
    const lsb = edgy(r, 0, w - 1);
    return { asm: `extr ${rd.name}, ${rn.name}, ${rm.name}, #${lsb}`, word: A.extr(rd, rn, rm, lsb) };
  });
  const sx = { sxtb: A.sxtb, sxth: A.sxth } as const;
  for (const mn of ['sxtb', 'sxth'] as const)
    gens.push((r) => {
      const rd = gpr(r, width(r), 'zr');
      const rn = gpr(r, 32, 'zr') as A.WReg;
      return { asm: `${mn} ${rd.name}, ${rn.name}`, word: sx[mn](rd, rn) };
    });
  gens.push((r) => {
    const [rd, rn] = [gpr(r, 64, 'zr') as A.XReg, gpr(r, 32, 'zr') as A.WReg];
    return { asm: `sxtw ${rd.name}, ${rn.name}`, word: A.sxtw(rd, rn) };
  });
  const ux = { uxtb: A.uxtb, uxth: A.uxth } as const;
  for (const mn of ['uxtb', 'uxth'] as const)
    gens.push((r) => {
      const [rd, rn] = [gpr(r, 32, 'zr') as A.WReg, gpr(r, 32, 'zr') as A.WReg];
      return { asm: `${mn} ${rd.name}, ${rn.name}`, word: ux[mn](rd, rn) };
    });
  const one = { rev: A.rev, rev16: A.rev16, clz: A.clz, cls: A.cls, rbit: A.rbit } as const;
  for (const mn of Object.keys(one) as (keyof typeof one)[])
    gens.push((r) => {
      const w = width(r);
      const [rd, rn] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      return { asm: `${mn} ${rd.name}, ${rn.name}`, word: one[mn](rd, rn) };
    });
  gens.push((r) => {
    const [rd, rn] = [gpr(r, 64, 'zr') as A.XReg, gpr(r, 64, 'zr') as A.XReg];
    return { asm: `rev32 ${rd.name}, ${rn.name}`, word: A.rev32(rd, rn) };
  });
  return gens;
}

function condSpecs(): Gen[] {
  const gens: Gen[] = [];
  const sel = { csel: A.csel, csinc: A.csinc, csinv: A.csinv, csneg: A.csneg } as const;
  for (const mn of Object.keys(sel) as (keyof typeof sel)[])
    gens.push((r) => {
      const w = width(r);
      const [rd, rn, rm] = [gpr(r, w, 'zr'), gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const c = pickCond(r, CONDS);
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${rm.name}, ${A.condName(c)}`, word: sel[mn](rd, rn, rm, c) };
    });
  const invertible = CONDS.filter((c) => c < 14);
  const set = { cset: A.cset, csetm: A.csetm } as const;
  for (const mn of ['cset', 'csetm'] as const)
    gens.push((r) => {
      const rd = gpr(r, width(r), 'zr');
      const c = pickCond(r, invertible);
      return { asm: `${mn} ${rd.name}, ${A.condName(c)}`, word: set[mn](rd, c) };
    });
  const inc = { cinc: A.cinc, cinv: A.cinv, cneg: A.cneg } as const;
  for (const mn of ['cinc', 'cinv', 'cneg'] as const)
    gens.push((r) => {
      const w = width(r);
      const [rd, rn] = [gpr(r, w, 'zr'), gpr(r, w, 'zr')];
      const c = pickCond(r, invertible);
      return { asm: `${mn} ${rd.name}, ${rn.name}, ${A.condName(c)}`, word: inc[mn](rd, rn, c) };
    });
  return gens;
}

// ----- loads and stores -----

interface LdStKind {
  readonly mn: string;
  readonly unscaled: string;
  readonly fn: (rt: never, a: Address) => number;
  readonly ufn: (rt: never, a: Address) => number;
  /** Destination register generator and access size in bytes. */
  readonly reg: (r: R) => { rt: GpReg | FpReg; bytes: number };
  readonly load: boolean;
}

const gpFixed = (w: RegWidth, bytes: number) => (r: R) => ({ rt: gpr(r, w, 'zr'), bytes });
const LDST: readonly LdStKind[] = [
  { mn: 'ldr', unscaled: 'ldur', fn: A.ldr, ufn: A.ldur, reg: (r) => { const w = width(r); return { rt: gpr(r, w, 'zr'), bytes: w / 8 }; }, load: true },
  { mn: 'str', unscaled: 'stur', fn: A.str, ufn: A.stur, reg: (r) => { const w = width(r); return { rt: gpr(r, w, 'zr'), bytes: w / 8 }; }, load: false },
  { mn: 'ldrb', unscaled: 'ldurb', fn: A.ldrb, ufn: A.ldurb, reg: gpFixed(32, 1), load: true },
  { mn: 'strb', unscaled: 'sturb', fn: A.strb, ufn: A.sturb, reg: gpFixed(32, 1), load: false },
  { mn: 'ldrh', unscaled: 'ldurh', fn: A.ldrh, ufn: A.ldurh, reg: gpFixed(32, 2), load: true },
  { mn: 'strh', unscaled: 'sturh', fn: A.strh, ufn: A.sturh, reg: gpFixed(32, 2), load: false },
  { mn: 'ldrsb', unscaled: 'ldursb', fn: A.ldrsb, ufn: A.ldursb, reg: (r) => ({ rt: gpr(r, width(r), 'zr'), bytes: 1 }), load: true },
  { mn: 'ldrsh', unscaled: 'ldursh', fn: A.ldrsh, ufn: A.ldursh, reg: (r) => ({ rt: gpr(r, width(r), 'zr'), bytes: 2 }), load: true },
  { mn: 'ldrsw', unscaled: 'ldursw', fn: A.ldrsw, ufn: A.ldursw, reg: gpFixed(64, 4), load: true },
  ...([true, false] as const).map((load): LdStKind => ({
    mn: load ? 'ldr' : 'str', unscaled: load ? 'ldur' : 'stur', fn: load ? A.ldr : A.str, ufn: load ? A.ldur : A.stur, load,
    reg: (r) => {
      const sizes = [8, 16, 32, 64, 128] as const;
      const size = sweep !== null ? sizes[sweep % 5]! : pick(r, sizes);
      return { rt: fpr(r, size), bytes: size / 8 };
    },
  })),
];

function ldstSpecs(): Gen[] {
  const gens: Gen[] = [];
  for (const k of LDST) {
    const fn = k.fn as (rt: GpReg | FpReg, a: Address) => number;
    const ufn = k.ufn as (rt: GpReg | FpReg, a: Address) => number;
    // Scaled unsigned offset.
    gens.push((r) => {
      const { rt, bytes } = k.reg(r);
      const b = gpr(r, 64, 'sp');
      const off = edgy(r, 0, 4095) * bytes;
      return { asm: `${k.mn} ${rt.name}, [${b.name}, #${off}]`, word: fn(rt, A.mem(b, off)) };
    });
    // Plain offsets LLVM must turn into the unscaled form (negative or unaligned), and explicit LDUR.
    gens.push((r) => {
      const { rt } = k.reg(r);
      const b = gpr(r, 64, 'sp');
      const off = edgy(r, -256, 255);
      if (r() < 0.5) return { asm: `${k.unscaled} ${rt.name}, [${b.name}, #${off}]`, word: ufn(rt, A.mem(b, off)) };
      const o = off >= 0 ? off | 1 : off; // odd or negative: never the scaled form unless byte-sized
      return { asm: `${k.mn} ${rt.name}, [${b.name}, #${o > 255 ? 255 : o}]`, word: fn(rt, A.mem(b, o > 255 ? 255 : o)) };
    });
    // Pre/post index.
    gens.push((r) => {
      const { rt } = k.reg(r);
      let b = gpr(r, 64, 'sp');
      if (rt.kind === 'gp' && b.num === rt.num && b.num !== 31) b = A.SP;
      const off = edgy(r, -256, 255);
      if (r() < 0.5) return { asm: `${k.mn} ${rt.name}, [${b.name}, #${off}]!`, word: fn(rt, A.preIndex(b, off)) };
      return { asm: `${k.mn} ${rt.name}, [${b.name}], #${off}`, word: fn(rt, A.postIndex(b, off)) };
    });
    // Register offset.
    gens.push((r) => {
      const { rt, bytes } = k.reg(r);
      const b = gpr(r, 64, 'sp');
      const ext = pick(r, ['lsl', 'uxtw', 'sxtw', 'sxtx'] as const);
      const idx = gpr(r, ext === 'uxtw' || ext === 'sxtw' ? 32 : 64, 'zr');
      const scaled = r() < 0.5;
      const amount = Math.log2(bytes);
      let suffix: string;
      if (ext === 'lsl') suffix = scaled ? `, lsl #${amount}` : '';
      else suffix = scaled ? `, ${ext} #${amount}` : `, ${ext}`;
      return { asm: `${k.mn} ${rt.name}, [${b.name}, ${idx.name}${suffix}]`, word: fn(rt, A.memIndex(b, idx, ext, scaled)) };
    });
  }
  return gens;
}

function pairSpecs(): Gen[] {
  const gens: Gen[] = [];
  type PairKind = { mn: 'ldp' | 'stp' | 'ldpsw'; fn: (a: GpReg | FpReg, b: GpReg | FpReg, ad: Address) => number; regs: (r: R) => [GpReg | FpReg, GpReg | FpReg, number] };
  const gpPair = (r: R, w: RegWidth, load: boolean): [GpReg, GpReg, number] => {
    const a = gpr(r, w, 'zr');
    let b = gpr(r, w, 'zr');
    if (load && b.num === a.num) b = w === 64 ? A.xreg((a.num + 1) % 32) : A.wreg((a.num + 1) % 32);
    return [a, b, w / 8];
  };
  const fpPair = (r: R, load: boolean): [FpReg, FpReg, number] => {
    const size = pick(r, [32, 64, 128] as const);
    const a = fpr(r, size);
    let b = fpr(r, size);
    if (load && b.num === a.num) b = fpOf(size, (a.num + 1) % 32);
    return [a, b, size / 8];
  };
  const kinds: PairKind[] = [
    { mn: 'ldp', fn: A.ldp, regs: (r) => gpPair(r, width(r), true) },
    { mn: 'stp', fn: A.stp, regs: (r) => gpPair(r, width(r), false) },
    { mn: 'ldp', fn: A.ldp, regs: (r) => fpPair(r, true) },
    { mn: 'stp', fn: A.stp, regs: (r) => fpPair(r, false) },
    { mn: 'ldpsw', fn: A.ldpsw as PairKind['fn'], regs: (r) => { const [a, b] = gpPair(r, 64, true); return [a, b, 4]; } },
  ];
  for (const k of kinds)
    gens.push((r) => {
      const [a, b, bytes] = k.regs(r);
      let base = gpr(r, 64, 'sp');
      const off = edgy(r, -64, 63) * bytes;
      const mode = int(r, 0, 2);
      if (mode !== 0 && a.kind === 'gp' && (base.num === a.num || base.num === b.num) && base.num !== 31) base = A.SP;
      const ops = `${k.mn} ${a.name}, ${b.name}`;
      if (mode === 0) return { asm: `${ops}, [${base.name}, #${off}]`, word: k.fn(a, b, A.mem(base, off)) };
      if (mode === 1) return { asm: `${ops}, [${base.name}, #${off}]!`, word: k.fn(a, b, A.preIndex(base, off)) };
      return { asm: `${ops}, [${base.name}], #${off}`, word: k.fn(a, b, A.postIndex(base, off)) };
    });
  return gens;
}

const SIZES: readonly { bytes: AccessBytes; sfx: string; w: RegWidth }[] = [
  { bytes: 1, sfx: 'b', w: 32 }, { bytes: 2, sfx: 'h', w: 32 }, { bytes: 4, sfx: '', w: 32 }, { bytes: 8, sfx: '', w: 64 },
];

function exclusiveSpecs(): Gen[] {
  const gens: Gen[] = [];
  const loads = { ldxr: A.ldxr, ldaxr: A.ldaxr, ldar: A.ldar, stlr: A.stlr } as const;
  for (const mn of Object.keys(loads) as (keyof typeof loads)[])
    gens.push((r) => {
      const s = pick(r, SIZES);
      const rt = gpr(r, s.w, 'zr');
      const b = gpr(r, 64, 'sp');
      return { asm: `${mn}${s.sfx} ${rt.name}, [${b.name}]`, word: loads[mn](rt, b, s.bytes === 4 || s.bytes === 8 ? undefined : s.bytes) };
    });
  const stores = { stxr: A.stxr, stlxr: A.stlxr } as const;
  for (const mn of Object.keys(stores) as (keyof typeof stores)[])
    gens.push((r) => {
      const s = pick(r, SIZES);
      const rt = gpr(r, s.w, 'zr');
      const b = gpr(r, 64, 'sp');
      let ws = gpr(r, 32, 'zr');
      while (ws.num === rt.num || (ws.num === b.num && ws.num !== 31)) ws = A.wreg((ws.num + 1) % 32);
      return { asm: `${mn}${s.sfx} ${ws.name}, ${rt.name}, [${b.name}]`, word: stores[mn](ws, rt, b, s.bytes) };
    });
  return gens;
}

const ORDERS: readonly [MemOrder, string][] = [['relaxed', ''], ['acquire', 'a'], ['release', 'l'], ['acq_rel', 'al']];

function lseSpecs(): Gen[] {
  const gens: Gen[] = [];
  const ops = { ldadd: A.ldadd, ldclr: A.ldclr, ldeor: A.ldeor, ldset: A.ldset, swp: A.swp, cas: A.cas } as const;
  for (const mn of Object.keys(ops) as (keyof typeof ops)[])
    gens.push((r) => {
      const s = pick(r, SIZES);
      const [order, osfx] = pick(r, ORDERS);
      const [rs, rt] = [gpr(r, s.w, 'zr'), gpr(r, s.w, 'zr')];
      const b = gpr(r, 64, 'sp');
      return { asm: `${mn}${osfx}${s.sfx} ${rs.name}, ${rt.name}, [${b.name}]`, word: ops[mn](rs, rt, b, order, s.bytes) };
    });
  const st = { stadd: A.stadd, stclr: A.stclr, steor: A.steor, stset: A.stset } as const;
  for (const mn of Object.keys(st) as (keyof typeof st)[])
    gens.push((r) => {
      const s = pick(r, SIZES);
      const release = r() < 0.5;
      const rs = gpr(r, s.w, 'zr');
      const b = gpr(r, 64, 'sp');
      return { asm: `${mn}${release ? 'l' : ''}${s.sfx} ${rs.name}, [${b.name}]`, word: st[mn](rs, b, release ? 'release' : 'relaxed', s.bytes) };
    });
  return gens;
}

function branchSpecs(): Gen[] {
  const gens: Gen[] = [];
  const words = (r: R, reach: number): number => 4 * edgy(r, -reach / 4, reach / 4 - 1);
  gens.push((r) => { const o = words(r, 1 << 27); return { asm: `b #${o}`, word: A.b(o) }; });
  gens.push((r) => { const o = words(r, 1 << 27); return { asm: `bl #${o}`, word: A.bl(o) }; });
  gens.push((r) => {
    const c = pickCond(r, CONDS);
    const o = words(r, 1 << 20);
    return { asm: `b.${A.condName(c)} #${o}`, word: A.bCond(c, o) };
  });
  for (const mn of ['cbz', 'cbnz'] as const)
    gens.push((r) => {
      const rt = gpr(r, width(r), 'zr');
      const o = words(r, 1 << 20);
      return { asm: `${mn} ${rt.name}, #${o}`, word: (mn === 'cbz' ? A.cbz : A.cbnz)(rt, o) };
    });
  for (const mn of ['tbz', 'tbnz'] as const)
    gens.push((r) => {
      const rt = gpr(r, width(r), 'zr');
      const bit = edgy(r, 0, rt.width - 1);
      const o = words(r, 1 << 15);
      return { asm: `${mn} ${rt.name}, #${bit}, #${o}`, word: (mn === 'tbz' ? A.tbz : A.tbnz)(rt, bit, o) };
    });
  for (const mn of ['br', 'blr'] as const)
    gens.push((r) => {
      const rn = gpr(r, 64, 'zr') as A.XReg;
      return { asm: `${mn} ${rn.name}`, word: (mn === 'br' ? A.br : A.blr)(rn) };
    });
  gens.push((r) => {
    if (r() < 0.2) return { asm: 'ret', word: A.ret() };
    const rn = gpr(r, 64, 'zr') as A.XReg;
    return { asm: `ret ${rn.name}`, word: A.ret(rn) };
  });
  gens.push((r) => {
    const rd = gpr(r, 64, 'zr') as A.XReg;
    const o = edgy(r, -(1 << 20), (1 << 20) - 1);
    return { asm: `adr ${rd.name}, #${o}`, word: A.adr(rd, o) };
  });
  gens.push((r) => {
    const rd = gpr(r, 64, 'zr') as A.XReg;
    const o = 4096 * edgy(r, -(1 << 20), (1 << 20) - 1);
    return { asm: `adrp ${rd.name}, #${o}`, word: A.adrp(rd, o) };
  });
  return gens;
}

function systemSpecs(): Gen[] {
  const gens: Gen[] = [];
  const names = Object.keys(A.BARRIER_OPTIONS) as A.BarrierOption[];
  for (const mn of ['dmb', 'dsb'] as const)
    gens.push((r) => {
      const f = mn === 'dmb' ? A.dmb : A.dsb;
      if (r() < 0.7) {
        const o = pick(r, names);
        return { asm: `${mn} ${o}`, word: f(o) };
      }
      const n = int(r, 0, 15);
      return { asm: `${mn} #${n}`, word: f(n) };
    });
  gens.push(() => ({ asm: 'isb', word: A.isb() }));
  gens.push(() => ({ asm: 'nop', word: A.nop() }));
  gens.push(() => ({ asm: 'paciasp', word: A.paciasp() }));
  gens.push(() => ({ asm: 'autiasp', word: A.autiasp() }));
  gens.push((r) => {
    const t = pick(r, ['', 'c', 'j', 'jc'] as const);
    return { asm: `bti ${t}`.trim(), word: A.bti(t) };
  });
  gens.push((r) => { const i = edgy(r, 0, 127); return { asm: `hint #${i}`, word: A.hint(i) }; });
  gens.push((r) => { const i = edgy(r, 0, 0xffff); return { asm: `brk #${i}`, word: A.brk(i) }; });
  gens.push((r) => { const i = edgy(r, 0, 0xffff); return { asm: `udf #${i}`, word: A.udf(i) }; });
  for (const reg of Object.keys(A.SYSTEM_REGISTERS) as A.SystemRegister[])
    gens.push((r) => {
      const rt = gpr(r, 64, 'zr') as A.XReg;
      return { asm: `mrs ${rt.name}, ${reg}`, word: A.mrs(rt, reg) };
    });
  return gens;
}

function fpSpecs(): Gen[] {
  const gens: Gen[] = [];
  gens.push((r) => {
    const size = pick(r, [32, 64] as const);
    const g = gpr(r, size, 'zr');
    const f = fpr(r, size);
    const dir = int(r, 0, 2);
    if (dir === 0) return { asm: `fmov ${g.name}, ${f.name}`, word: A.fmov(g, f) };
    if (dir === 1) return { asm: `fmov ${f.name}, ${g.name}`, word: A.fmov(f, g) };
    const f2 = fpr(r, size);
    return { asm: `fmov ${f.name}, ${f2.name}`, word: A.fmov(f, f2) };
  });
  const ops = { fadd: A.fadd, fsub: A.fsub, fmul: A.fmul, fdiv: A.fdiv } as const;
  for (const mn of Object.keys(ops) as (keyof typeof ops)[])
    gens.push((r) => {
      const size = pick(r, [32, 64] as const);
      const [d, n, m] = [fpr(r, size), fpr(r, size), fpr(r, size)];
      return { asm: `${mn} ${d.name}, ${n.name}, ${m.name}`, word: ops[mn](d, n, m) };
    });
  return gens;
}

/** Instances per generator; every generator runs this many times with fresh random operands. */
export const PER_GENERATOR = 130;

export function buildCorpus(seed = 0xa64): Instance[] {
  const r = rng(seed);
  const gens = [
    ...addSubSpecs(), ...logicalSpecs(), ...moveSpecs(), ...mulDivSpecs(), ...bitSpecs(), ...condSpecs(),
    ...ldstSpecs(), ...pairSpecs(), ...exclusiveSpecs(), ...lseSpecs(), ...branchSpecs(), ...systemSpecs(), ...fpSpecs(),
  ];
  const out: Instance[] = [];
  for (const g of gens)
    for (let i = 0; i < PER_GENERATOR; i++) {
      sweep = i < 32 ? i : null;
      const inst = g(r);
      if (inst) out.push(inst);
    }
  sweep = null;
  return out;
}

export type { Extend };
