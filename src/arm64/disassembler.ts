/**
 * Disassembler for everything the assembler emits, printing what llvm-objdump prints (LLVM syntax,
 * preferred aliases, hex immediates, absolute branch targets, the same `// =` comments), so the
 * differential test can compare text exactly. Decoders are tried in order; each recognises one
 * encoding group (ARM ARM C4.1) and returns null for anything else.
 *
 * Alias choices follow the "preferred disassembly" conditions of the ARM ARM alias pages (C6.2);
 * where LLVM deviates (e.g. MOV of a bitmask immediate) the comment says so.
 */
import { condName, type Cond } from './conditions.js';
import { decodeLogicalImmediate } from './logical-immediate.js';
import { SYSTEM_REGISTERS } from './system.js';

const MASK64 = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------------------
// Operand printing

/** Register 31 as the zero register. */
function rz(n: number, x: boolean): string {
  return n === 31 ? (x ? 'xzr' : 'wzr') : `${x ? 'x' : 'w'}${n}`;
}
/** Register 31 as the stack pointer. */
function rs(n: number, x: boolean): string {
  return n === 31 ? (x ? 'sp' : 'wsp') : `${x ? 'x' : 'w'}${n}`;
}
/** Signed hex immediate, LLVM style: #0x10, #-0x10. */
function hx(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0n ? `#-0x${(-b).toString(16)}` : `#0x${b.toString(16)}`;
}
function target(pc: bigint, offset: number): string {
  return `0x${((pc + BigInt(offset)) & MASK64).toString(16)}`;
}
function sext(v: number, bits: number): number {
  const s = 32 - bits;
  return (v << s) >> s;
}
const bits = (w: number, hi: number, lo: number): number => (w >>> lo) & ((1 << (hi - lo + 1)) - 1);
const cond = (c: number): string => condName(c as Cond);

const SHIFTS = ['lsl', 'lsr', 'asr', 'ror'] as const;
const EXTENDS = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'] as const;

/** ", lsr #3"; a zero LSL is implied and not printed. */
function shiftSuffix(shift: number, amount: number): string {
  return shift === 0 && amount === 0 ? '' : `, ${SHIFTS[shift]} #${amount}`;
}

type Decoder = (w: number, pc: bigint) => string | null;

// ---------------------------------------------------------------------------------------------
// Data processing -- immediate

const addSubImm: Decoder = (w) => {
  if ((w & 0x1f800000) !== 0x11000000) return null;
  const x = w >>> 31 === 1;
  const op = bits(w, 30, 30);
  const s = bits(w, 29, 29);
  const sh = bits(w, 22, 22);
  const imm = bits(w, 21, 10);
  const n = bits(w, 9, 5);
  const d = bits(w, 4, 0);
  const tail = sh ? `, lsl #12 // =0x${(imm * 4096).toString(16)}` : '';
  if (op === 0 && s === 0 && sh === 0 && imm === 0 && (d === 31 || n === 31)) return `mov\t${rs(d, x)}, ${rs(n, x)}`;
  if (s === 1 && d === 31) return `${op ? 'cmp' : 'cmn'}\t${rs(n, x)}, ${hx(imm)}${tail}`;
  const mn = ['add', 'adds', 'sub', 'subs'][op * 2 + s]!;
  return `${mn}\t${s ? rz(d, x) : rs(d, x)}, ${rs(n, x)}, ${hx(imm)}${tail}`;
};

/** Can MOVZ or MOVN produce this value in one instruction? (LLVM's test for printing ORR as MOV.) */
function isMoveWideImmediate(u: bigint, width: number): boolean {
  const mask = width === 64 ? MASK64 : 0xffffffffn;
  for (let i = 0; i < width; i += 16) {
    const m = 0xffffn << BigInt(i);
    if ((u & ~m & mask) === 0n) return true;
    if ((~u & ~m & mask) === 0n) return true;
  }
  return false;
}

function signedOf(u: bigint, width: number): bigint {
  return width === 64 ? BigInt.asIntN(64, u) : BigInt.asIntN(32, u);
}

