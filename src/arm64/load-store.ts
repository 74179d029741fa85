/**
 * Loads and stores (ARM ARM C4.1.4 "Loads and Stores"): single registers in every addressing
 * form, pairs, exclusives, load-acquire/store-release, and the LSE atomics. FP/SIMD registers
 * (B/H/S/D/Q) go through the same `ldr`/`str`/`ldp`/`stp` entry points.
 */
import { A64EncodeError } from './errors.js';
import { base, fp, gp, inRange, simmScaled } from './operands.js';
import { WZR, XZR, type FpReg, type GpReg } from './registers.js';

// ---------------------------------------------------------------------------------------------
// Addressing modes

export type IndexExtend = 'lsl' | 'uxtw' | 'sxtw' | 'sxtx';

export type Address =
  /** [base, #offset]: scaled unsigned imm12 when possible, else unscaled signed imm9 (LDUR). */
  | { readonly mode: 'offset'; readonly base: GpReg; readonly offset: number }
  /** [base, #offset]!: base += offset, then access. */
  | { readonly mode: 'pre'; readonly base: GpReg; readonly offset: number }
  /** [base], #offset: access, then base += offset. */
  | { readonly mode: 'post'; readonly base: GpReg; readonly offset: number }
  /** [base, index{, extend {#log2(size)}}]: `scaled` shifts the index by the access size. */
  | { readonly mode: 'register'; readonly base: GpReg; readonly index: GpReg; readonly extend: IndexExtend; readonly scaled: boolean };

export const mem = (baseReg: GpReg, offset = 0): Address => ({ mode: 'offset', base: baseReg, offset });
export const preIndex = (baseReg: GpReg, offset: number): Address => ({ mode: 'pre', base: baseReg, offset });
export const postIndex = (baseReg: GpReg, offset: number): Address => ({ mode: 'post', base: baseReg, offset });
/** Register offset. `lsl`/`sxtx` take an X index, `uxtw`/`sxtw` a W index. */
export const memIndex = (baseReg: GpReg, index: GpReg, extend: IndexExtend = 'lsl', scaled = false): Address => ({
  mode: 'register', base: baseReg, index, extend, scaled,
});

const INDEX_OPTION: Readonly<Record<IndexExtend, number>> = { uxtw: 0b010, lsl: 0b011, sxtw: 0b110, sxtx: 0b111 };

// ---------------------------------------------------------------------------------------------
// Single register

/** size (bits 31:30), V (bit 26), opc (bits 23:22) and the access size as log2 bytes. */
interface LdStForm {
  readonly size: number;
  readonly v: number;
  readonly opc: number;
  readonly scale: number;
}

type GpKind = 'ldr' | 'str' | 'ldrb' | 'strb' | 'ldrh' | 'strh' | 'ldrsb' | 'ldrsh' | 'ldrsw';

function gpForm(mn: string, kind: GpKind, rt: GpReg): LdStForm {
  const x = rt.width === 64;
  const need = (w: 32 | 64): void => {
    if (rt.width !== w) throw new A64EncodeError(mn, 'rt', `${rt.name}: expected a ${w === 64 ? 'X' : 'W'} register`);
  };
  switch (kind) {
    case 'str': return { size: x ? 3 : 2, v: 0, opc: 0, scale: x ? 3 : 2 };
    case 'ldr': return { size: x ? 3 : 2, v: 0, opc: 1, scale: x ? 3 : 2 };
    case 'strb': need(32); return { size: 0, v: 0, opc: 0, scale: 0 };
    case 'ldrb': need(32); return { size: 0, v: 0, opc: 1, scale: 0 };
    case 'strh': need(32); return { size: 1, v: 0, opc: 0, scale: 1 };
    case 'ldrh': need(32); return { size: 1, v: 0, opc: 1, scale: 1 };
    // Sign-extending loads: opc 2 extends to 64 bits, opc 3 to 32 bits.
    case 'ldrsb': return { size: 0, v: 0, opc: x ? 2 : 3, scale: 0 };
    case 'ldrsh': return { size: 1, v: 0, opc: x ? 2 : 3, scale: 1 };
    case 'ldrsw': need(64); return { size: 2, v: 0, opc: 2, scale: 2 };
  }
}

