import { computeDominators } from './cfg.js';
import { FLAG_OPAQUE, Op, isPure, replace, resolve, resolveOperands, type Block, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Common subexpressions: a pure instruction computing what a dominating one already computed
 * is replaced by it (a scoped hash table over the dominator tree). Constants count, so each
 * value is materialized once; phis of one block with the same operands are one value (two
 * BPF registers counting in step, as clang's loops often keep, become one); a load repeats an
 * earlier load of the same address in the same block when no store, atomic or call came in
 * between.
 */
export function commonSubexpressions(fn: Func, _ctx: PassContext): number {
  computeDominators(fn);
  const children = new Map<Block, Block[]>();
  for (const b of fn.blocks) {
    if (b === fn.entry) continue;
    const d = b.idom!;
    (children.get(d) ?? children.set(d, []).get(d)!).push(b);
  }
  const table = new Map<string, Inst>();
  let fired = 0;
  let epoch = 0;
  // the dominator tree can be deep (long chains of blocks): walked with an explicit stack
  const stack: { b: Block; added: string[]; next: number }[] = [];
  const enter = (b: Block): void => {
    const added: string[] = [];
    epoch++;
    for (const x of b.insts) {
      if (x.removed) continue;
      if (x.a !== null) x.a = resolve(x.a);
      if (x.b !== null) x.b = resolve(x.b);
      if (x.c !== null) x.c = resolve(x.c);
      if (x.d !== null) x.d = resolve(x.d);
      if (x.args !== null) for (let i = 0; i < x.args.length; i++) x.args[i] = resolve(x.args[i]!);
      const key = keyOf(x, epoch, b);
      if (key === null) {
        if (writesMemory(x)) epoch++;
        continue;
      }
      const prev = table.get(key);
      if (prev !== undefined && !prev.removed) {
        replace(x, prev);
        fired++;
        continue;
      }
      table.set(key, x);
      added.push(key);
    }
    stack.push({ b, added, next: 0 });
  };
  enter(fn.entry);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const kids = children.get(top.b);
    if (kids !== undefined && top.next < kids.length) {
      enter(kids[top.next++]!);
      continue;
    }
    stack.pop();
    for (const k of top.added) table.delete(k);
  }
  resolveOperands(fn);
  return fired;
}

function writesMemory(x: Inst): boolean {
  return x.op === Op.Store || x.op === Op.Atomic || x.op === Op.StoreRel || x.op === Op.Call || x.op === Op.LoadAcq;
}

const COMMUTATIVE = new Set<Op>([Op.Add, Op.Mul, Op.And, Op.Or, Op.Xor]);

function keyOf(x: Inst, epoch: number, b: Block): string | null {
  if ((x.flags & FLAG_OPAQUE) !== 0) return null;
  if (x.op === Op.Const) return `k${x.k}`;
  if (x.op === Op.Phi) return `p${b.id}:${x.args!.map((a) => a.id).join(',')}`;
  if (x.op === Op.Param || x.op === Op.Undef || x.op === Op.Frame) return null;
  let mem = '';
  if (x.op === Op.Load) mem = `m${epoch}`;
  else if (!isPure(x)) return null;
  let ia = x.a?.id ?? -1;
  let ib = x.b?.id ?? -1;
  if (COMMUTATIVE.has(x.op) && x.b !== null && ia > ib && x.mod === 0) [ia, ib] = [ib, ia];
  return `${x.op}:${x.w}:${ia}:${ib}:${x.c?.id ?? -1}:${x.d?.id ?? -1}:${x.imm}:${x.imm2}:${x.mod}:${x.amount}:${x.size}:${x.flags}${mem}`;
}
