import { isLoadStoreOffset } from '../../arm64/index.js';
import { FLAG_OPAQUE, Mod, Op, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Address arithmetic into the addressing modes of LDR/STR (C1.3.3):
 *   r = p + k;  *(r + off)      -> [p, #(k + off)]   when that offset encodes
 *   r = p + q;  *(r + 0)        -> [p, q]
 *   r = p + (q << log2(size));  *(r + 0)   -> [p, q, lsl #log2(size)]
 * and R10 plus a constant becomes a frame slot. The add stays when something else uses it.
 * Atomics and acquire/release take a bare base register, so they are left as they are.
 */
export function foldAddresses(fn: Func, _ctx: PassContext): number {
  let fired = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed || (x.op !== Op.Load && x.op !== Op.Store) || x.b !== null) continue;
      for (let guard = 0; guard < 4 && fold(x); guard++) fired++;
    }
  }
  return fired;
}

function fold(x: Inst): boolean {
  if (x.b !== null) return false; // already [base, index]: nothing more fits
  const base = x.a!;
  if (base.op !== Op.Add || base.w !== 64 || (base.flags & FLAG_OPAQUE) !== 0 || base.removed) return false;
  if (base.b === null) {
    const off = x.imm + base.imm;
    if (!Number.isSafeInteger(off) || !isLoadStoreOffset(off, x.size)) return false;
    if (base.a!.op === Op.Frame && (off < -512 || off + x.size > 0)) return false;
    x.a = base.a;
    x.imm = off;
    return true;
  }
  if (x.imm !== 0 || base.a!.op === Op.Frame || base.b.op === Op.Frame) return false;
  if (base.mod === Mod.None) {
    x.a = base.a;
    x.b = base.b;
    return true;
  }
  if (base.mod === Mod.Lsl && (1 << base.amount) === x.size && base.amount > 0) {
    x.a = base.a;
    x.b = base.b;
    x.mod = Mod.Lsl;
    x.amount = base.amount;
    return true;
  }
  return false;
}