const logicalImm: Decoder = (w) => {
  if ((w & 0x1f800000) !== 0x12000000) return null;
  const x = w >>> 31 === 1;
  const width = x ? 64 : 32;
  const opc = bits(w, 30, 29);
  const v = decodeLogicalImmediate(bits(w, 22, 22), bits(w, 21, 16), bits(w, 15, 10), width);
  if (v === null) return null;
  const n = bits(w, 9, 5);
  const d = bits(w, 4, 0);
  // LLVM prints ORR rd, zr, #imm as MOV unless a MOVZ/MOVN could produce the value.
  if (opc === 1 && n === 31 && !isMoveWideImmediate(v, width)) {
    const sv = signedOf(v, width);
    return `mov\t${rs(d, x)}, ${hx(sv)} // =${sv}`;
  }
  if (opc === 3 && d === 31) return `tst\t${rz(n, x)}, #0x${v.toString(16)}`;
  const mn = ['and', 'orr', 'eor', 'ands'][opc]!;
  return `${mn}\t${opc === 3 ? rz(d, x) : rs(d, x)}, ${rz(n, x)}, #0x${v.toString(16)}`;
};

const moveWide: Decoder = (w) => {
  if ((w & 0x1f800000) !== 0x12800000) return null;
  const x = w >>> 31 === 1;
  const opc = bits(w, 30, 29);
  const hw = bits(w, 22, 21);
  if (opc === 1 || (!x && hw >= 2)) return null;
  const imm = bits(w, 20, 5);
  const d = bits(w, 4, 0);
  const width = x ? 64 : 32;
  const shifted = BigInt(imm) << BigInt(16 * hw);
  // ARM ARM C6.2 MOV (wide immediate) / MOV (inverted wide immediate) preferred-alias conditions.
  if (opc === 2 && !(imm === 0 && hw !== 0)) {
    const v = signedOf(shifted, width);
    return `mov\t${rz(d, x)}, ${hx(v)} // =${v}`;
  }
  if (opc === 0 && !(imm === 0 && hw !== 0) && (x || imm !== 0xffff)) {
    const v = signedOf(~shifted & (width === 64 ? MASK64 : 0xffffffffn), width);
    return `mov\t${rz(d, x)}, ${hx(v)} // =${v}`;
  }
  const mn = ['movn', '', 'movz', 'movk'][opc]!;
  return `${mn}\t${rz(d, x)}, #0x${imm.toString(16)}${hw ? `, lsl #${16 * hw}` : ''}`;
};

const bitfield: Decoder = (w) => {
  if ((w & 0x1f800000) !== 0x13000000) return null;
  const x = w >>> 31 === 1;
  const opc = bits(w, 30, 29);
  const nbit = bits(w, 22, 22);
  const immr = bits(w, 21, 16);
  const imms = bits(w, 15, 10);
  const width = x ? 64 : 32;
  if (opc === 3 || nbit !== (x ? 1 : 0) || immr >= width || imms >= width) return null;
  const d = rz(bits(w, 4, 0), x);
  const nn = bits(w, 9, 5);
  const n = rz(nn, x);
  const top = width - 1;
  if (opc === 0) {
    if (imms === top) return `asr\t${d}, ${n}, #${immr}`;
    if (imms < immr) return `sbfiz\t${d}, ${n}, #${width - immr}, #${imms + 1}`;
    if (immr === 0 && (imms === 7 || imms === 15 || (x && imms === 31)))
      return `${imms === 7 ? 'sxtb' : imms === 15 ? 'sxth' : 'sxtw'}\t${d}, ${rz(nn, false)}`;
    return `sbfx\t${d}, ${n}, #${immr}, #${imms - immr + 1}`;
  }
  if (opc === 2) {
    if (imms === top) return `lsr\t${d}, ${n}, #${immr}`;
    if (imms + 1 === immr) return `lsl\t${d}, ${n}, #${top - imms}`;
    if (imms < immr) return `ubfiz\t${d}, ${n}, #${width - immr}, #${imms + 1}`;
    if (!x && immr === 0 && (imms === 7 || imms === 15)) return `${imms === 7 ? 'uxtb' : 'uxth'}\t${d}, ${n}`;
    return `ubfx\t${d}, ${n}, #${immr}, #${imms - immr + 1}`;
  }
  if (imms < immr) return `bfi\t${d}, ${n}, #${width - immr}, #${imms + 1}`;
  return `bfxil\t${d}, ${n}, #${immr}, #${imms - immr + 1}`;
};

