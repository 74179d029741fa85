import { Op, replace, resolve, resolveOperands, type Block, type Func } from './ir.js';

/**
 * Control-flow graph utilities for the passes: edge removal (keeping phis in step with
 * predecessors), clean-up after branches were folded (unreachable blocks, straight-line
 * merging, empty blocks threaded), reverse post-order, dominators and loop depth.
 */

/** Drop the edge from -> to (one of them), with to's phi operands for it. */
export function removeEdge(from: Block, to: Block): void {
  const si = from.succs.indexOf(to);
  if (si >= 0) from.succs.splice(si, 1);
  const pi = to.preds.indexOf(from);
  if (pi < 0) return;
  to.preds.splice(pi, 1);
  for (const p of to.insts) {
    if (p.op !== Op.Phi) break;
    p.args!.splice(pi, 1);
  }
}

/** Stamps of reversePostOrder walks: blocks a walk reaches get its number in `visit`. */
let walks = 0;

/**
 * Blocks in reverse post-order from the entry (unreachable ones left out). Every block it
 * returns has `visit` equal to the entry's afterwards (until the next walk): reachability
 * without a set.
 */
export function reversePostOrder(fn: Func): Block[] {
  const out: Block[] = [];
  const stamp = (walks = (walks + 1) | 0) === 0 ? (walks = 1) : walks;
  fn.entry.visit = stamp;
  const stack: Block[] = [fn.entry];
  const index: number[] = [0];
  while (stack.length > 0) {
    const b = stack[stack.length - 1]!;
    const i = index[index.length - 1]!;
    if (i < b.succs.length) {
      index[index.length - 1] = i + 1;
      const s = b.succs[i]!;
      if (s.visit !== stamp) {
        s.visit = stamp;
        stack.push(s);
        index.push(0);
      }
    } else {
      stack.pop();
      index.pop();
      out.push(b);
    }
  }
  out.reverse();
  out.forEach((b, i) => (b.order = i));
  return out;
}

/**
 * After edges were removed: drop unreachable blocks, merge a block into its only
 * predecessor when that predecessor has it as only successor, and thread jumps through
 * blocks that hold nothing but a jump. Returns how many blocks went away.
 */
export function simplifyCfg(fn: Func): number {
  let changed = 0;
  // unreachable blocks
  const live = reversePostOrder(fn);
  const reachable = fn.entry.visit;
  for (const b of fn.blocks) {
    if (b.visit === reachable) continue;
    b.removed = true;
    changed++;
    for (const x of b.insts) if (x.pc >= 0) fn.fate(x.pc, 'unreachable');
    for (const s of [...b.succs]) if (s.visit === reachable) removeEdge(b, s);
  }
  fn.blocks = live;
  removeSingleOperandPhis(fn);

  // empty blocks: B holds only `Br T` and no phis -> its predecessors branch to T directly
  for (const b of fn.blocks) {
    if (b === fn.entry || b.removed || b.insts.length !== 1 || b.insts[0]!.op !== Op.Br) continue;
    const t = b.succs[0]!;
    if (t === b) continue;
    const tHasPhis = t.insts[0]?.op === Op.Phi;
    const j = t.preds.indexOf(b);
    for (const p of [...b.preds]) {
      // a predecessor already reaching T would make two edges P -> T; phis could differ
      if (t.preds.includes(p)) continue;
      if (p.succs.filter((s) => s === b).length !== 1) continue;
      p.succs[p.succs.indexOf(b)] = t;
      b.preds.splice(b.preds.indexOf(p), 1);
      t.preds.push(p);
      if (tHasPhis) for (const ph of t.insts) if (ph.op === Op.Phi) ph.args!.push(ph.args![j]!);
      changed++;
    }
  }
  // blocks nobody reaches any more (threaded around)
  const live2 = reversePostOrder(fn);
  const reach2 = fn.entry.visit;
  for (const b of fn.blocks) {
    if (b.visit === reach2) continue;
    b.removed = true;
    for (const s of [...b.succs]) removeEdge(b, s);
  }
  fn.blocks = live2;

  // straight-line merging: P -> B only, B <- P only
  for (const b of [...fn.blocks]) {
    if (b.removed || b === fn.entry || b.split) continue;
    if (b.preds.length !== 1) continue;
    const p = b.preds[0]!;
    if (p === b || p.succs.length !== 1 || p.split) continue;
    // B's phis (single operand) were removed above
    p.insts.pop(); // its Br
    for (const x of b.insts) x.block = p;
    p.insts.push(...b.insts);
    p.succs = b.succs;
    for (const s of b.succs) s.preds[s.preds.indexOf(b)] = p;
    b.removed = true;
    b.insts = [];
    changed++;
  }
  fn.blocks = reversePostOrder(fn);
  resolveOperands(fn);
  return changed;
}

/** A phi with one operand (its block has one predecessor) is that operand. */
export function removeSingleOperandPhis(fn: Func): void {
  for (const b of fn.blocks) {
    if (b.preds.length > 1) continue;
    for (const p of b.insts) {
      if (p.op !== Op.Phi) break;
      if (p.removed) continue;
      const a = p.args!.length === 1 ? resolve(p.args![0]!) : fn.undef;
      replace(p, a === p ? fn.undef : a);
    }
  }
  resolveOperands(fn);
}

/** Immediate dominators (Cooper, Harvey, Kennedy, "A Simple, Fast Dominance Algorithm"). */
export function computeDominators(fn: Func): void {
  const order = reversePostOrder(fn);
  fn.blocks = order;
  for (const b of order) b.idom = null;
  const entry = fn.entry;
  entry.idom = entry;
  const intersect = (x: Block, y: Block): Block => {
    let a = x;
    let b = y;
    while (a !== b) {
      while (a.order > b.order) a = a.idom!;
      while (b.order > a.order) b = b.idom!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of order) {
      if (b === entry) continue;
      let d: Block | null = null;
      for (const p of b.preds) {
        if (p.idom === null) continue;
        d = d === null ? p : intersect(p, d);
      }
      if (d !== null && b.idom !== d) {
        b.idom = d;
        changed = true;
      }
    }
  }
}

export function dominates(a: Block, b: Block): boolean {
  let x: Block | null = b;
  while (x !== null) {
    if (x === a) return true;
    if (x.idom === x) return false;
    x = x.idom;
  }
  return false;
}

/**
 * Loop nesting depth of every block: each back edge (to a dominator) makes a natural loop,
 * the blocks that reach the latch without passing the header. Needs dominators.
 */
export function computeLoopDepth(fn: Func): void {
  for (const b of fn.blocks) b.depth = 0;
  for (const h of fn.blocks) {
    for (const latch of h.preds) {
      if (!dominates(h, latch)) continue;
      const body = new Set<Block>([h]);
      const stack = [latch];
      while (stack.length > 0) {
        const x = stack.pop()!;
        if (body.has(x)) continue;
        body.add(x);
        for (const p of x.preds) stack.push(p);
      }
      for (const x of body) x.depth++;
    }
  }
}
