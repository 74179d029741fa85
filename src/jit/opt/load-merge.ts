import { FLAG_SIGNED, Op, countUses, replace, resolveOperands, type Block, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Load merging: byte (or halfword) loads of consecutive addresses recombined with shifts and
 * ORs (how portable code and clang's BPF backend read multi-byte fields) become one load of
 * the full width, with a REV when the bytes were assembled big-endian:
 *
 *   w2 = *(u8 *)(r1 + 0); w3 = *(u8 *)(r1 + 1); r3 <<= 8; r3 |= r2   ->   ldrh w3, [x0]
 *
 * Only when it reads exactly the same bytes (2, 4 or 8 of them, no gap, no overlap), from the
 * same base register, in one block with no store, atomic or call between the first load and
 * the result: then the wide load sees the same memory, and a fault or sandbox check would have
 * hit one of the byte loads anyway. Off when memory accesses must stay exact (sandbox mode).
 * AArch64 allows unaligned LDR of normal memory, so alignment does not matter.
 */
export function mergeLoads(fn: Func, ctx: PassContext): number {
  if (ctx.exactMemory) return 0;
  countUses(fn);
  let fired = 0;
  for (const b of fn.blocks) fired += mergeInBlock(fn, b, ctx);
  if (fired > 0) resolveOperands(fn);
  return fired;
}

interface Leaf {
  readonly load: Inst;
  readonly shift: number;
}

function mergeInBlock(fn: Func, b: Block, ctx: PassContext): number {
  const insts = b.insts;
  // a merge needs two loads of this block and an OR (or ADD) of registers: most blocks have not
  let loads = 0;
  let roots = 0;
  for (const x of insts) {
    if (x.op === Op.Load) loads++;
    else if ((x.op === Op.Or || x.op === Op.Add) && x.b !== null) roots++;
  }
  if (loads < 2 || roots === 0) return 0;
  const index = new Map<Inst, number>();
  insts.forEach((x, i) => index.set(x, i));
  // positions of instructions that may change memory
  const barriers: number[] = [];
  insts.forEach((x, i) => {
    if (x.op === Op.Store || x.op === Op.Atomic || x.op === Op.StoreRel || x.op === Op.Call || x.op === Op.LoadAcq) barriers.push(i);
  });
  const consumed = new Set<Inst>();
  const plans: { root: Inst; at: number; load: Inst; swap: Inst | null }[] = [];
  for (let i = insts.length - 1; i >= 0; i--) {
    const root = insts[i]!;
    if ((root.op !== Op.Or && root.op !== Op.Add) || root.b === null || consumed.has(root)) continue;
    const leaves: Leaf[] = [];
    const inner: Inst[] = [];
    if (!collect(root, 0, true, root.w, b, leaves, inner)) continue;
    if (leaves.length < 2 || leaves.some((l) => consumed.has(l.load))) continue;
    const base = leaves[0]!.load.a!;
    if (!leaves.every((l) => l.load.a === base && l.load.b === null)) continue;
    leaves.sort((x, y) => x.load.imm - y.load.imm);
    const off0 = leaves[0]!.load.imm;
    let n = 0;
    let contiguous = true;
    for (const l of leaves) {
      if (l.load.imm !== off0 + n) contiguous = false;
      n += l.load.size;
    }
    if (!contiguous || (n !== 2 && n !== 4 && n !== 8) || n * 8 > root.w) continue;
    const little = leaves.every((l) => l.shift === 8 * (l.load.imm - off0));
    const big = !little && leaves.every((l) => l.load.size === 1 && l.shift === 8 * (n - 1 - (l.load.imm - off0)));
    if (!little && !big) continue;
    // no memory writes between the first load and the root
    const first = Math.min(...leaves.map((l) => index.get(l.load)!));
    if (barriers.some((p) => p > first && p < i)) continue;
    const firstLoad = leaves.reduce((m, l) => (l.load.pc < m.pc ? l.load : m), leaves[0]!.load);
    const load = fn.inst(Op.Load, b, firstLoad.pc);
    load.a = base;
    load.imm = off0;
    load.size = n as 2 | 4 | 8;
    let swap: Inst | null = null;
    if (big) {
      swap = fn.inst(Op.Bswap, b, root.pc);
      swap.a = load;
      swap.imm = n * 8;
    }
    for (const l of leaves) {
      ctx.redundantLoads.add(l.load);
      consumed.add(l.load);
      if (l.load !== firstLoad) fn.fate(l.load.pc, `merged into the load at ${firstLoad.pc}`);
    }
    for (const x of inner) {
      consumed.add(x);
      fn.fate(x.pc, `merged into the load at ${firstLoad.pc}`);
    }
    plans.push({ root, at: i, load, swap });
  }
  // insert the wide loads (right before their roots), last first so positions hold
  plans.sort((x, y) => y.at - x.at);
  for (const p of plans) {
    const add = p.swap ? [p.load, p.swap] : [p.load];
    insts.splice(p.at, 0, ...add);
    replace(p.root, p.swap ?? p.load);
  }
  return plans.length;
}

/**
 * The terms of an OR tree rooted at x: byte/halfword/word loads, each shifted left by a
 * constant. Inner nodes must have no other use, and live in the root's block.
 */
function collect(x: Inst, shift: number, root: boolean, w: 32 | 64, b: Block, leaves: Leaf[], inner: Inst[]): boolean {
  if (x.block !== b || x.removed) return false;
  if (!root && x.uses !== 1) return false;
  switch (x.op) {
    case Op.Or:
    case Op.Add:
      if (x.b === null || x.w !== w) return false;
      if (!root) inner.push(x);
      return collect(x.a!, shift, false, w, b, leaves, inner) && collect(x.b, shift, false, w, b, leaves, inner);
    case Op.Shl:
      if (x.b !== null || x.w !== w) return false;
      inner.push(x);
      return collect(x.a!, shift + x.imm, false, w, b, leaves, inner);
    case Op.Mov:
    case Op.Zext: {
      // a zero-extension of a load narrower than it changes nothing
      const a = x.a!;
      const keep = x.op === Op.Mov ? (x.w === 32 ? 32 : 64) : x.imm;
      if (a.op !== Op.Load || a.size * 8 > keep) return false;
      inner.push(x);
      return collect(a, shift, false, w, b, leaves, inner);
    }
    case Op.Load:
      if ((x.flags & FLAG_SIGNED) !== 0 || x.b !== null || x.a!.op === Op.Undef) return false;
      if (shift + x.size * 8 > w) return false;
      leaves.push({ load: x, shift });
      return true;
    default:
      return false;
  }
}
