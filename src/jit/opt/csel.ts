import { simplifyCfg } from './cfg.js';
import { INVERSE_CONDITION } from './conditions.js';
import { Op, countUses, isPure, replace, type Block, type Func, type Inst } from './ir.js';
import { knownBits } from './zext.js';
import type { PassContext } from './passes.js';

/**
 * Conditional selects for small diamonds and triangles:
 *
 *   if (x < lo) lo = x;                  ->  cmp x, lo; csel lo, x, lo, lo
 *   c = cond ? v + 1 : v'                ->  csinc;  ~v: csinv;  -v: csneg;  1 / 0: cset
 *
 * A block H ending in a conditional jump whose arms (one or two blocks, each reached only
 * from H and ending in a jump to the same join J, which nothing else reaches) compute nothing
 * but what the select itself can: values from before the branch, constants, and v + 1, ~v, -v
 * on the selected side. Each phi of J becomes one CSEL/CSINC/CSINV/CSNEG after H's compare,
 * and the branch disappears. At most three phis (beyond that a branch is cheaper).
 */
export function conditionalSelects(fn: Func, _ctx: PassContext): number {
  let fired = 0;
  // known bits once, of the function as it is before the first select (computed when first
  // needed, or before the first change): values the selects make are new ids, which read as
  // unknown (safe). Most functions have no candidate and never need them.
  const bits = new LazyKnownBits(fn);
  for (let again = true; again; ) {
    again = false;
    countUses(fn);
    for (const h of fn.blocks) {
      if (h.removed || h.terminator.op !== Op.CondBr || h.succs.length !== 2) continue;
      if (convert(fn, h, bits)) {
        fired++;
        again = true;
      }
    }
    if (again) simplifyCfg(fn);
  }
  return fired;
}

const MAX_PHIS = 3;