function fpForm(load: boolean, rt: FpReg): LdStForm {
  // Q registers reuse size 0 with the high opc bit set.
  if (rt.size === 128) return { size: 0, v: 1, opc: load ? 3 : 2, scale: 4 };
  const scale = Math.log2(rt.size / 8);
  return { size: scale, v: 1, opc: load ? 1 : 0, scale };
}

function formOf(mn: string, kind: GpKind, rt: GpReg | FpReg): { form: LdStForm; t: number; gpRt: GpReg | null } {
  if (rt && typeof rt === 'object' && rt.kind === 'fp') {
    if (kind !== 'ldr' && kind !== 'str') throw new A64EncodeError(mn, 'rt', `${rt.name}: FP/SIMD registers only with ldr/str`);
    return { form: fpForm(kind === 'ldr', rt), t: fp(mn, 'rt', rt), gpRt: null };
  }
  const g = rt as GpReg;
  const t = gp(mn, 'rt', g, 'zr');
  return { form: gpForm(mn, kind, g), t, gpRt: g };
}

function encodeLdSt(mn: string, kind: GpKind, rt: GpReg | FpReg, addr: Address, unscaledOnly: boolean): number {
  const { form, t, gpRt } = formOf(mn, kind, rt);
  const n = base(mn, addr.base);
  const head = (form.size << 30) | (0b111 << 27) | (form.v << 26) | (form.opc << 22);
  const bytes = 1 << form.scale;
  switch (addr.mode) {
    case 'offset': {
      const off = addr.offset;
      if (!unscaledOnly && Number.isInteger(off) && off >= 0 && off % bytes === 0 && off / bytes < 4096)
        return (head | (1 << 24) | ((off / bytes) << 10) | (n << 5) | t) >>> 0;
      if (Number.isInteger(off) && off >= -256 && off <= 255) return (head | ((off & 0x1ff) << 12) | (n << 5) | t) >>> 0;
      inRange(mn, 'offset', off, -Infinity, Infinity);
      throw new A64EncodeError(
        mn,
        'offset',
        unscaledOnly
          ? `#${off} is out of range -256..255`
          : `#${off} is neither a multiple of ${bytes} in 0..${4095 * bytes} (scaled) nor in -256..255 (unscaled)`,
      );
    }
    case 'pre':
    case 'post': {
      if (unscaledOnly) throw new A64EncodeError(mn, 'address', 'writeback addressing is not available for the unscaled form');
      // A writeback base that is also the transfer register is CONSTRAINED UNPREDICTABLE (ARM ARM C6.2 LDR (immediate)).
      if (gpRt && n === t && n !== 31) throw new A64EncodeError(mn, 'rt', `${gpRt.name} is also the writeback base (unpredictable)`);
      inRange(mn, 'offset', addr.offset, -256, 255);
      return (head | ((addr.offset & 0x1ff) << 12) | ((addr.mode === 'pre' ? 3 : 1) << 10) | (n << 5) | t) >>> 0;
    }
    case 'register': {
      if (unscaledOnly) throw new A64EncodeError(mn, 'address', 'register offset is not available for the unscaled form');
      const ext = addr.extend;
      if (!(ext in INDEX_OPTION)) throw new A64EncodeError(mn, 'extend', `${String(ext)} (allowed: lsl, uxtw, sxtw, sxtx)`);
      const m = gp(mn, 'index', addr.index, 'zr', ext === 'uxtw' || ext === 'sxtw' ? 32 : 64);
      return (head | (1 << 21) | (m << 16) | (INDEX_OPTION[ext] << 13) | ((addr.scaled ? 1 : 0) << 12) | (2 << 10) | (n << 5) | t) >>> 0;
    }
    default:
      throw new A64EncodeError(mn, 'address', 'unknown addressing mode');
  }
}

