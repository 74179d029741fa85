import { OptUnsupported } from './build.js';
import { CallKind, Op, type Block, type Func, type Inst } from './ir.js';

/**
 * Linear-scan register allocation on SSA form (after Wimmer and Franz, "Linear Scan Register
 * Allocation on SSA Form", CGO 2010), without splitting or spilling: every value keeps one
 * register for its whole life. BPF code has at most eleven live registers and AArch64 offers
 * over twenty allocatable ones, so a value that finds no register means the optimizer made
 * pressure no BPF program has; the caller then compiles the function without the offending
 * transformation (or by the 1:1 path).
 *
 * Positions: instruction i of the layout is at 4i. Operands are read at 4i, a call clobbers
 * the caller-saved registers at 4i + 1, results are written at 4i + 2. A value is live over
 * half-open ranges; two values may share a register when their ranges do not intersect.
 * Hints (parameters, call arguments and results, return values, phi operands) steer values
 * into the registers where they are needed, so that most moves vanish.
 */

/** Registers a function's values may get, by AArch64 register number. */
export interface RegisterSet {
  /** caller-saved, in order of preference */
  readonly scratch: readonly number[];
  /** callee-saved (kept across calls; a function saves the ones it uses), in order */
  readonly saved: readonly number[];
}

export interface Allocation {
  /** register of each value by instruction id (-1: none needed) */
  readonly reg: Int32Array;
  /** callee-saved registers written */
  readonly savedUsed: readonly number[];
  /** position of each instruction, by id */
  readonly pos: Int32Array;
  /** first position of each block, by layout index */
  readonly blockFrom: Int32Array;
  /** is register r occupied by a value at position p? */
  busy(r: number, p: number): boolean;
  /** live ranges by instruction id (flat from, to pairs), for tests and debugging */
  readonly ranges: ReadonlyMap<number, readonly number[]>;
}

/** Values that never occupy a register when read: Undef and the constant 0 (XZR/WZR). */
function readsAsZero(x: Inst): boolean {
  return x.op === Op.Undef || (x.op === Op.Const && x.k === 0n);
}

/** Operand references an instruction reads that live in registers (Frame as a base excluded). */
export function forEachOperand(x: Inst, fn: (v: Inst) => void): void {
  if (x.op === Op.Phi) return; // read on the incoming edges instead
  const memBase = x.op === Op.Load || x.op === Op.Store;
  if (x.a !== null && !(memBase && x.a.op === Op.Frame)) fn(x.a);
  if (x.b !== null) fn(x.b);
  if (x.c !== null) fn(x.c);
  if (x.d !== null) fn(x.d);
  if (x.args !== null) for (const y of x.args) fn(y);
}

/** A value's live ranges, flat [from, to, from, to, ...], sorted and disjoint. */
interface Interval {
  readonly v: Inst;
  readonly ranges: number[];
  readonly start: number;
  readonly end: number;
  /** first range that may still matter (ranges before it end before the current position) */
  cursor: number;
}