const extract: Decoder = (w) => {
  if ((w & 0x7fa00000) !== 0x13800000) return null;
  const x = w >>> 31 === 1;
  const lsb = bits(w, 15, 10);
  if (bits(w, 22, 22) !== (x ? 1 : 0) || (!x && lsb >= 32)) return null;
  const n = bits(w, 9, 5);
  const m = bits(w, 20, 16);
  const d = rz(bits(w, 4, 0), x);
  if (n === m) return `ror\t${d}, ${rz(n, x)}, ${hx(lsb)}`;
  return `extr\t${d}, ${rz(n, x)}, ${rz(m, x)}, ${hx(lsb)}`;
};

const pcRel: Decoder = (w, pc) => {
  if ((w & 0x1f000000) !== 0x10000000) return null;
  const imm = sext((bits(w, 23, 5) << 2) | bits(w, 30, 29), 21);
  const d = rz(bits(w, 4, 0), true);
  if (w >>> 31 === 0) return `adr\t${d}, ${target(pc, imm)}`;
  const page = pc & ~0xfffn;
  return `adrp\t${d}, 0x${((page + BigInt(imm) * 4096n) & MASK64).toString(16)}`;
};

// ---------------------------------------------------------------------------------------------
// Data processing -- register

const addSubShifted: Decoder = (w) => {
  if ((w & 0x1f200000) !== 0x0b000000) return null;
  const x = w >>> 31 === 1;
  const shift = bits(w, 23, 22);
  const amount = bits(w, 15, 10);
  if (shift === 3 || (!x && amount >= 32)) return null;
  const op = bits(w, 30, 30);
  const s = bits(w, 29, 29);
  const m = rz(bits(w, 20, 16), x);
  const n = bits(w, 9, 5);
  const d = bits(w, 4, 0);
  const sfx = shiftSuffix(shift, amount);
  if (s && d === 31) return `${op ? 'cmp' : 'cmn'}\t${rz(n, x)}, ${m}${sfx}`;
  if (op && n === 31) return `${s ? 'negs' : 'neg'}\t${rz(d, x)}, ${m}${sfx}`;
  return `${['add', 'adds', 'sub', 'subs'][op * 2 + s]}\t${rz(d, x)}, ${rz(n, x)}, ${m}${sfx}`;
};

const addSubExtended: Decoder = (w) => {
  if ((w & 0x1f200000) !== 0x0b200000) return null;
  const x = w >>> 31 === 1;
  const amount = bits(w, 12, 10);
  if (bits(w, 23, 22) !== 0 || amount > 4) return null;
  const op = bits(w, 30, 30);
  const s = bits(w, 29, 29);
  const option = bits(w, 15, 13);
  const m = rz(bits(w, 20, 16), x && (option & 3) === 3);
  const n = bits(w, 9, 5);
  const d = bits(w, 4, 0);
  // With SP as destination or first source, UXTX (UXTW for 32-bit) is printed as LSL (ARM ARM C6.2 ADD (extended register)).
  const spInvolved = n === 31 || (d === 31 && s === 0);
  let ext: string;
  if (spInvolved && option === (x ? 3 : 2)) ext = amount ? `, lsl #${amount}` : '';
  else ext = `, ${EXTENDS[option]}${amount ? ` #${amount}` : ''}`;
  if (s && d === 31) return `${op ? 'cmp' : 'cmn'}\t${rs(n, x)}, ${m}${ext}`;
  return `${['add', 'adds', 'sub', 'subs'][op * 2 + s]}\t${s ? rz(d, x) : rs(d, x)}, ${rs(n, x)}, ${m}${ext}`;
};