/** LDR/STR of an X, W or FP/SIMD register. A plain offset becomes LDUR/STUR when it is negative or unaligned. */
export const ldr = (rt: GpReg | FpReg, addr: Address): number => encodeLdSt('ldr', 'ldr', rt, addr, false);
export const str = (rt: GpReg | FpReg, addr: Address): number => encodeLdSt('str', 'str', rt, addr, false);
export const ldrb = (rt: GpReg, addr: Address): number => encodeLdSt('ldrb', 'ldrb', rt, addr, false);
export const strb = (rt: GpReg, addr: Address): number => encodeLdSt('strb', 'strb', rt, addr, false);
export const ldrh = (rt: GpReg, addr: Address): number => encodeLdSt('ldrh', 'ldrh', rt, addr, false);
export const strh = (rt: GpReg, addr: Address): number => encodeLdSt('strh', 'strh', rt, addr, false);
/** Sign-extending loads; a W destination sign-extends to 32 bits (then zero-extends), an X one to 64. */
export const ldrsb = (rt: GpReg, addr: Address): number => encodeLdSt('ldrsb', 'ldrsb', rt, addr, false);
export const ldrsh = (rt: GpReg, addr: Address): number => encodeLdSt('ldrsh', 'ldrsh', rt, addr, false);
export const ldrsw = (rt: GpReg, addr: Address): number => encodeLdSt('ldrsw', 'ldrsw', rt, addr, false);

/** The unscaled forms, signed 9-bit byte offset only: `ldur(x0, mem(x1, -3))`. */
export const ldur = (rt: GpReg | FpReg, addr: Address): number => encodeLdSt('ldur', 'ldr', rt, addr, true);
export const stur = (rt: GpReg | FpReg, addr: Address): number => encodeLdSt('stur', 'str', rt, addr, true);
export const ldurb = (rt: GpReg, addr: Address): number => encodeLdSt('ldurb', 'ldrb', rt, addr, true);
export const sturb = (rt: GpReg, addr: Address): number => encodeLdSt('sturb', 'strb', rt, addr, true);
export const ldurh = (rt: GpReg, addr: Address): number => encodeLdSt('ldurh', 'ldrh', rt, addr, true);
export const sturh = (rt: GpReg, addr: Address): number => encodeLdSt('sturh', 'strh', rt, addr, true);
export const ldursb = (rt: GpReg, addr: Address): number => encodeLdSt('ldursb', 'ldrsb', rt, addr, true);
export const ldursh = (rt: GpReg, addr: Address): number => encodeLdSt('ldursh', 'ldrsh', rt, addr, true);
export const ldursw = (rt: GpReg, addr: Address): number => encodeLdSt('ldursw', 'ldrsw', rt, addr, true);

/** Can `offset` be used with `mem(base, offset)` for an access of `bytes` bytes? */
export function isLoadStoreOffset(offset: number, bytes: 1 | 2 | 4 | 8 | 16): boolean {
  if (!Number.isInteger(offset)) return false;
  return (offset >= 0 && offset % bytes === 0 && offset / bytes < 4096) || (offset >= -256 && offset <= 255);
}

// ---------------------------------------------------------------------------------------------
// Pairs