export function allocate(fn: Func, layout: readonly Block[], regs: RegisterSet, entryResult: boolean): Allocation {
  const n = fn.instCount;
  const nb = layout.length;
  const pos = new Int32Array(n).fill(-1);
  const blockFrom = new Int32Array(nb);
  const blockTo = new Int32Array(nb);
  const defBlock: (Block | null)[] = new Array<Block | null>(n).fill(null);
  let p = 0;
  const callPositions: number[] = [];
  for (let i = 0; i < nb; i++) {
    const b = layout[i]!;
    b.order = i;
    blockFrom[i] = p;
    for (const x of b.insts) {
      pos[x.id] = p;
      defBlock[x.id] = b;
      if (x.op === Op.Call) callPositions.push(p);
      p += 4;
    }
    blockTo[i] = p;
  }

  // --- uses that need the value in a register ------------------------------------------------
  const uses: Inst[][] = new Array<Inst[]>(n);
  /** for a phi operand: the predecessor the value comes from; else null */
  const useEdges: (Block | null)[][] = new Array<(Block | null)[]>(n);
  const values: Inst[] = [];
  const addUse = (v: Inst, user: Inst, edge: Block | null): void => {
    if (readsAsZero(v)) return;
    let list = uses[v.id];
    if (list === undefined) {
      list = uses[v.id] = [];
      useEdges[v.id] = [];
      values.push(v);
    }
    list.push(user);
    useEdges[v.id]!.push(edge);
  };
  for (const b of layout) {
    for (const x of b.insts) {
      if (x.op === Op.Phi) {
        const args = x.args!;
        for (let j = 0; j < args.length; j++) addUse(args[j]!, x, b.preds[j]!);
      } else forEachOperand(x, (v) => addUse(v, x, null));
    }
  }

  // --- live ranges: walk back from each use to the definition (SSA liveness) ----------------
  const outStamp = new Int32Array(nb).fill(-1);
  const inStamp = new Int32Array(nb).fill(-1);
  const useStamp = new Int32Array(nb).fill(-1);
  const segStamp = new Int32Array(nb).fill(-1);
  const lastUse = new Int32Array(nb);
  const intervals: Interval[] = [];
  const stack: Block[] = [];
  const touched: Block[] = [];
  const segs: number[] = [];
  for (const v of values) {
    const id = v.id;
    const db = defBlock[id];
    if (db === null || db === undefined) throw new OptUnsupported(`value of slot ${v.pc} (${Op[v.op]}) is used but defined nowhere`);
    const defAt = v.op === Op.Phi ? blockFrom[db.order]! : pos[id]! + 2;
    const list = uses[id]!;
    const edges = useEdges[id]!;
    touched.length = 0;
    touched.push(db);
    const markIn = (b: Block): void => {
      if (inStamp[b.order] === id) return;
      inStamp[b.order] = id;
      for (const pr of b.preds) stack.push(pr);
    };
    for (let i = 0; i < list.length; i++) {
      const edge = edges[i]!;
      if (edge !== null) stack.push(edge);
      else {
        const ub = list[i]!.block;
        const o = ub.order;
        const at = pos[list[i]!.id]! + 1;
        if (useStamp[o] !== id) {
          useStamp[o] = id;
          lastUse[o] = at;
          touched.push(ub);
        } else if (at > lastUse[o]!) lastUse[o] = at;
        if (ub !== db) markIn(ub);
      }
      while (stack.length > 0) {
        const b = stack.pop()!;
        const o = b.order;
        if (outStamp[o] === id) continue;
        outStamp[o] = id;
        touched.push(b);
        if (b !== db) markIn(b);
      }
    }
    segs.length = 0;
    for (const b of touched) {
      const o = b.order;
      if (segStamp[o] === id) continue;
      segStamp[o] = id;
      const from = b === db ? defAt : blockFrom[o]!;
      const to = outStamp[o] === id ? blockTo[o]! : useStamp[o] === id ? lastUse[o]! : from + 1;
      if (to > from) segs.push(from, to);
    }
    // sort the segments by start (few, mostly in order) and merge touching ones
    const k = segs.length / 2;
    const idx: number[] = [];
    for (let i = 0; i < k; i++) idx.push(i);
    idx.sort((x, y) => segs[2 * x]! - segs[2 * y]!);
    const r: number[] = [];
    for (const i of idx) {
      const f = segs[2 * i]!;
      const t = segs[2 * i + 1]!;
      if (r.length > 0 && f <= r[r.length - 1]!) {
        if (t > r[r.length - 1]!) r[r.length - 1] = t;
      } else r.push(f, t);
    }
    if (r.length > 0) intervals.push({ v, ranges: r, start: r[0]!, end: r[r.length - 1]!, cursor: 0 });
  }

  // --- hints ---------------------------------------------------------------------------------
  const fixedHint = new Int32Array(n).fill(-1);
  const partners: Inst[][] = new Array<Inst[]>(n);
  const partner = (a: Inst, b: Inst): void => {
    (partners[a.id] ??= []).push(b);
    (partners[b.id] ??= []).push(a);
  };
  const hintReg = (v: Inst, r: number): void => {
    if (fixedHint[v.id] === -1) fixedHint[v.id] = r;
  };
  for (const b of layout) {
    for (const x of b.insts) {
      switch (x.op) {
        case Op.Param:
          // R1-R5 arrive in x0-x4, stack-argument slots 1-3 in x5-x7
          fixedHint[x.id] = x.imm <= 8 ? x.imm - 1 : -1;
          break;
        case Op.Call: {
          fixedHint[x.id] = x.imm2 === CallKind.Local || x.imm2 === CallKind.Indirect ? 8 : 0;
          // R1-R5 go in x0-x4, stack-argument slots 1-3 in x5-x7
          const args = x.args!;
          for (let j = 0; j < args.length && j < 8; j++) hintReg(args[j]!, j);
          break;
        }
        case Op.Ret:
          if (x.a !== null) hintReg(x.a, entryResult ? 0 : 8);
          break;
        case Op.Phi:
          for (const a of x.args!) partner(x, a);
          break;
        case Op.Mov:
          if (x.w === 64 && x.a !== null) partner(x, x.a);
          break;
        default:
          break;
      }
    }
  }

  // --- coalescing ----------------------------------------------------------------------------
  // A phi and its operands, and a copy and its source, that are never live at the same time
  // share one interval (and so one register): no move on that edge. Phis of inner loops first,
  // where a move would cost most.
  const byId = new Map<number, Interval>();
  for (const it of intervals) byId.set(it.v.id, it);
  const parent = new Int32Array(n).fill(-1);
  const find = (id: number): number => {
    let r = id;
    while (parent[r]! >= 0) r = parent[r]!;
    let c = id;
    while (parent[c]! >= 0) {
      const nx = parent[c]!;
      parent[c] = r;
      c = nx;
    }
    return r;
  };
  const members = new Map<number, Inst[]>();
  const classRanges = new Map<number, number[]>();
  for (const it of intervals) {
    members.set(it.v.id, [it.v]);
    classRanges.set(it.v.id, it.ranges);
  }
  const overlap = (a: number[], b: number[]): boolean => {
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (a[i]! < b[j + 1]! && b[j]! < a[i + 1]!) return true;
      if (a[i + 1]! <= b[j]!) i += 2;
      else j += 2;
    }
    return false;
  };
  const mergeRanges = (a: number[], b: number[]): number[] => {
    const out: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const takeA = j >= b.length || (i < a.length && a[i]! <= b[j]!);
      const f = takeA ? a[i]! : b[j]!;
      const t = takeA ? a[i + 1]! : b[j + 1]!;
      if (takeA) i += 2;
      else j += 2;
      if (out.length > 0 && f <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, t);
      else out.push(f, t);
    }
    return out;
  };
  const tryUnion = (x: Inst, y: Inst): void => {
    if (!byId.has(x.id) || !byId.has(y.id)) return;
    const rx = find(x.id);
    const ry = find(y.id);
    if (rx === ry) return;
    const ax = classRanges.get(rx)!;
    const ay = classRanges.get(ry)!;
    if (overlap(ax, ay)) return;
    // one fixed register per class: do not merge two different ones
    const hx = classHint(rx);
    const hy = classHint(ry);
    if (hx >= 0 && hy >= 0 && hx !== hy) return;
    parent[ry] = rx;
    classRanges.set(rx, mergeRanges(ax, ay));
    members.get(rx)!.push(...members.get(ry)!);
    members.delete(ry);
    classRanges.delete(ry);
  };
  const classHint = (root: number): number => {
    for (const m of members.get(root)!) if (fixedHint[m.id]! >= 0) return fixedHint[m.id]!;
    return -1;
  };
  const phiList: Inst[] = [];
  for (const b of layout) for (const x of b.insts) if (x.op === Op.Phi) phiList.push(x);
  phiList.sort((x, y) => y.block.depth - x.block.depth);
  for (const p of phiList) for (const a of p.args!) tryUnion(p, a);
  for (const b of layout) for (const x of b.insts) if (x.op === Op.Mov && x.w === 64 && x.a !== null) tryUnion(x, x.a);

  // --- allocation ----------------------------------------------------------------------------
  const reg = new Int32Array(n).fill(-1);
  const classes: Interval[] = [];
  for (const [root, r] of classRanges) classes.push({ v: byId.get(root)!.v, ranges: r, start: r[0]!, end: r[r.length - 1]!, cursor: 0 });
  classes.sort((x, y) => x.start - y.start || x.v.id - y.v.id);
  const all = [...regs.scratch, ...regs.saved];
  const allowed = new Uint8Array(32);
  for (const r of all) allowed[r] = 1;
  const isSaved = new Uint8Array(32);
  for (const r of regs.saved) isSaved[r] = 1;
  /** per register: intervals assigned to it that have not ended before the current start */
  const live: Interval[][] = Array.from({ length: 32 }, () => []);
  const history: Interval[][] = Array.from({ length: 32 }, () => []);
  const crossesCall = (r: number[]): boolean => {
    if (callPositions.length === 0) return false;
    for (let i = 0; i < r.length; i += 2) {
      // first call whose clobber point (q + 1) is at or after the range's start
      let lo = 0;
      let hi = callPositions.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (callPositions[mid]! + 1 < r[i]!) lo = mid + 1;
        else hi = mid;
      }
      if (lo < callPositions.length && callPositions[lo]! + 1 < r[i + 1]!) return true;
    }
    return false;
  };
  const intersects = (a: Interval, b: Interval): boolean => {
    const ar = a.ranges;
    const br = b.ranges;
    let i = a.cursor;
    let j = 0;
    while (i < ar.length && j < br.length) {
      if (ar[i]! < br[j + 1]! && br[j]! < ar[i + 1]!) return true;
      if (ar[i + 1]! <= br[j]!) i += 2;
      else j += 2;
    }
    return false;
  };
  const usedSaved = new Set<number>();
  for (const cur of classes) {
    const s = cur.start;
    const noScratch = crossesCall(cur.ranges);
    const ok = (rg: number): boolean => {
      if (rg < 0 || allowed[rg] === 0 || (noScratch && isSaved[rg] === 0)) return false;
      const list = live[rg]!;
      let k = 0;
      for (let i = 0; i < list.length; i++) {
        const it = list[i]!;
        if (it.end <= s) continue; // over: drop it from the list
        while (it.ranges[it.cursor + 1]! <= s) it.cursor += 2;
        list[k++] = it;
      }
      list.length = k;
      for (const it of list) if (intersects(it, cur)) return false;
      return true;
    };
    const group = members.get(find(cur.v.id))!;
    let chosen = -1;
    // a fixed register some member needs (an argument, a call result, the return value)
    for (const m of group) {
      if (ok(fixedHint[m.id]!)) {
        chosen = fixedHint[m.id]!;
        break;
      }
    }
    if (chosen < 0) {
      // a register where a related value (not coalesced: they overlap) already is
      outer: for (const m of group) {
        for (const q of partners[m.id] ?? []) {
          const qr = reg[q.id]!;
          if (qr >= 0 && ok(qr)) {
            chosen = qr;
            break outer;
          }
        }
      }
    }
    if (chosen < 0) {
      outer: for (const m of group) {
        for (const q of partners[m.id] ?? []) {
          const qh = fixedHint[q.id]!;
          if (ok(qh)) {
            chosen = qh;
            break outer;
          }
        }
      }
    }
    if (chosen < 0) {
      for (const rg of noScratch ? regs.saved : all) {
        if (ok(rg)) {
          chosen = rg;
          break;
        }
      }
    }
    if (chosen < 0) throw new OptUnsupported(`register pressure: no register for the value of slot ${cur.v.pc}`);
    for (const m of group) reg[m.id] = chosen;
    live[chosen]!.push(cur);
    history[chosen]!.push(cur);
    if (isSaved[chosen]) usedSaved.add(chosen);
  }
  const busy = (rg: number, at: number): boolean => {
    for (const it of history[rg]!) {
      if (it.end <= at || it.start > at) continue;
      const r = it.ranges;
      for (let i = 0; i < r.length; i += 2) if (r[i]! <= at && at < r[i + 1]!) return true;
    }
    return false;
  };
  return { reg, savedUsed: [...usedSaved].sort((x, y) => x - y), pos, blockFrom, busy, ranges: new Map(intervals.map((it) => [it.v.id, it.ranges])) };
}