const logicalShifted: Decoder = (w) => {
  if ((w & 0x1f000000) !== 0x0a000000) return null;
  const x = w >>> 31 === 1;
  const amount = bits(w, 15, 10);
  if (!x && amount >= 32) return null;
  const opc = bits(w, 30, 29);
  const neg = bits(w, 21, 21);
  const shift = bits(w, 23, 22);
  const m = rz(bits(w, 20, 16), x);
  const n = bits(w, 9, 5);
  const d = bits(w, 4, 0);
  const sfx = shiftSuffix(shift, amount);
  if (opc === 1 && neg === 0 && n === 31 && shift === 0 && amount === 0) return `mov\t${rz(d, x)}, ${m}`;
  if (opc === 1 && neg === 1 && n === 31) return `mvn\t${rz(d, x)}, ${m}${sfx}`;
  if (opc === 3 && neg === 0 && d === 31) return `tst\t${rz(n, x)}, ${m}${sfx}`;
  const mn = [['and', 'bic'], ['orr', 'orn'], ['eor', 'eon'], ['ands', 'bics']][opc]![neg]!;
  return `${mn}\t${rz(d, x)}, ${rz(n, x)}, ${m}${sfx}`;
};

const DP2: Readonly<Record<number, string>> = { 2: 'udiv', 3: 'sdiv', 8: 'lsl', 9: 'lsr', 10: 'asr', 11: 'ror' };
const dataProc2: Decoder = (w) => {
  if ((w & 0x7fe00000) !== 0x1ac00000) return null;
  const mn = DP2[bits(w, 15, 10)];
  if (!mn) return null;
  const x = w >>> 31 === 1;
  return `${mn}\t${rz(bits(w, 4, 0), x)}, ${rz(bits(w, 9, 5), x)}, ${rz(bits(w, 20, 16), x)}`;
};

const dataProc1: Decoder = (w) => {
  if ((w & 0x7fff0000) !== 0x5ac00000) return null;
  const x = w >>> 31 === 1;
  const opc = bits(w, 15, 10);
  const names = x ? ['rbit', 'rev16', 'rev32', 'rev', 'clz', 'cls'] : ['rbit', 'rev16', 'rev', '', 'clz', 'cls'];
  const mn = names[opc];
  if (!mn) return null;
  return `${mn}\t${rz(bits(w, 4, 0), x)}, ${rz(bits(w, 9, 5), x)}`;
};

/** op31:o0 -> [name, alias when Ra is the zero register, long (W sources)]. */
const DP3: Readonly<Record<number, readonly [string, string, boolean]>> = {
  0b0000: ['madd', 'mul', false], 0b0001: ['msub', 'mneg', false],
  0b0010: ['smaddl', 'smull', true], 0b0011: ['smsubl', 'smnegl', true], 0b0100: ['smulh', 'smulh', false],
  0b1010: ['umaddl', 'umull', true], 0b1011: ['umsubl', 'umnegl', true], 0b1100: ['umulh', 'umulh', false],
};
const dataProc3: Decoder = (w) => {
  if ((w & 0x7f000000) !== 0x1b000000) return null;
  const x = w >>> 31 === 1;
  const key = (bits(w, 23, 21) << 1) | bits(w, 15, 15);
  const e = DP3[key];
  if (!e || (key > 1 && !x)) return null;
  const [name, alias, long] = e;
  const a = bits(w, 14, 10);
  const d = rz(bits(w, 4, 0), x);
  const n = rz(bits(w, 9, 5), x && !long);
  const m = rz(bits(w, 20, 16), x && !long);
  if (name === 'smulh' || name === 'umulh') return a === 31 ? `${name}\t${d}, ${n}, ${m}` : null;
  if (a === 31) return `${alias}\t${d}, ${n}, ${m}`;
  return `${name}\t${d}, ${n}, ${m}, ${rz(a, x)}`;
};

const condSelect: Decoder = (w) => {
  if ((w & 0x3fe00800) !== 0x1a800000) return null;
  const x = w >>> 31 === 1;
  const op = bits(w, 30, 30);
  const o2 = bits(w, 10, 10);
  const c = bits(w, 15, 12);
  const m = bits(w, 20, 16);
  const n = bits(w, 9, 5);
  const d = rz(bits(w, 4, 0), x);
  const kind = op * 2 + o2;
  if (m === n && c < 14) {
    const inv = cond(c ^ 1);
    if (kind === 1) return n === 31 ? `cset\t${d}, ${inv}` : `cinc\t${d}, ${rz(n, x)}, ${inv}`;
    if (kind === 2) return n === 31 ? `csetm\t${d}, ${inv}` : `cinv\t${d}, ${rz(n, x)}, ${inv}`;
    if (kind === 3) return `cneg\t${d}, ${rz(n, x)}, ${inv}`;
  }
  return `${['csel', 'csinc', 'csinv', 'csneg'][kind]}\t${d}, ${rz(n, x)}, ${rz(m, x)}, ${cond(c)}`;
};

