import { FLAG_OPAQUE, Op, countUses, resolveOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Bit permutations built from shifts, masks, ORs and byte swaps, recognized by tracking where
 * every bit of a value comes from (as LLVM's recognizeBSwapOrBitReverseIdiom does): when all
 * bits of an OR tree's result are bits of one value, reversed, byte-reversed, swapped within
 * halfwords or rotated, the tree is one RBIT, REV, REV16 or ROR:
 *
 *   x = ((x >> 1) & 0x5555...) | ((x & 0x5555...) << 1); ... 4 more steps   ->   rbit w0, w0
 *
 * The tree's inner values must have no uses outside it (they disappear); it must have at least
 * three instructions (the result is one).
 */
export function recognizeBitPermutations(fn: Func, _ctx: PassContext): number {
  countUses(fn);
  // only the outermost OR of a tree is tried (an OR whose value feeds nothing but another OR
  // is part of a bigger tree): the DAG walk is the expensive part
  const inner = new Set<Inst>();
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.op !== Op.Or || x.b === null) continue;
      if (x.a!.op === Op.Or && x.a!.uses === 1) inner.add(x.a!);
      if (x.b.op === Op.Or && x.b.uses === 1) inner.add(x.b);
    }
  }
  let fired = 0;
  for (const b of fn.blocks) {
    for (let i = b.insts.length - 1; i >= 0; i--) {
      const root = b.insts[i]!;
      if (root.removed || root.op !== Op.Or || root.b === null || inner.has(root)) continue;
      if ((root.flags & FLAG_OPAQUE) !== 0) continue;
      if (rewrite(root)) fired++;
    }
  }
  if (fired > 0) resolveOperands(fn);
  return fired;
}

const ZERO = -1;
const MAX_NODES = 96;

/** Which bit of which leaf each result bit is (leaf * 64 + bit), or ZERO. */
type Provenance = Int32Array;