class LazyKnownBits {
  #known: Uint8Array | null = null;
  readonly #fn: Func;
  constructor(fn: Func) {
    this.#fn = fn;
  }
  /** the facts, computed now if not yet (call before changing the function) */
  ensure(): Uint8Array {
    return (this.#known ??= knownBits(this.#fn));
  }
  get(v: Inst): number {
    const known = this.ensure();
    return v.id < known.length ? known[v.id]! : 64;
  }
}

/** An arm: only H reaches it, it only jumps to J, and holds only pure instructions. */
function isArm(s: Block, h: Block): boolean {
  if (s.preds.length !== 1 || s.preds[0] !== h || s.succs.length !== 1 || s.split) return false;
  if (s.insts[0]?.op === Op.Phi) return false;
  for (let i = 0; i < s.insts.length - 1; i++) if (!isPure(s.insts[i]!)) return false;
  return s.terminator.op === Op.Br;
}

/** What one side of a select becomes: the value, and how the select may derive it. */
interface Side {
  readonly v: Inst;
  /** 0: v itself, 1: v + 1, 2: ~v, 3: -v (CSINC, CSINV, CSNEG on this side) */
  readonly sel: number;
}

function convert(fn: Func, h: Block, bits: LazyKnownBits): boolean {
  const br = h.terminator;
  const [t, f] = h.succs as [Block, Block];
  let join: Block;
  let tArm: Block | null = null;
  let fArm: Block | null = null;
  if (isArm(t, h) && isArm(f, h) && t.succs[0] === f.succs[0]) {
    tArm = t;
    fArm = f;
    join = t.succs[0]!;
  } else if (isArm(t, h) && t.succs[0] === f) {
    tArm = t;
    join = f;
  } else if (isArm(f, h) && f.succs[0] === t) {
    fArm = f;
    join = t;
  } else return false;
  if (join.preds.length !== 2) return false;
  const arms = [tArm, fArm].filter((x): x is Block => x !== null);
  const phis = join.insts.filter((p) => p.op === Op.Phi && !p.removed);
  if (phis.length === 0 || phis.length > MAX_PHIS) return false;
  const predT = tArm ?? h;
  const predF = fArm ?? h;
  const inArm = (v: Inst): boolean => arms.includes(v.block);
  /** arm constants to move into H (no operands: they can live anywhere) */
  const moved = new Set<Inst>();
  /** arm instructions the selects absorb (v + 1, ~v, -v) */
  const absorbed = new Set<Inst>();
  let zero: Inst | null = null;
  const zeroConst = (): Inst => {
    if (zero === null) {
      zero = fn.inst(Op.Const, h, br.pc);
      zero.k = 0n;
    }
    return zero;
  };

  /** how a value reaching J from one side can be had without the arm's code */
  const side = (v: Inst, other: Inst): Side | null => {
    if (!inArm(v)) return { v, sel: 0 };
    if (v.op === Op.Const) {
      // 1 is CSINC of zero, -1 CSINV of zero, 0 the zero register; others move to H
      if (v.k === 0n) return { v: zeroConst(), sel: 0 };
      if (v.k === 1n) return { v: zeroConst(), sel: 1 };
      if (v.k === 0xffff_ffff_ffff_ffffn) return { v: zeroConst(), sel: 2 };
      moved.add(v);
      return { v, sel: 0 };
    }
    if (v.uses !== 1 || v.a === null || inArm(v.a)) return null;
    // a 32-bit result zero-extends: select at 32 bits only when the other side has no high bits
    if (v.w === 32 && (bits.get(other) ?? 64) > 32) return null;
    let sel = 0;
    if (v.op === Op.Add && v.b === null && v.imm === 1) sel = 1;
    else if (v.op === Op.Xor && v.b === null && v.imm === -1) sel = 2;
    else if (v.op === Op.Neg && v.mod === 0) sel = 3;
    else return null;
    absorbed.add(v);
    return { v: v.a, sel };
  };
  const plans: { phi: Inst; taken: Side; other: Side; w: 32 | 64; invert: boolean }[] = [];
  for (const p of phis) {
    const tv = p.args![join.preds.indexOf(predT)]!;
    const fv = p.args![join.preds.indexOf(predF)]!;
    const ts = side(tv, fv);
    const fs = side(fv, tv);
    if (ts === null || fs === null) return false;
    if (ts.sel !== 0 && fs.sel !== 0) return false;
    // the derived side must be the second operand: CSINC d, n, m, c = c ? n : m + 1
    const derived = ts.sel !== 0 ? tv : fs.sel !== 0 ? fv : null;
    const w: 32 | 64 = derived !== null && derived.op !== Op.Const && derived.w === 32 ? 32 : 64;
    plans.push({ phi: p, taken: ts, other: fs, w, invert: ts.sel !== 0 });
  }
  // nothing else of the arms may be needed: what the selects absorb (v + 1, ~v, -v, and the
  // constants 0, 1, -1) must have no other use than these phis
  for (const arm of arms) {
    for (let i = 0; i < arm.insts.length - 1; i++) {
      const x = arm.insts[i]!;
      if (x.uses === 0 || moved.has(x)) continue;
      const folded = absorbed.has(x) || (x.op === Op.Const && (x.k === 0n || x.k === 1n || x.k === 0xffff_ffff_ffff_ffffn));
      let refs = 0;
      for (const p of phis) for (const a of p.args!) if (a === x) refs++;
      if (!folded || refs !== x.uses) return false;
    }
  }
  // build the selects at the end of H
  bits.ensure();
  const term = h.insts.pop()!;
  for (const m of moved) {
    m.block = h;
    h.insts.push(m);
    m.removed = false;
  }
  if (zero !== null) h.insts.push(zero);
  for (const pl of plans) {
    if (pl.taken.v === pl.other.v && pl.taken.sel === 0 && pl.other.sel === 0) {
      replace(pl.phi, pl.taken.v);
      continue;
    }
    const c = fn.inst(Op.Csel, h, br.pc);
    c.w = pl.w;
    const first = pl.invert ? pl.other : pl.taken;
    const second = pl.invert ? pl.taken : pl.other;
    c.a = first.v;
    c.b = second.v;
    c.amount = second.sel;
    c.c = br.a;
    c.d = br.b;
    c.imm = br.imm;
    c.imm2 = pl.invert ? INVERSE_CONDITION[br.imm2]! : br.imm2;
    c.size = br.w === 32 ? 4 : 8;
    h.insts.push(c);
    replace(pl.phi, c);
    fn.fate(pl.phi.pc, 'conditional select');
  }
  term.op = Op.Br;
  term.a = term.b = null;
  h.insts.push(term);
  // rewire: H -> J directly, the arms go
  for (const arm of arms) {
    arm.removed = true;
    for (const x of arm.insts) {
      if (moved.has(x)) continue;
      x.removed = true;
      if (x.pc >= 0) fn.fate(x.pc, 'conditional select');
    }
  }
  const keepIndex = join.preds.indexOf(predT);
  for (const p of join.insts) {
    if (p.op !== Op.Phi || p.removed) continue;
    p.args = [p.args![keepIndex]!];
  }
  join.preds = [h];
  h.succs = [join];
  fn.fate(br.pc, 'conditional select');
  return true;
}