// ---------------------------------------------------------------------------------------------
// Loads and stores

/** Mnemonic stem and transfer register for size:V:opc, or null when unallocated. */
function ldstRegister(size: number, v: number, opc: number, t: number): { mn: string; reg: string; scale: number } | null {
  if (v === 1) {
    if (opc >= 2 && size !== 0) return null;
    const q = opc >= 2;
    const prefix = q ? 'q' : 'bhsd'[size]!;
    return { mn: opc & 1 ? 'ldr' : 'str', reg: `${prefix}${t}`, scale: q ? 4 : size };
  }
  const table: readonly (readonly [string, boolean] | null)[][] = [
    [['strb', false], ['ldrb', false], ['ldrsb', true], ['ldrsb', false]],
    [['strh', false], ['ldrh', false], ['ldrsh', true], ['ldrsh', false]],
    [['str', false], ['ldr', false], ['ldrsw', true], null],
    [['str', true], ['ldr', true], null, null],
  ];
  const e = table[size]![opc];
  if (!e) return null;
  return { mn: e[0], reg: rz(t, e[1]), scale: size };
}

const unscaledName = (mn: string): string => mn.replace(/^ldr/, 'ldur').replace(/^str/, 'stur');

const ldstUnsigned: Decoder = (w) => {
  if ((w & 0x3b000000) !== 0x39000000) return null;
  const r = ldstRegister(bits(w, 31, 30), bits(w, 26, 26), bits(w, 23, 22), bits(w, 4, 0));
  if (!r) return null;
  const off = bits(w, 21, 10) << r.scale;
  const b = rs(bits(w, 9, 5), true);
  return `${r.mn}\t${r.reg}, [${b}${off ? `, ${hx(off)}` : ''}]`;
};

const ldstImm9: Decoder = (w) => {
  if ((w & 0x3b200000) !== 0x38000000) return null;
  const mode = bits(w, 11, 10);
  if (mode === 2) return null; // LDTR family: never emitted
  const r = ldstRegister(bits(w, 31, 30), bits(w, 26, 26), bits(w, 23, 22), bits(w, 4, 0));
  if (!r) return null;
  const off = sext(bits(w, 20, 12), 9);
  const b = rs(bits(w, 9, 5), true);
  if (mode === 0) return `${unscaledName(r.mn)}\t${r.reg}, [${b}${off ? `, ${hx(off)}` : ''}]`;
  if (mode === 1) return `${r.mn}\t${r.reg}, [${b}], ${hx(off)}`;
  return `${r.mn}\t${r.reg}, [${b}, ${hx(off)}]!`;
};

const INDEX_EXT: Readonly<Record<number, string>> = { 2: 'uxtw', 3: 'lsl', 6: 'sxtw', 7: 'sxtx' };
const ldstRegOffset: Decoder = (w) => {
  if ((w & 0x3b200c00) !== 0x38200800) return null;
  const r = ldstRegister(bits(w, 31, 30), bits(w, 26, 26), bits(w, 23, 22), bits(w, 4, 0));
  const option = bits(w, 15, 13);
  const ext = INDEX_EXT[option];
  if (!r || !ext) return null;
  const scaled = bits(w, 12, 12) === 1;
  const idx = rz(bits(w, 20, 16), (option & 1) === 1);
  let sfx: string;
  if (ext === 'lsl') sfx = scaled ? `, lsl #${r.scale}` : '';
  else sfx = `, ${ext}${scaled ? ` #${r.scale}` : ''}`;
  return `${r.mn}\t${r.reg}, [${rs(bits(w, 9, 5), true)}, ${idx}${sfx}]`;
};