function encodePair(mn: string, load: boolean, signedWord: boolean, rt: GpReg | FpReg, rt2: GpReg | FpReg, addr: Address): number {
  let opc: number;
  let v: number;
  let scale: number;
  let t: number;
  let t2: number;
  if (rt && typeof rt === 'object' && rt.kind === 'fp') {
    t = fp(mn, 'rt', rt, [32, 64, 128]);
    t2 = fp(mn, 'rt2', rt2 as FpReg, [rt.size]);
    v = 1;
    opc = rt.size === 32 ? 0 : rt.size === 64 ? 1 : 2;
    scale = rt.size === 32 ? 2 : rt.size === 64 ? 3 : 4;
    if (load && t === t2) throw new A64EncodeError(mn, 'rt2', `${rt.name} is loaded twice (unpredictable)`);
  } else {
    const g = rt as GpReg;
    t = gp(mn, 'rt', g, 'zr');
    t2 = gp(mn, 'rt2', rt2 as GpReg, 'zr', g.width);
    if (signedWord && g.width !== 64) throw new A64EncodeError(mn, 'rt', `${g.name}: expected an X register`);
    v = 0;
    opc = signedWord ? 1 : g.width === 64 ? 2 : 0;
    scale = signedWord ? 2 : g.width === 64 ? 3 : 2;
    // ARM ARM C6.2 LDP: t == t2 on a load, or a writeback base equal to either, is CONSTRAINED UNPREDICTABLE.
    if (load && t === t2) throw new A64EncodeError(mn, 'rt2', `${g.name} is loaded twice (unpredictable)`);
  }
  const n = base(mn, addr.base);
  if (addr.mode === 'register') throw new A64EncodeError(mn, 'address', 'pairs have no register-offset form');
  const idx = addr.mode === 'post' ? 1 : addr.mode === 'offset' ? 2 : 3;
  if (idx !== 2 && v === 0 && n !== 31 && (n === t || n === t2))
    throw new A64EncodeError(mn, n === t ? 'rt' : 'rt2', 'is also the writeback base (unpredictable)');
  const imm7 = simmScaled(mn, 'offset', addr.offset, 7, 1 << scale);
  return ((opc << 30) | (0b101 << 27) | (v << 26) | (idx << 23) | ((load ? 1 : 0) << 22) | (imm7 << 15) | (t2 << 10) | (n << 5) | t) >>> 0;
}

/** LDP/STP of X, W, S, D or Q registers; the offset is scaled by the register size (signed 7 bits). */
export const ldp = (rt: GpReg | FpReg, rt2: GpReg | FpReg, addr: Address): number => encodePair('ldp', true, false, rt, rt2, addr);
export const stp = (rt: GpReg | FpReg, rt2: GpReg | FpReg, addr: Address): number => encodePair('stp', false, false, rt, rt2, addr);
export const ldpsw = (rt: GpReg, rt2: GpReg, addr: Address): number => encodePair('ldpsw', true, true, rt, rt2, addr);

// ---------------------------------------------------------------------------------------------
// Exclusive and ordered accesses

/** Access size in bytes for the exclusive/atomic families; defaults to the register width. */
export type AccessBytes = 1 | 2 | 4 | 8;

function sizeField(mn: string, operand: string, r: GpReg, bytes: AccessBytes | undefined): number {
  const b = bytes ?? (r.width === 64 ? 8 : 4);
  if (b === 8 ? r.width !== 64 : r.width !== 32)
    throw new A64EncodeError(mn, operand, `${r.name} does not match a ${b}-byte access (use ${b === 8 ? 'an X' : 'a W'} register)`);
  return b === 1 ? 0 : b === 2 ? 1 : b === 4 ? 2 : 3;
}

/** size 001000 o2 L o1 Rs o0 Rt2 Rn Rt (ARM ARM C4.1.4 "Load/store exclusive" and "ordered"). */
function exclusive(mn: string, o2: number, l: number, o0: number, rs: number, rt: GpReg, rn: GpReg, bytes: AccessBytes | undefined): number {
  const size = sizeField(mn, 'rt', rt, bytes);
  const t = gp(mn, 'rt', rt, 'zr');
  const n = base(mn, rn);
  return ((size << 30) | (0b001000 << 24) | (o2 << 23) | (l << 22) | (rs << 16) | (o0 << 15) | (31 << 10) | (n << 5) | t) >>> 0;
}

