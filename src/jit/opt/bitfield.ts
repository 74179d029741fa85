import { Op, countUses, resolveOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Bitfield moves for shift-and-mask pairs (AArch64 UBFM/SBFM/BFM and their aliases):
 *   (x >> s) & (2^n - 1)            -> UBFX x, #s, #n
 *   (x << a) >> b  (b >= a)         -> UBFX x, #(b - a), #(w - b)      (SBFX for >>s)
 *   (x & (2^n - 1)) << s            -> UBFIZ x, #s, #n
 *   (x << s) & ((2^n - 1) << s)     -> UBFIZ x, #s, #n
 *   (x & ((2^n - 1) << s)) >> s     -> UBFX x, #s, #n
 *   -(x & 1)                        -> SBFX x, #0, #1
 *   (a & ~M) | ubfiz(b, s, n)       -> BFI a, b, #s, #n   (M the field's mask)
 * and x & 0xff / 0xffff / 0xffffffff become zero-extensions (UXTB, UXTH, a W move), which
 * the operand folding can then fold into an add as an extended register.
 * The inner instruction must have no other use (it disappears into the outer one).
 */
export function bitfields(fn: Func, _ctx: PassContext): number {
  countUses(fn);
  let fired = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed) continue;
      for (let guard = 0; guard < 4 && rewrite(x); guard++) fired++;
    }
  }
  if (fired > 0) resolveOperands(fn);
  return fired;
}

/** n when m = 2^n - 1 (n >= 1), else -1 */
function lowMask(m: bigint): number {
  if (m === 0n || (m & (m + 1n)) !== 0n) return -1;
  return m.toString(2).length;
}

/** [s, n] when m = (2^n - 1) << s, else null */
function fieldMask(m: bigint): [number, number] | null {
  if (m === 0n) return null;
  let s = 0;
  let v = m;
  while ((v & 1n) === 0n) {
    v >>= 1n;
    s++;
  }
  const n = lowMask(v);
  return n < 0 ? null : [s, n];
}

const single = (v: Inst | null, w: number): v is Inst => v !== null && v.uses === 1 && v.w === w && !v.removed;

function set(x: Inst, op: Op, a: Inst, lsb: number, width: number, b: Inst | null = null): true {
  x.op = op;
  x.a = a;
  x.b = b;
  x.imm = lsb;
  x.imm2 = width;
  x.mod = 0;
  x.amount = 0;
  return true;
}

function rewrite(x: Inst): boolean {
  const w = x.w;
  const a = x.a;
  if (a === null) return false;
  switch (x.op) {
    case Op.And: {
      if (x.b !== null) return false;
      const m = BigInt.asUintN(w, BigInt(x.imm));
      const n = lowMask(m);
      if (single(a, w) && a.op === Op.LShr && a.b === null && n > 0) {
        const s = a.imm;
        if (s + n <= w) return set(x, Op.Ubfx, a.a!, s, n);
      }
      const f = fieldMask(m);
      if (f !== null && single(a, w) && a.op === Op.Shl && a.b === null && a.imm === f[0] && f[0] + f[1] <= w) return set(x, Op.Ubfiz, a.a!, f[0], f[1]);
      // x & 0xff, 0xffff (either width), 0xffffffff (64-bit): zero-extensions
      if (n === 8 || n === 16 || (n === 32 && w === 64)) {
        x.op = Op.Zext;
        x.imm = n;
        x.w = 64;
        return true;
      }
      return false;
    }
    case Op.LShr:
    case Op.AShr: {
      if (x.b !== null) return false;
      const bsh = x.imm;
      if (single(a, w) && a.op === Op.Shl && a.b === null && bsh >= a.imm && bsh < w) {
        return set(x, x.op === Op.LShr ? Op.Ubfx : Op.Sbfx, a.a!, bsh - a.imm, w - bsh);
      }
      if (x.op === Op.LShr && single(a, w) && a.op === Op.And && a.b === null) {
        const f = fieldMask(BigInt.asUintN(w, BigInt(a.imm)));
        if (f !== null && f[0] === bsh) return set(x, Op.Ubfx, a.a!, f[0], f[1]);
      }
      return false;
    }
    case Op.Shl: {
      if (x.b !== null) return false;
      const s = x.imm;
      if (s === 0) return false;
      // a 32-bit AND's result is zero-extended, so it may feed a 64-bit shift as well
      if (a.uses === 1 && !a.removed && a.op === Op.And && a.b === null && (a.w === w || (a.w === 32 && w === 64))) {
        const n = lowMask(BigInt.asUintN(a.w, BigInt(a.imm)));
        if (n > 0) return set(x, Op.Ubfiz, a.a!, s, Math.min(n, w - s));
      }
      if (a.uses === 1 && !a.removed && a.op === Op.Zext && a.imm < 64) return set(x, Op.Ubfiz, a.a!, s, Math.min(a.imm, w - s));
      return false;
    }
    case Op.Zext: {
      // (x >> s) zero-extended from n bits
      if (single(a, a.w) && a.op === Op.LShr && a.b === null && a.w === 64) {
        const s = a.imm;
        return set(x, Op.Ubfx, a.a!, s, Math.min(x.imm, 64 - s));
      }
      return false;
    }
    case Op.Neg:
      if (single(a, w) && a.op === Op.And && a.b === null && a.imm === 1) return set(x, Op.Sbfx, a.a!, 0, 1);
      return false;
    case Op.Or: {
      if (x.b === null) return false;
      return insert(x, a, x.b) || insert(x, x.b, a);
    }
    default:
      return false;
  }
}

/** (p & ~M) | field, where field = ubfiz(v, s, n) and M = (2^n - 1) << s: BFI p, v, #s, #n */
function insert(x: Inst, masked: Inst, field: Inst): boolean {
  const w = x.w;
  if (!single(masked, w) || masked.op !== Op.And || masked.b !== null) return false;
  if (field.uses !== 1 || field.removed || (field.op !== Op.Ubfiz && field.op !== Op.Zext)) return false;
  const s = field.op === Op.Ubfiz ? field.imm : 0;
  const n = field.op === Op.Ubfiz ? field.imm2 : field.imm;
  if (field.op === Op.Ubfiz && field.w !== w) return false;
  if (s + n > w) return false;
  const keep = BigInt.asUintN(w, BigInt(masked.imm));
  const fieldBits = ((1n << BigInt(n)) - 1n) << BigInt(s);
  if (keep !== (BigInt.asUintN(w, -1n) ^ fieldBits)) return false;
  return set(x, Op.Bfi, masked.a!, s, n, field.a!);
}