const ldstPair: Decoder = (w) => {
  if ((w & 0x3a000000) !== 0x28000000) return null;
  const idx = bits(w, 24, 23);
  if (idx === 0) return null; // LDNP/STNP: never emitted
  const opc = bits(w, 31, 30);
  const v = bits(w, 26, 26);
  const load = bits(w, 22, 22) === 1;
  let mn = load ? 'ldp' : 'stp';
  let prefix: string;
  let scale: number;
  if (v === 1) {
    if (opc === 3) return null;
    prefix = 'sdq'[opc]!;
    scale = opc + 2;
  } else if (opc === 0) {
    prefix = 'w';
    scale = 2;
  } else if (opc === 2) {
    prefix = 'x';
    scale = 3;
  } else if (opc === 1 && load) {
    mn = 'ldpsw';
    prefix = 'x';
    scale = 2;
  } else return null;
  const reg = (n: number): string => (v === 0 ? rz(n, prefix === 'x') : `${prefix}${n}`);
  const off = sext(bits(w, 21, 15), 7) * (1 << scale);
  const b = rs(bits(w, 9, 5), true);
  const regs = `${reg(bits(w, 4, 0))}, ${reg(bits(w, 14, 10))}`;
  if (idx === 1) return `${mn}\t${regs}, [${b}], ${hx(off)}`;
  if (idx === 3) return `${mn}\t${regs}, [${b}, ${hx(off)}]!`;
  return `${mn}\t${regs}, [${b}${off ? `, ${hx(off)}` : ''}]`;
};

const SIZE_SUFFIX = ['b', 'h', '', ''] as const;

const exclusive: Decoder = (w) => {
  if ((w & 0x3f000000) !== 0x08000000) return null;
  const size = bits(w, 31, 30);
  const o2 = bits(w, 23, 23);
  const l = bits(w, 22, 22);
  const o1 = bits(w, 21, 21);
  const o0 = bits(w, 15, 15);
  const s = bits(w, 20, 16);
  const x = size === 3;
  const t = rz(bits(w, 4, 0), x);
  const b = rs(bits(w, 9, 5), true);
  const sfx = SIZE_SUFFIX[size];
  if (o2 === 1 && o1 === 1) {
    if (bits(w, 14, 10) !== 31) return null;
    return `cas${l ? 'a' : ''}${o0 ? 'l' : ''}${sfx}\t${rz(s, x)}, ${t}, [${b}]`;
  }
  if (o1 === 1 || bits(w, 14, 10) !== 31) return null;
  if (o2 === 0) {
    if (l) return s === 31 ? `ld${o0 ? 'a' : ''}xr${sfx}\t${t}, [${b}]` : null;
    return `st${o0 ? 'l' : ''}xr${sfx}\t${rz(s, false)}, ${t}, [${b}]`;
  }
  if (o0 === 0 || s !== 31) return null; // LDLAR/STLLR: never emitted
  return `${l ? 'ldar' : 'stlr'}${sfx}\t${t}, [${b}]`;
};

const LSE_OPS: Readonly<Record<number, string>> = {
  0b0000: 'add', 0b0001: 'clr', 0b0010: 'eor', 0b0011: 'set', 0b0100: 'smax', 0b0101: 'smin', 0b0110: 'umax', 0b0111: 'umin', 0b1000: 'swp',
};
const lseAtomic: Decoder = (w) => {
  if ((w & 0x3f200c00) !== 0x38200000) return null;
  const op = LSE_OPS[(bits(w, 15, 15) << 3) | bits(w, 14, 12)];
  if (!op) return null;
  const size = bits(w, 31, 30);
  const a = bits(w, 23, 23);
  const r = bits(w, 22, 22);
  const x = size === 3;
  const s = rz(bits(w, 20, 16), x);
  const tn = bits(w, 4, 0);
  const b = rs(bits(w, 9, 5), true);
  const sfx = SIZE_SUFFIX[size];
  if (op !== 'swp' && tn === 31 && a === 0) return `st${op}${r ? 'l' : ''}${sfx}\t${s}, [${b}]`;
  const mn = `${op === 'swp' ? 'swp' : `ld${op}`}${a ? 'a' : ''}${r ? 'l' : ''}${sfx}`;
  // LLVM notes that an acquire with a discarded result is not ordered like one (ARM ARM C6.2 LDADD).
  const note = a && tn === 31 ? ' // acquire semantics dropped since destination is zero' : '';
  return `${mn}\t${s}, ${rz(tn, x)}, [${b}]${note}`;
};

// ---------------------------------------------------------------------------------------------
// Branches, system, exceptions