function storeExclusive(mn: string, o0: number, ws: GpReg, rt: GpReg, rn: GpReg, bytes: AccessBytes | undefined): number {
  const s = gp(mn, 'ws', ws, 'zr', 32);
  const t = gp(mn, 'rt', rt, 'zr');
  const n = base(mn, rn);
  // ARM ARM C6.2 STXR: s == t, or s == n with n != SP, is CONSTRAINED UNPREDICTABLE (even for the zero register).
  if (s === t) throw new A64EncodeError(mn, 'ws', `${ws.name} is also the data register (unpredictable)`);
  if (s === n && s !== 31) throw new A64EncodeError(mn, 'ws', `${ws.name} is also the base register (unpredictable)`);
  return exclusive(mn, 0, 0, o0, s, rt, rn, bytes);
}

const suffix = (bytes: AccessBytes | undefined): string => (bytes === 1 ? 'b' : bytes === 2 ? 'h' : '');

/** LDXR{B,H}: load exclusive. `bytes` 1 or 2 selects the byte/halfword forms (W register). */
export const ldxr = (rt: GpReg, rn: GpReg, bytes?: AccessBytes): number => exclusive(`ldxr${suffix(bytes)}`, 0, 1, 0, 31, rt, rn, bytes);
export const ldaxr = (rt: GpReg, rn: GpReg, bytes?: AccessBytes): number => exclusive(`ldaxr${suffix(bytes)}`, 0, 1, 1, 31, rt, rn, bytes);
/** STXR{B,H} ws, rt, [rn]: ws = 0 on success, 1 on failure. */
export const stxr = (ws: GpReg, rt: GpReg, rn: GpReg, bytes?: AccessBytes): number => storeExclusive(`stxr${suffix(bytes)}`, 0, ws, rt, rn, bytes);
export const stlxr = (ws: GpReg, rt: GpReg, rn: GpReg, bytes?: AccessBytes): number => storeExclusive(`stlxr${suffix(bytes)}`, 1, ws, rt, rn, bytes);
/** LDAR/STLR{B,H}: load-acquire / store-release. */
export const ldar = (rt: GpReg, rn: GpReg, bytes?: AccessBytes): number => exclusive(`ldar${suffix(bytes)}`, 1, 1, 1, 31, rt, rn, bytes);
export const stlr = (rt: GpReg, rn: GpReg, bytes?: AccessBytes): number => exclusive(`stlr${suffix(bytes)}`, 1, 0, 1, 31, rt, rn, bytes);

// ---------------------------------------------------------------------------------------------
// LSE atomics (FEAT_LSE)

/** Memory ordering of an atomic: acquire sets A, release sets R (LLVM suffixes "", a, l, al). */
export type MemOrder = 'relaxed' | 'acquire' | 'release' | 'acq_rel';
const ORDER_BITS: Readonly<Record<MemOrder, readonly [number, number, string]>> = {
  relaxed: [0, 0, ''], acquire: [1, 0, 'a'], release: [0, 1, 'l'], acq_rel: [1, 1, 'al'],
};

/** o3:opc of the atomic memory operations (ARM ARM C4.1.4 "Atomic memory operations"). */
export const ATOMIC_OPS = { add: 0b0000, clr: 0b0001, eor: 0b0010, set: 0b0011, swp: 0b1000 } as const;
export type AtomicOp = keyof typeof ATOMIC_OPS;

function orderOf(mn: string, order: MemOrder): readonly [number, number, string] {
  const o = ORDER_BITS[order];
  if (!o) throw new A64EncodeError(mn, 'order', `${String(order)} (relaxed, acquire, release, acq_rel)`);
  return o;
}

/**
 * LD<op>/SWP: atomically rt = [rn]; [rn] = op([rn], rs). `bytes` 1 or 2 selects the B/H forms.
 * The mnemonic in errors follows LLVM, e.g. `ldaddalb`.
 */
