import { Op, countUses, isPure, resolveOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Dead code elimination: an instruction without side effects whose value nobody reads goes,
 * and so, transitively, do its operands. Loads count as side effects (they may fault) unless
 * they read this function's own frame, or the program is known safe (verified), or they were
 * made redundant by another pass (load merging replaces byte loads by one that reads the
 * same bytes). Stores to a frame that never escapes are dead when no load reads their bytes.
 */
export function deadCode(fn: Func, ctx: PassContext): number {
  resolveOperands(fn);
  countUses(fn);
  let removed = 0;
  const work: Inst[] = [];
  const kill = (x: Inst): void => {
    x.removed = true;
    removed++;
    if (x.pc >= 0) fn.fate(x.pc, 'dead');
    for (const o of [x.a, x.b, x.c, x.d]) if (o !== null && --o.uses === 0) work.push(o);
    if (x.args !== null) for (const o of x.args) if (--o.uses === 0) work.push(o);
  };
  const removable = (x: Inst): boolean => {
    if (x.removed || x.uses !== 0) return false;
    if (x.op === Op.Param || x.op === Op.Frame || x.op === Op.Undef) return false;
    if (isPure(x)) return true;
    if (x.op === Op.Load) return x.a!.op === Op.Frame || ctx.verified || ctx.redundantLoads.has(x);
    return false;
  };
  for (const b of fn.blocks) for (const x of b.insts) if (removable(x)) work.push(x);
  while (work.length > 0) {
    const x = work.pop()!;
    if (removable(x)) kill(x);
  }
  removed += deadFrameStores(fn);
  resolveOperands(fn);
  return removed;
}

/** Stores into a non-escaping frame whose bytes no load (anywhere in the function) reads. */
function deadFrameStores(fn: Func): number {
  if (fn.frameEscapes) return 0;
  const read = new Uint8Array(512);
  let any = false;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed || x.a?.op !== Op.Frame) continue;
      if (x.op === Op.Load || x.op === Op.LoadAcq || x.op === Op.Atomic) {
        for (let i = 0; i < x.size; i++) read[512 + x.imm + i] = 1;
        any = true;
      }
    }
  }
  let removed = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed || x.op !== Op.Store || x.a!.op !== Op.Frame) continue;
      let live = false;
      for (let i = 0; i < x.size; i++) if (read[512 + x.imm + i]) live = true;
      if (!live || !any) {
        x.removed = true;
        fn.fate(x.pc, 'dead store');
        removed++;
      }
    }
  }
  return removed;
}
