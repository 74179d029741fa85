import { computeDominators, dominates } from './cfg.js';
import { Op, resolveOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Induction variables counted from their next value: in a loop where i' = i + k1 is the value
 * the back edge carries, a later i + k2 becomes i' + (k2 - k1). Then i dies where i' is born,
 * so the allocator gives both one register and the back edge needs no move, as in
 *
 *   ldr x, [base, i]; i' = i + 8; t = i + 16; if t > n goto out   (i and i' both live)
 *   ldr x, [base, i]; i' = i + 8; t = i' + 8; ...                  (one register)
 */
export function reassociateInduction(fn: Func, _ctx: PassContext): number {
  computeDominators(fn);
  let fired = 0;
  const index = new Map<Inst, number>();
  for (const b of fn.blocks) b.insts.forEach((x, i) => index.set(x, i));
  for (const h of fn.blocks) {
    for (const p of h.insts) {
      if (p.op !== Op.Phi) break;
      if (p.removed) continue;
      p.args!.forEach((v1, j) => {
        const latch = h.preds[j]!;
        if (!dominates(h, latch)) return; // not a back edge
        if (v1.op !== Op.Add || v1.b !== null || v1.a !== p || v1.removed) return;
        for (const b of fn.blocks) {
          if (b !== v1.block && !dominates(v1.block, b)) continue;
          for (const u of b.insts) {
            if (u === v1 || u.removed || u.op !== Op.Add || u.b !== null || u.a !== p || u.mod !== 0) continue;
            if (b === v1.block && index.get(u)! < index.get(v1)!) continue;
            const k = u.imm - v1.imm;
            if (!Number.isSafeInteger(k) || k < -0x8000_0000 || k > 0x7fff_ffff) continue;
            if (u.w === 64 && v1.w !== 64) continue;
            u.a = v1;
            u.imm = k;
            fired++;
          }
        }
      });
    }
  }
  if (fired > 0) resolveOperands(fn);
  return fired;
}