const branchImm: Decoder = (w, pc) => {
  if ((w & 0x7c000000) !== 0x14000000) return null;
  return `${w >>> 31 ? 'bl' : 'b'}\t${target(pc, sext(w & 0x3ffffff, 26) * 4)}`;
};

const condBranch: Decoder = (w, pc) => {
  if ((w & 0xff000010) !== 0x54000000) return null;
  return `b.${cond(w & 15)}\t${target(pc, sext(bits(w, 23, 5), 19) * 4)}`;
};

const compareBranch: Decoder = (w, pc) => {
  if ((w & 0x7e000000) !== 0x34000000) return null;
  return `${bits(w, 24, 24) ? 'cbnz' : 'cbz'}\t${rz(bits(w, 4, 0), w >>> 31 === 1)}, ${target(pc, sext(bits(w, 23, 5), 19) * 4)}`;
};

const testBranch: Decoder = (w, pc) => {
  if ((w & 0x7e000000) !== 0x36000000) return null;
  const b5 = w >>> 31;
  const bit = (b5 << 5) | bits(w, 23, 19);
  return `${bits(w, 24, 24) ? 'tbnz' : 'tbz'}\t${rz(bits(w, 4, 0), b5 === 1)}, ${hx(bit)}, ${target(pc, sext(bits(w, 18, 5), 14) * 4)}`;
};

const branchReg: Decoder = (w) => {
  const n = bits(w, 9, 5);
  switch ((w & 0xfffffc1f) >>> 0) {
    case 0xd61f0000: return `br\t${rz(n, true)}`;
    case 0xd63f0000: return `blr\t${rz(n, true)}`;
    case 0xd65f0000: return n === 30 ? 'ret' : `ret\t${rz(n, true)}`;
    default: return null;
  }
};

/** HINT space names as LLVM prints them (ARM ARM C6.2 HINT lists the allocated encodings). */
const HINTS: Readonly<Record<number, string>> = {
  0: 'nop', 1: 'yield', 2: 'wfe', 3: 'wfi', 4: 'sev', 5: 'sevl', 6: 'dgh', 7: 'xpaclri',
  8: 'pacia1716', 10: 'pacib1716', 12: 'autia1716', 14: 'autib1716',
  16: 'esb', 17: 'psb\tcsync', 18: 'tsb\tcsync', 19: 'gcsb\tdsync', 20: 'csdb', 22: 'clrbhb',
  24: 'paciaz', 25: 'paciasp', 26: 'pacibz', 27: 'pacibsp', 28: 'autiaz', 29: 'autiasp', 30: 'autibz', 31: 'autibsp',
  32: 'bti\tr', 34: 'bti\tc', 36: 'bti\tj', 38: 'bti\tjc', 39: 'pacm', 40: 'chkfeat\tx16',
  48: 'stshh\tkeep', 49: 'stshh\tstrm', 50: 'shuh', 51: 'shuh\tph', 52: 'stcph', 53: 'stshh\t#0x5', 54: 'stshh\t#0x6', 55: 'stshh\t#0x7',
};

const BARRIERS: Readonly<Record<number, string>> = {
  1: 'oshld', 2: 'oshst', 3: 'osh', 5: 'nshld', 6: 'nshst', 7: 'nsh', 9: 'ishld', 10: 'ishst', 11: 'ish', 13: 'ld', 14: 'st', 15: 'sy',
};
/** DSB encodings with CRm<2:0> = 0 that are other instructions (speculation barriers, FEAT_XS DFB). */
const DSB_SPECIAL: Readonly<Record<number, string>> = { 0: 'ssbb', 4: 'pssbb', 12: 'dfb' };

