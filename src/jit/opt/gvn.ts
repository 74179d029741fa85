import { computeDominators } from './cfg.js';
import { FLAG_OPAQUE, Op, isPure, replace, resolve, resolveFixedOperands, resolveOperands, type Block, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Common subexpressions: a pure instruction computing what a dominating one already computed
 * is replaced by it. Constants count, so each value is materialized once; phis of one block
 * with the same operands are one value (two BPF registers counting in step, as clang's loops
 * often keep, become one); a load repeats an earlier load of the same address in the same
 * block when no store, atomic or call came in between.
 *
 * The table is an open-addressing hash of instructions (no keys built); an entry found for an
 * equal instruction counts when its block dominates the current one (dominator-tree preorder
 * intervals), so nothing is ever removed from the table.
 */
export function commonSubexpressions(fn: Func, _ctx: PassContext): number {
  computeDominators(fn);
  const nb = fn.blocks.length;
  // preorder numbering of the dominator tree: a dominates b iff pre[a] <= pre[b] < end[a]
  const kids: Block[][] = Array.from({ length: nb }, () => []);
  for (const b of fn.blocks) if (b !== fn.entry) kids[b.idom!.order]!.push(b);
  const pre = new Int32Array(nb);
  const end = new Int32Array(nb);
  {
    let counter = 0;
    const stack: [Block, number][] = [[fn.entry, 0]];
    pre[fn.entry.order] = counter++;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const list = kids[top[0].order]!;
      if (top[1] < list.length) {
        const c = list[top[1]++]!;
        pre[c.order] = counter++;
        stack.push([c, 0]);
      } else {
        end[top[0].order] = counter;
        stack.pop();
      }
    }
  }
  // blocks in dominator preorder: every dominator's instructions are in the table first
  const byPre = [...fn.blocks].sort((x, y) => pre[x.order]! - pre[y.order]!);
  const epochOf = new Int32Array(fn.instCount);
  let capacity = 64;
  while (capacity < fn.instCount * 2) capacity *= 2;
  const table: (Inst | undefined)[] = new Array<Inst | undefined>(capacity);
  const mask = capacity - 1;
  let fired = 0;
  let epoch = 0;
  for (const b of byPre) {
    epoch++;
    const bp = pre[b.order]!;
    dedupePhis(b);
    for (const x of b.insts) {
      if (x.removed) continue;
      resolveFixedOperands(x);
      if (x.args !== null) for (let i = 0; i < x.args.length; i++) x.args[i] = resolve(x.args[i]!);
      if (!candidate(x)) {
        if (writesMemory(x)) epoch++;
        continue;
      }
      if (x.op === Op.Load) epochOf[x.id] = epoch;
      let h = hash(x, epoch) & mask;
      let found: Inst | undefined;
      for (;;) {
        const e = table[h];
        if (e === undefined) break;
        // constants only within a block: one used far from where it is made would hold a
        // register all the way (rematerializing is cheaper); const-hoist takes loops' ones out
        if (!e.removed && same(e, x, epochOf) && pre[e.block.order]! <= bp && bp < end[e.block.order]! && (x.op !== Op.Const || e.block === b)) {
          found = e;
          break;
        }
        h = (h + 1) & mask;
      }
      if (found !== undefined) {
        replace(x, found);
        fired++;
      } else table[h] = x;
    }
  }
  resolveOperands(fn);
  return fired;
}

function writesMemory(x: Inst): boolean {
  return x.op === Op.Store || x.op === Op.Atomic || x.op === Op.StoreRel || x.op === Op.Call || x.op === Op.LoadAcq;
}

function candidate(x: Inst): boolean {
  if ((x.flags & FLAG_OPAQUE) !== 0) return false;
  switch (x.op) {
    case Op.Phi:
    case Op.Param:
    case Op.Undef:
    case Op.Frame:
      return false;
    case Op.Load:
      return true;
    default:
      return isPure(x);
  }
}

const COMMUTATIVE = new Set<Op>([Op.Add, Op.Mul, Op.And, Op.Or, Op.Xor]);

function hash(x: Inst, epoch: number): number {
  let ia = x.a === null ? -1 : x.a.id;
  let ib = x.b === null ? -1 : x.b.id;
  if (ib >= 0 && ia > ib && x.mod === 0 && COMMUTATIVE.has(x.op)) [ia, ib] = [ib, ia];
  let h = Math.imul(x.op + 1, 0x9e3779b1);
  h = Math.imul(h ^ ia, 0x85ebca6b);
  h = Math.imul(h ^ ib, 0xc2b2ae35);
  h ^= x.imm;
  h = Math.imul(h ^ (x.imm2 + (x.w << 8) + (x.mod << 12) + (x.amount << 16) + (x.size << 24)), 0x27d4eb2f);
  if (x.c !== null) h ^= Math.imul(x.c.id, 0x165667b1);
  if (x.d !== null) h ^= Math.imul(x.d.id, 0xd3a2646c);
  if (x.op === Op.Const) h ^= Number(x.k & 0xffffffffn) ^ Number(x.k >> 32n);
  if (x.op === Op.Load) h ^= Math.imul(epoch, 0x61c88647);
  h ^= h >>> 15;
  return h >>> 0;
}

function same(e: Inst, x: Inst, epochOf: Int32Array): boolean {
  if (e.op !== x.op || e.w !== x.w || e.imm !== x.imm || e.imm2 !== x.imm2 || e.mod !== x.mod || e.amount !== x.amount || e.size !== x.size || e.flags !== x.flags) return false;
  if (e.c !== x.c || e.d !== x.d) return false;
  if (x.op === Op.Const) return e.k === x.k;
  if (x.op === Op.Load && epochOf[e.id] !== epochOf[x.id]) return false;
  if (e.a === x.a && e.b === x.b) return true;
  return x.mod === 0 && COMMUTATIVE.has(x.op) && e.a === x.b && e.b === x.a;
}

/** Phis of one block with the same operands are one value. */
function dedupePhis(b: Block): void {
  const phis: Inst[] = [];
  for (const p of b.insts) {
    if (p.op !== Op.Phi) break;
    if (p.removed) continue;
    const args = p.args!;
    for (let i = 0; i < args.length; i++) args[i] = resolve(args[i]!);
    const twin = phis.find((q) => q.args!.every((a, i) => a === args[i]));
    if (twin !== undefined) replace(p, twin);
    else phis.push(p);
  }
}
