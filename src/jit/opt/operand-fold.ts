import { Mod, Op, countUses, resolveOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Operand folding into AArch64's shifted- and extended-register forms, and the three-input
 * instructions:
 *   a + (b << k)        -> add x, a, b, lsl #k        (and sub, and, orr, eor; lsr, asr too)
 *   a ^ ror(b, k)       -> eor x, a, b, ror #k        (logical operations only)
 *   a + (b & 0xffff)    -> add x, a, w(b), uxth       (uxtb, uxtw, sxtb, sxth, sxtw; lsl #0-4)
 *   a & ~b              -> bic (orn, eon likewise)
 *   a + b * c           -> madd; a - b * c -> msub
 *   -(b << k)           -> neg x, b, lsl #k
 * The folded instruction must have no other use (it disappears into its user), and both must
 * work at the same width.
 */
export function foldOperands(fn: Func, _ctx: PassContext): number {
  countUses(fn);
  let fired = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed) continue;
      if (fold(x)) fired++;
    }
  }
  if (fired > 0) resolveOperands(fn);
  return fired;
}

const LOGICAL = new Set<Op>([Op.And, Op.Or, Op.Xor, Op.Bic, Op.Orn, Op.Eon]);
const COMMUTATIVE = new Set<Op>([Op.Add, Op.And, Op.Or, Op.Xor]);
const NOT_OF: Partial<Record<Op, Op>> = { [Op.And]: Op.Bic, [Op.Or]: Op.Orn, [Op.Xor]: Op.Eon };
const SHIFT_MOD: Partial<Record<Op, Mod>> = { [Op.Shl]: Mod.Lsl, [Op.LShr]: Mod.Lsr, [Op.AShr]: Mod.Asr };

const single = (v: Inst | null): v is Inst => v !== null && v.uses === 1 && !v.removed;

function fold(x: Inst): boolean {
  const op = x.op;
  if (op === Op.Neg) {
    const a = x.a!;
    if (x.mod === Mod.None && single(a) && a.w === x.w && SHIFT_MOD[a.op] !== undefined && a.b === null) {
      x.mod = SHIFT_MOD[a.op]!;
      x.amount = a.imm;
      x.a = a.a;
      return true;
    }
    return false;
  }
  if (op !== Op.Add && op !== Op.Sub && !LOGICAL.has(op)) return false;
  if (x.b === null || x.mod !== Mod.None) return false;
  // multiply-accumulate first: it removes a whole instruction
  if (op === Op.Add || op === Op.Sub) {
    const m = mulOf(x.b, x.w) ?? (op === Op.Add ? mulOf(x.a!, x.w) : null);
    if (m !== null) {
      const acc = m === x.b ? x.a! : x.b;
      x.op = op === Op.Add ? Op.Madd : Op.Msub;
      x.a = m.a;
      x.b = m.b;
      x.c = acc;
      return true;
    }
  }
  if (tryFold(x, x.b)) return true;
  if (COMMUTATIVE.has(op) && tryFold(x, x.a!)) {
    return true;
  }
  return false;
}

function mulOf(v: Inst, w: number): Inst | null {
  return single(v) && v.op === Op.Mul && v.w === w && v.b !== null ? v : null;
}

/** Fold operand q (x.b, or x.a of a commutative op, which then swaps) into x. */
function tryFold(x: Inst, q: Inst): boolean {
  if (!single(q)) return false;
  const w = x.w;
  const swap = (): void => {
    if (q === x.a) {
      x.a = x.b;
      x.b = q;
    }
  };
  const shift = SHIFT_MOD[q.op];
  if (shift !== undefined && q.b === null && q.w === w && q.imm < w) {
    swap();
    x.b = q.a;
    x.mod = shift;
    x.amount = q.imm;
    return true;
  }
  if (q.op === Op.Ror && q.b === null && q.w === w && LOGICAL.has(x.op)) {
    swap();
    x.b = q.a;
    x.mod = Mod.Ror;
    x.amount = q.imm;
    return true;
  }
  const not = NOT_OF[x.op];
  if (not !== undefined && q.op === Op.Xor && q.b === null && q.w === w && BigInt.asUintN(w, BigInt(q.imm)) === BigInt.asUintN(w, -1n)) {
    swap();
    x.op = not;
    x.b = q.a;
    return true;
  }
  if (x.op === Op.Add || x.op === Op.Sub) {
    const ext = extendOf(q, w);
    if (ext !== null) {
      swap();
      x.b = ext.v;
      x.mod = ext.mod;
      x.amount = ext.amount;
      return true;
    }
  }
  return false;
}

/** q as an extended register operand: [zero-|sign-]extend a value, then shift by 0..4 */
function extendOf(q: Inst, w: number): { v: Inst; mod: Mod; amount: number } | null {
  let amount = 0;
  let e = q;
  if (e.op === Op.Shl && e.b === null && e.imm <= 4 && e.w === w) {
    const inner = e.a!;
    if (!single(inner)) return null;
    amount = e.imm;
    e = inner;
  }
  let mod = Mod.None;
  if (e.op === Op.Zext) mod = e.imm === 8 ? Mod.Uxtb : e.imm === 16 ? Mod.Uxth : w === 64 ? Mod.Uxtw : Mod.None;
  else if (e.op === Op.Mov && e.w === 32 && w === 64) mod = Mod.Uxtw;
  else if (e.op === Op.Sext && e.w === w) mod = e.imm === 8 ? Mod.Sxtb : e.imm === 16 ? Mod.Sxth : w === 64 ? Mod.Sxtw : Mod.None;
  if (mod === Mod.None) return null;
  if (amount === 0 && e !== q) return null;
  return { v: e.a!, mod, amount };
}