function rewrite(root: Inst): boolean {
  // the DAG under root through the operations we can follow
  const nodes = new Map<Inst, number>(); // node -> references from inside the DAG
  const order: Inst[] = [];
  const follows = (x: Inst): boolean => {
    switch (x.op) {
      case Op.Shl:
      case Op.LShr:
      case Op.And:
      case Op.Ror:
        return x.b === null;
      case Op.Or:
        return x.b !== null && x.mod === 0;
      case Op.Bswap:
      case Op.Zext:
      case Op.Mov:
        return true;
      default:
        return false;
    }
  };
  const stack: Inst[] = [root];
  nodes.set(root, 0);
  while (stack.length > 0) {
    const x = stack.pop()!;
    order.push(x);
    if (nodes.size > MAX_NODES) return false;
    for (const o of [x.a, x.b]) {
      if (o === null || !follows(o) || (o.flags & FLAG_OPAQUE) !== 0) continue;
      const seen = nodes.get(o);
      nodes.set(o, (seen ?? 0) + 1);
      if (seen === undefined) stack.push(o);
    }
  }
  // without a shift or a byte swap no bit moves: nothing to recognize
  if (!order.some((x) => x.op === Op.Shl || x.op === Op.LShr || x.op === Op.Ror || x.op === Op.Bswap)) return false;
  // an inner node used outside the DAG is a leaf instead (its operands then lose a reference,
  // which may make them leaves in turn)
  const interior = new Set<Inst>(nodes.keys());
  const work: Inst[] = [];
  for (const [x, refs] of nodes) if (x !== root && refs !== x.uses) work.push(x);
  while (work.length > 0) {
    const x = work.pop()!;
    if (!interior.delete(x)) continue;
    for (const o of [x.a, x.b]) {
      if (o === null || !interior.has(o) || o === root) continue;
      const refs = nodes.get(o)! - 1;
      nodes.set(o, refs);
      if (refs !== o.uses) work.push(o);
    }
  }
  if (interior.size < 3) return false;
  // provenance, children first
  const leaves: Inst[] = [];
  const prov = new Map<Inst, Provenance>();
  const of = (v: Inst): Provenance => {
    const p = prov.get(v);
    if (p !== undefined) return p;
    if (interior.has(v)) throw new Error('bitperm: child not computed');
    const li = leaves.indexOf(v) >= 0 ? leaves.indexOf(v) : leaves.push(v) - 1;
    const bits = v.op === Op.Load ? v.size * 8 : v.op === Op.Zext ? v.imm : v.w;
    const q = new Int32Array(64).fill(ZERO);
    for (let i = 0; i < bits; i++) q[i] = li * 64 + i;
    prov.set(v, q);
    return q;
  };
  const post = postOrder(root, interior);
  for (const x of post) {
    const q = new Int32Array(64).fill(ZERO);
    const w = x.w;
    const pa = of(x.a!);
    switch (x.op) {
      case Op.Shl:
        for (let i = x.imm; i < w; i++) q[i] = pa[i - x.imm]!;
        break;
      case Op.LShr:
        for (let i = 0; i + x.imm < w; i++) q[i] = pa[i + x.imm]!;
        break;
      case Op.Ror:
        for (let i = 0; i < w; i++) q[i] = pa[(i + x.imm) % w]!;
        break;
      case Op.And: {
        const m = BigInt.asUintN(w, BigInt(x.imm));
        for (let i = 0; i < w; i++) if ((m >> BigInt(i)) & 1n) q[i] = pa[i]!;
        break;
      }
      case Op.Or: {
        const pb = of(x.b!);
        for (let i = 0; i < w; i++) {
          if (pa[i] === ZERO) q[i] = pb[i]!;
          else if (pb[i] === ZERO) q[i] = pa[i]!;
          else return false; // overlapping bits: not a permutation
        }
        break;
      }
      case Op.Bswap: {
        const n = x.imm;
        for (let i = 0; i < n; i++) q[i] = pa[(n / 8 - 1 - (i >> 3)) * 8 + (i & 7)]!;
        break;
      }
      case Op.Zext:
        for (let i = 0; i < x.imm; i++) q[i] = pa[i]!;
        break;
      case Op.Mov:
        for (let i = 0; i < (w === 32 ? 32 : 64); i++) q[i] = pa[i]!;
        break;
      default:
        return false;
    }
    prov.set(x, q);
  }
  const q = prov.get(root)!;
  const w = root.w;
  // one source, every bit of the result from it
  let leaf = -1;
  for (let i = 0; i < w; i++) {
    if (q[i] === ZERO) return false;
    const l = Math.floor(q[i]! / 64);
    if (leaf === -1) leaf = l;
    else if (l !== leaf) return false;
  }
  const src = leaves[leaf]!;
  const j = (i: number): number => q[i]! % 64;
  const all = (f: (i: number) => number): boolean => {
    for (let i = 0; i < w; i++) if (j(i) !== f(i)) return false;
    return true;
  };
  let op: Op;
  let imm = 0;
  if (all((i) => w - 1 - i)) op = Op.Rbit;
  else if (all((i) => (w / 8 - 1 - (i >> 3)) * 8 + (i & 7))) {
    op = Op.Bswap;
    imm = w;
  } else if (all((i) => i ^ 8)) op = Op.Rev16;
  else {
    const r = j(0);
    if (r === 0 || !all((i) => (i + r) % w)) return false;
    op = Op.Ror;
    imm = r;
  }
  root.op = op;
  root.a = src;
  root.b = null;
  root.imm = imm;
  root.mod = 0;
  root.amount = 0;
  return true;
}

function postOrder(root: Inst, interior: ReadonlySet<Inst>): Inst[] {
  const out: Inst[] = [];
  const done = new Set<Inst>();
  const stack: [Inst, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [x, expanded] = stack.pop()!;
    if (done.has(x)) continue;
    if (expanded) {
      done.add(x);
      out.push(x);
      continue;
    }
    stack.push([x, true]);
    for (const o of [x.a, x.b]) if (o !== null && interior.has(o) && !done.has(o)) stack.push([o, false]);
  }
  return out;
}
