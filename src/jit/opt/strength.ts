import { Mod, Op, type Func } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Strength reduction by constants: x * 2^k is a shift, x * (2^k + 1) one add with a shifted
 * operand (add x, x, x, lsl #k: what native compilers make of hash multipliers like 33 or
 * 1025), unsigned x / 2^k a right shift and x % 2^k an AND. A multiply by anything else stays
 * a MUL (its constant is materialized once, outside loops, by const-hoist).
 */
export function strengthReduce(fn: Func, _ctx: PassContext): number {
  let fired = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed || x.b !== null) continue;
      if (x.op !== Op.Mul && x.op !== Op.UDiv && x.op !== Op.UMod) continue;
      const c = BigInt.asUintN(x.w, BigInt(x.imm));
      if (c < 2n) continue;
      const k = log2(c);
      if (x.op === Op.Mul) {
        if (k >= 0) {
          x.op = Op.Shl;
          x.imm = k;
        } else {
          const k1 = log2(c - 1n);
          if (k1 < 1) continue;
          // x * (2^k + 1) = x + (x << k)
          x.op = Op.Add;
          x.b = x.a;
          x.mod = Mod.Lsl;
          x.amount = k1;
          x.imm = 0;
        }
      } else if (k >= 0) {
        if (x.op === Op.UDiv) {
          x.op = Op.LShr;
          x.imm = k;
        } else {
          x.op = Op.And;
          x.imm = Number(BigInt.asIntN(32, c - 1n));
        }
      } else continue;
      fired++;
    }
  }
  return fired;
}

/** k when v = 2^k, else -1 */
function log2(v: bigint): number {
  if (v <= 0n || (v & (v - 1n)) !== 0n) return -1;
  return v.toString(2).length - 1;
}
