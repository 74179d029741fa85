import { Op, countUses, resolveOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Rotates, which BPF cannot express: `(x << k) | (x >> (w - k))` becomes ROR x, #(w - k)
 * (`^` or `+` of the two halves too, their bits being disjoint); with two different values
 * it is EXTR (a funnel shift). By a register: `(x >> r) | (x << (-r & (w - 1)))` and its
 * mirror become RORV (AArch64 takes the amount modulo the width, like BPF's shifts); only with
 * `|`, since an amount of 0 makes both halves x.
 */
export function recognizeRotates(fn: Func, _ctx: PassContext): number {
  countUses(fn);
  let fired = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if ((x.op !== Op.Or && x.op !== Op.Xor && x.op !== Op.Add) || x.b === null || x.mod !== 0 || x.removed) continue;
      if (rotate(x, x.a!, x.b) || rotate(x, x.b, x.a!)) fired++;
    }
  }
  if (fired > 0) resolveOperands(fn);
  return fired;
}

function rotate(x: Inst, p: Inst, q: Inst): boolean {
  const w = x.w;
  if (p.op !== Op.Shl || q.op !== Op.LShr || p.w !== w || q.w !== w || p.uses !== 1 || q.uses !== 1) return false;
  if (p.b === null && q.b === null) {
    const k = p.imm;
    if (k === 0 || q.imm !== w - k) return false;
    if (p.a === q.a) {
      // x rotated right by w - k
      set(x, Op.Ror, p.a!, null, w - k);
    } else {
      // EXTR d, hi, lo, #lsb is (hi:lo) >> lsb: hi << k | lo >> (w - k)
      set(x, Op.Extr, p.a!, q.a!, w - k);
    }
    return true;
  }
  // by a register only OR: the amount may be 0 mod w, and then x + x and x ^ x are not x
  if (x.op === Op.Or && p.b !== null && q.b !== null && p.a === q.a && (negates(q.b, p.b, w) || negates(p.b, q.b, w))) {
    // right by t, left by -t: a right rotate by t
    set(x, Op.Ror, p.a!, q.b, 0);
    return true;
  }
  return false;
}

/** Is t = -s modulo w (as a shift amount, which is taken modulo w)? */
function negates(t: Inst, s: Inst, w: number): boolean {
  let v = t;
  if (v.op === Op.And && v.b === null && (v.imm & (w - 1)) === w - 1) v = v.a!;
  if (v.op === Op.Neg) return v.a === s;
  if (v.op === Op.Sub && v.a!.op === Op.Const && v.b === s) return BigInt.asUintN(6, v.a!.k) % BigInt(w) === 0n;
  return false;
}

function set(x: Inst, op: Op, a: Inst, b: Inst | null, imm: number): void {
  x.op = op;
  x.a = a;
  x.b = b;
  x.imm = imm;
}
