import { Op, type Block, type Func } from './ir.js';

/**
 * Block order for emission, and edge blocks for phi moves.
 *
 * The order is the BPF order (clang's layout, which already puts loop bodies inline and
 * exits after them); the conditional-branch lowering then picks the fall-through side, so a
 * loop whose latch ends `if c goto exit; goto header` becomes one `b.!c header`. Blocks made
 * on critical edges go last: most end up without moves and are never emitted.
 */
export function layoutBlocks(fn: Func): Block[] {
  const normal: Block[] = [];
  const split: Block[] = [];
  for (const b of fn.blocks) (b.split ? split : normal).push(b);
  normal.sort((x, y) => (x === fn.entry ? -1 : y === fn.entry ? 1 : x.start - y.start || x.id - y.id));
  return [...normal, ...split];
}

/**
 * A block with several successors that reaches a block with phis and several predecessors
 * cannot hold that edge's phi moves (they would run on every edge): put an edge block there.
 */
export function splitCriticalEdges(fn: Func): number {
  let made = 0;
  const added: Block[] = [];
  for (const b of fn.blocks) {
    if (b.succs.length < 2) continue;
    for (let i = 0; i < b.succs.length; i++) {
      const s = b.succs[i]!;
      if (s.preds.length < 2 || s.insts[0]?.op !== Op.Phi) continue;
      const e = fn.newBlock(b.start);
      e.split = true;
      e.depth = Math.min(b.depth, s.depth);
      const br = fn.inst(Op.Br, e, b.terminator.pc);
      e.insts.push(br);
      e.preds = [b];
      e.succs = [s];
      b.succs[i] = e;
      s.preds[s.preds.indexOf(b)] = e;
      added.push(e);
      made++;
    }
  }
  fn.blocks.push(...added);
  return made;
}