/** The MRS registers the encoder knows, by o0:op1:CRn:CRm:op2 (bits 19..5), as LLVM names them. */
const SYSREG_NAMES = new Map(
  Object.entries(SYSTEM_REGISTERS).map(([name, [op0, op1, crn, crm, op2]]) => [((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2, name.toUpperCase()]),
);

const system: Decoder = (w) => {
  if ((w & 0xfffff01f) >>> 0 === 0xd503201f) {
    const n = bits(w, 11, 5);
    return HINTS[n] ?? `hint\t${hx(n)}`;
  }
  const crm = bits(w, 11, 8);
  switch ((w & 0xfffff0ff) >>> 0) {
    case 0xd503309f: return DSB_SPECIAL[crm] ?? `dsb\t${BARRIERS[crm] ?? `#${crm}`}`;
    case 0xd50330bf: return `dmb\t${BARRIERS[crm] ?? `#${crm}`}`;
    case 0xd50330df: return crm === 15 ? 'isb' : `isb\t#${crm}`;
  }
  if ((w & 0xfff00000) >>> 0 === 0xd5300000) {
    const name = SYSREG_NAMES.get((w >>> 5) & 0x7fff);
    if (name !== undefined) return `mrs\t${bits(w, 4, 0) === 31 ? 'xzr' : `x${bits(w, 4, 0)}`}, ${name}`;
  }
  if ((w & 0xffe0001f) >>> 0 === 0xd4200000) {
    // LLVM prints a zero BRK immediate in decimal (unlike UDF): "brk #0" but "udf #0x0".
    const imm = bits(w, 20, 5);
    return `brk\t${imm === 0 ? '#0' : hx(imm)}`;
  }
  if ((w & 0xffff0000) === 0) return `udf\t${hx(w & 0xffff)}`;
  return null;
};

// ---------------------------------------------------------------------------------------------
// FP/SIMD subset

const fpMove: Decoder = (w) => {
  const d = bits(w, 4, 0);
  const n = bits(w, 9, 5);
  switch ((w & 0xfffffc00) >>> 0) {
    case 0x1e260000: return `fmov\t${rz(d, false)}, s${n}`;
    case 0x1e270000: return `fmov\ts${d}, ${rz(n, false)}`;
    case 0x9e660000: return `fmov\t${rz(d, true)}, d${n}`;
    case 0x9e670000: return `fmov\td${d}, ${rz(n, true)}`;
    case 0x1e204000: return `fmov\ts${d}, s${n}`;
    case 0x1e604000: return `fmov\td${d}, d${n}`;
    default: return null;
  }
};

const FP2 = ['fmul', 'fdiv', 'fadd', 'fsub'] as const;
const fpArith: Decoder = (w) => {
  if ((w & 0xff200c00) !== 0x1e200800 || bits(w, 23, 23) !== 0) return null;
  const mn = FP2[bits(w, 15, 12)];
  if (!mn) return null;
  const p = bits(w, 22, 22) ? 'd' : 's';
  return `${mn}\t${p}${bits(w, 4, 0)}, ${p}${bits(w, 9, 5)}, ${p}${bits(w, 20, 16)}`;
};

const DECODERS: readonly Decoder[] = [
  addSubImm, logicalImm, moveWide, bitfield, extract, pcRel,
  addSubShifted, addSubExtended, logicalShifted, dataProc2, dataProc1, dataProc3, condSelect,
  ldstUnsigned, ldstImm9, ldstRegOffset, ldstPair, exclusive, lseAtomic,
  branchImm, condBranch, compareBranch, testBranch, branchReg, system,
  fpMove, fpArith,
];

/**
 * One instruction in LLVM syntax: mnemonic, a tab, operands (as llvm-objdump prints them), or
 * null if the word is outside what this disassembler knows. `address` is the instruction's own
 * address, used to print PC-relative targets as absolute addresses.
 */
export function decodeInstruction(word: number, address: bigint | number = 0n): string | null {
  const w = word >>> 0;
  const pc = BigInt(address);
  for (const d of DECODERS) {
    const text = d(w, pc);
    if (text !== null) return text;
  }
  return null;
}

/** Like `decodeInstruction`, printing `<unknown>` (as llvm-objdump does) for unknown words. */
export function disassemble(word: number, address: bigint | number = 0n): string {
  return decodeInstruction(word, address) ?? '<unknown>';
}

export interface DisassembledLine {
  readonly address: bigint;
  readonly word: number;
  readonly text: string;
}

/** Disassemble little-endian code; trailing bytes that do not fill a word are ignored. */
export function disassembleBytes(code: Uint8Array, baseAddress: bigint | number = 0n): DisassembledLine[] {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const out: DisassembledLine[] = [];
  const base = BigInt(baseAddress);
  for (let i = 0; i + 4 <= code.byteLength; i += 4) {
    const word = view.getUint32(i, true);
    const address = base + BigInt(i);
    out.push({ address, word, text: disassemble(word, address) });
  }
  return out;
}