export function atomic(op: AtomicOp, rs: GpReg, rt: GpReg, rn: GpReg, order: MemOrder = 'relaxed', bytes?: AccessBytes): number {
  const stem = op === 'swp' ? 'swp' : `ld${op}`;
  const mn0 = `${stem}${suffix(bytes)}`;
  const [a, r, sfx] = orderOf(mn0, order);
  const mn = `${stem}${sfx}${suffix(bytes)}`;
  if (!(op in ATOMIC_OPS)) throw new A64EncodeError(mn, 'op', String(op));
  const size = sizeField(mn, 'rs', rs, bytes);
  const s = gp(mn, 'rs', rs, 'zr');
  const t = gp(mn, 'rt', rt, 'zr', rs.width);
  const n = base(mn, rn);
  const o3opc = ATOMIC_OPS[op];
  return ((size << 30) | 0x38200000 | (a << 23) | (r << 22) | (s << 16) | ((o3opc >> 3) << 15) | ((o3opc & 7) << 12) | (n << 5) | t) >>> 0;
}

export const ldadd = (rs: GpReg, rt: GpReg, rn: GpReg, order: MemOrder = 'relaxed', bytes?: AccessBytes): number => atomic('add', rs, rt, rn, order, bytes);
export const ldclr = (rs: GpReg, rt: GpReg, rn: GpReg, order: MemOrder = 'relaxed', bytes?: AccessBytes): number => atomic('clr', rs, rt, rn, order, bytes);
export const ldeor = (rs: GpReg, rt: GpReg, rn: GpReg, order: MemOrder = 'relaxed', bytes?: AccessBytes): number => atomic('eor', rs, rt, rn, order, bytes);
export const ldset = (rs: GpReg, rt: GpReg, rn: GpReg, order: MemOrder = 'relaxed', bytes?: AccessBytes): number => atomic('set', rs, rt, rn, order, bytes);
export const swp = (rs: GpReg, rt: GpReg, rn: GpReg, order: MemOrder = 'relaxed', bytes?: AccessBytes): number => atomic('swp', rs, rt, rn, order, bytes);

/** ST<op>{L}: LD<op> discarding the old value (rt = zero register); only relaxed or release. */
function storeAtomic(op: 'add' | 'clr' | 'eor' | 'set', rs: GpReg, rn: GpReg, order: 'relaxed' | 'release', bytes?: AccessBytes): number {
  if (order !== 'relaxed' && order !== 'release')
    throw new A64EncodeError(`st${op}`, 'order', `${String(order)}: the store forms are only relaxed or release`);
  return atomic(op, rs, rs.width === 64 ? XZR : WZR, rn, order, bytes);
}
export const stadd = (rs: GpReg, rn: GpReg, order: 'relaxed' | 'release' = 'relaxed', bytes?: AccessBytes): number => storeAtomic('add', rs, rn, order, bytes);
export const stclr = (rs: GpReg, rn: GpReg, order: 'relaxed' | 'release' = 'relaxed', bytes?: AccessBytes): number => storeAtomic('clr', rs, rn, order, bytes);
export const steor = (rs: GpReg, rn: GpReg, order: 'relaxed' | 'release' = 'relaxed', bytes?: AccessBytes): number => storeAtomic('eor', rs, rn, order, bytes);
export const stset = (rs: GpReg, rn: GpReg, order: 'relaxed' | 'release' = 'relaxed', bytes?: AccessBytes): number => storeAtomic('set', rs, rn, order, bytes);

/**
 * CAS: compare [rn] with rs; if equal store rt. rs receives the old value either way.
 * Encoding: size 0010001 L 1 Rs o0 11111 Rn Rt (L = acquire, o0 = release).
 */
export function cas(rs: GpReg, rt: GpReg, rn: GpReg, order: MemOrder = 'relaxed', bytes?: AccessBytes): number {
  const [a, r, sfx] = orderOf('cas', order);
  const mn = `cas${sfx}${suffix(bytes)}`;
  const size = sizeField(mn, 'rs', rs, bytes);
  const s = gp(mn, 'rs', rs, 'zr');
  const t = gp(mn, 'rt', rt, 'zr', rs.width);
  const n = base(mn, rn);
  return ((size << 30) | 0x08a07c00 | (a << 22) | (s << 16) | (r << 15) | (n << 5) | t) >>> 0;
}
