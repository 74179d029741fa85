import { OptUnsupported } from './build.js';
import { CallKind, Op, type Block, type Func, type Inst } from './ir.js';

/**
 * Linear-scan register allocation on SSA form (after Wimmer and Franz, "Linear Scan Register
 * Allocation on SSA Form", CGO 2010), without splitting or spilling: every value keeps one
 * register for its whole life. BPF code has at most eleven live registers and AArch64 offers
 * over twenty allocatable ones, so a value that finds no register means the optimizer made
 * pressure no BPF program has; the caller then compiles the function with less (fewer stack
 * slots promoted, no hoisted constants) or by the 1:1 path.
 *
 * Positions: instruction i of the layout is at 4i. Operands are read at 4i, a call clobbers
 * the caller-saved registers at 4i + 1, results are written at 4i + 2. A value is live over
 * half-open ranges; two values may share a register when their ranges do not intersect.
 * Phis and their operands, and copies and their sources, that are never live at once are
 * coalesced into one interval first; hints (parameters, call arguments and results, return
 * values) then steer intervals into the registers where they are needed, so most moves vanish.
 *
 * Data structures are typed arrays indexed by instruction id: a JIT compiles in microseconds
 * per instruction, and allocation of small objects is what costs most in JavaScript.
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
  ranges(id: number): readonly number[];
}

/** Values that never occupy a register when read: Undef and the constant 0 (XZR/WZR). */
function readsAsZero(x: Inst): boolean {
  return x.op === Op.Undef || (x.op === Op.Const && x.k === 0n);
}


/** The operands an instruction reads from registers (a frame base is not one; phis read on edges). */
export function forEachOperand(x: Inst, fn: (v: Inst) => void): void {
  if (x.op === Op.Phi) return;
  const memBase = x.op === Op.Load || x.op === Op.Store;
  if (x.a !== null && !(memBase && x.a.op === Op.Frame)) fn(x.a);
  if (x.b !== null) fn(x.b);
  if (x.c !== null) fn(x.c);
  if (x.d !== null) fn(x.d);
  if (x.args !== null) for (const y of x.args) fn(y);
}

/** A growable list of int32 (ranges, stacks) without per-element allocation. */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 16) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

export function allocate(fn: Func, layout: readonly Block[], regs: RegisterSet, entryResult: boolean): Allocation {
  const n = fn.instCount;
  if (n >= 4_194_304) throw new OptUnsupported(`a function of ${n} instructions is beyond the allocator's numbering`);
  const nb = layout.length;
  const pos = new Int32Array(n).fill(-1);
  const blockOf = new Int32Array(n).fill(-1);
  const blockFrom = new Int32Array(nb);
  const blockTo = new Int32Array(nb);
  const insts: (Inst | undefined)[] = new Array<Inst | undefined>(n);
  let p = 0;
  const calls = new IntList(8);
  for (let i = 0; i < nb; i++) {
    const b = layout[i]!;
    b.order = i;
    blockFrom[i] = p;
    for (const x of b.insts) {
      pos[x.id] = p;
      blockOf[x.id] = i;
      insts[x.id] = x;
      if (x.op === Op.Call) calls.push(p);
      p += 4;
    }
    blockTo[i] = p;
  }

  // --- uses that need a register, as compressed rows: block and position (-1: live out) ----
  const useCount = new Int32Array(n);
  for (const b of layout) {
    for (const x of b.insts) {
      if (x.op === Op.Phi) {
        for (const a of x.args!) if (!readsAsZero(a)) useCount[a.id]!++;
        continue;
      }
      const base = x.a;
      if (base !== null && !((x.op === Op.Load || x.op === Op.Store) && base.op === Op.Frame) && !readsAsZero(base)) useCount[base.id]!++;
      if (x.b !== null && !readsAsZero(x.b)) useCount[x.b.id]!++;
      if (x.c !== null && !readsAsZero(x.c)) useCount[x.c.id]!++;
      if (x.d !== null && !readsAsZero(x.d)) useCount[x.d.id]!++;
      if (x.args !== null) for (const a of x.args) if (!readsAsZero(a)) useCount[a.id]!++;
    }
  }
  const useStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) useStart[i + 1] = useStart[i]! + useCount[i]!;
  const useBlock = new Int32Array(useStart[n]!);
  const useAt = new Int32Array(useStart[n]!);
  const fill = useStart.slice(0, n);
  let ub = 0;
  let at = 0;
  const put = (v: Inst | null): void => {
    if (v === null || readsAsZero(v)) return;
    const k = fill[v.id]!++;
    useBlock[k] = ub;
    useAt[k] = at;
  };
  for (const b of layout) {
    for (const x of b.insts) {
      if (x.op === Op.Phi) {
        const args = x.args!;
        for (let j = 0; j < args.length; j++) {
          const v = args[j]!;
          if (readsAsZero(v)) continue;
          const k = fill[v.id]!++;
          useBlock[k] = b.preds[j]!.order;
          useAt[k] = -1; // live out of that predecessor
        }
      } else {
        at = pos[x.id]! + 1;
        ub = b.order;
        if (x.a !== null && !((x.op === Op.Load || x.op === Op.Store) && x.a.op === Op.Frame)) put(x.a);
        put(x.b);
        put(x.c);
        put(x.d);
        if (x.args !== null) for (const a of x.args) put(a);
      }
    }
  }

  // --- live ranges: walk back from each use to the definition (SSA liveness) ----------------
  const outStamp = new Int32Array(nb).fill(-1);
  const inStamp = new Int32Array(nb).fill(-1);
  const useStamp = new Int32Array(nb).fill(-1);
  const segStamp = new Int32Array(nb).fill(-1);
  const lastUse = new Int32Array(nb);
  const stack = new IntList(64);
  const touched = new IntList(64);
  const segs = new IntList(64);
  /** ranges of every value: rangeOf[id] = [start, end) into the pool (pairs) */
  const pool = new IntList(4 * n + 16);
  const rangeLo = new Int32Array(n).fill(-1);
  const rangeHi = new Int32Array(n).fill(-1);
  const values = new IntList(n);
  for (let id = 0; id < n; id++) {
    const u0 = useStart[id]!;
    const u1 = useStart[id + 1]!;
    if (u0 === u1) continue;
    const v = insts[id];
    const db = blockOf[id]!;
    if (v === undefined || db < 0) throw new OptUnsupported(`a value of slot ${v?.pc ?? '?'} is used but defined nowhere`);
    const defAt = v.op === Op.Phi ? blockFrom[db]! : pos[id]! + 2;
    values.push(id);
    // the common case: used only later in its own block
    let local = true;
    let last = defAt + 1;
    for (let k = u0; k < u1; k++) {
      if (useBlock[k] !== db || useAt[k]! < 0 || useAt[k]! <= defAt) {
        local = false;
        break;
      }
      if (useAt[k]! > last) last = useAt[k]!;
    }
    rangeLo[id] = pool.length;
    if (local) {
      pool.push(defAt);
      pool.push(last);
      rangeHi[id] = pool.length;
      continue;
    }
    touched.length = 0;
    touched.push(db);
    for (let k = u0; k < u1; k++) {
      const ub = useBlock[k]!;
      if (useAt[k]! < 0) stack.push(ub);
      else {
        if (useStamp[ub] !== id) {
          useStamp[ub] = id;
          lastUse[ub] = useAt[k]!;
          touched.push(ub);
        } else if (useAt[k]! > lastUse[ub]!) lastUse[ub] = useAt[k]!;
        if (ub !== db && inStamp[ub] !== id) {
          inStamp[ub] = id;
          for (const pr of layout[ub]!.preds) stack.push(pr.order);
        }
      }
      while (stack.length > 0) {
        const b = stack.data[--stack.length]!;
        if (outStamp[b] === id) continue;
        outStamp[b] = id;
        touched.push(b);
        if (b !== db && inStamp[b] !== id) {
          inStamp[b] = id;
          for (const pr of layout[b]!.preds) stack.push(pr.order);
        }
      }
    }
    segs.length = 0;
    for (let t = 0; t < touched.length; t++) {
      const b = touched.data[t]!;
      if (segStamp[b] === id) continue;
      segStamp[b] = id;
      const from = b === db ? defAt : blockFrom[b]!;
      const to = outStamp[b] === id ? blockTo[b]! : useStamp[b] === id ? lastUse[b]! : from + 1;
      if (to > from) {
        segs.push(from);
        segs.push(to);
      }
    }
    // insertion sort of the segments by start (few), then merge touching ones
    const d = segs.data;
    for (let i = 2; i < segs.length; i += 2) {
      const f = d[i]!;
      const t = d[i + 1]!;
      let j = i - 2;
      while (j >= 0 && d[j]! > f) {
        d[j + 2] = d[j]!;
        d[j + 3] = d[j + 1]!;
        j -= 2;
      }
      d[j + 2] = f;
      d[j + 3] = t;
    }
    const base = pool.length;
    for (let i = 0; i < segs.length; i += 2) {
      const f = d[i]!;
      const t = d[i + 1]!;
      if (pool.length > base && f <= pool.data[pool.length - 1]!) {
        if (t > pool.data[pool.length - 1]!) pool.data[pool.length - 1] = t;
      } else {
        pool.push(f);
        pool.push(t);
      }
    }
    rangeHi[id] = pool.length;
  }

  // --- hints ---------------------------------------------------------------------------------
  const fixedHint = new Int32Array(n).fill(-1);
  const hintReg = (v: Inst, r: number): void => {
    if (fixedHint[v.id] === -1) fixedHint[v.id] = r;
  };
  for (const b of layout) {
    for (const x of b.insts) {
      if (x.op === Op.Param) {
        // R1-R5 arrive in x0-x4, stack-argument slots 1-3 in x5-x7
        fixedHint[x.id] = x.imm <= 8 ? x.imm - 1 : -1;
      } else if (x.op === Op.Call) {
        fixedHint[x.id] = x.imm2 === CallKind.Local || x.imm2 === CallKind.Indirect ? 8 : 0;
        // R1-R5 go in x0-x4, stack-argument slots 1-3 in x5-x7
        const args = x.args!;
        for (let j = 0; j < args.length && j < 8; j++) hintReg(args[j]!, j);
      } else if (x.op === Op.Ret && x.a !== null) hintReg(x.a, entryResult ? 0 : 8);
    }
  }

  // --- coalescing ----------------------------------------------------------------------------
  // A phi and its operands, and a copy and its source, that are never live at the same time
  // share one interval (and so one register): no move on that edge. Phis of inner loops first,
  // where a move would cost most. Merged ranges go to the end of the pool.
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
  /** the class's fixed register (one per class) */
  const classHint = new Int32Array(n);
  for (let i = 0; i < n; i++) classHint[i] = fixedHint[i]!;
  const overlapIds = (x: number, y: number): boolean => {
    const d = pool.data;
    let i = rangeLo[x]!;
    let j = rangeLo[y]!;
    const ie = rangeHi[x]!;
    const je = rangeHi[y]!;
    while (i < ie && j < je) {
      if (d[i]! < d[j + 1]! && d[j]! < d[i + 1]!) return true;
      if (d[i + 1]! <= d[j]!) i += 2;
      else j += 2;
    }
    return false;
  };
  const tryUnion = (a: Inst, b: Inst): void => {
    if (rangeLo[a.id]! < 0 || rangeLo[b.id]! < 0) return;
    const rx = find(a.id);
    const ry = find(b.id);
    if (rx === ry || overlapIds(rx, ry)) return;
    const hx = classHint[rx]!;
    const hy = classHint[ry]!;
    if (hx >= 0 && hy >= 0 && hx !== hy) return;
    // merge the two range lists into a new run at the end of the pool
    const lo = pool.length;
    let i = rangeLo[rx]!;
    let j = rangeLo[ry]!;
    const ie = rangeHi[rx]!;
    const je = rangeHi[ry]!;
    while (i < ie || j < je) {
      const d = pool.data;
      const takeX = j >= je || (i < ie && d[i]! <= d[j]!);
      const f = takeX ? d[i]! : d[j]!;
      const t = takeX ? d[i + 1]! : d[j + 1]!;
      if (takeX) i += 2;
      else j += 2;
      if (pool.length > lo && f <= pool.data[pool.length - 1]!) {
        if (t > pool.data[pool.length - 1]!) pool.data[pool.length - 1] = t;
      } else {
        pool.push(f);
        pool.push(t);
      }
    }
    parent[ry] = rx;
    rangeLo[rx] = lo;
    rangeHi[rx] = pool.length;
    if (hx < 0) classHint[rx] = hy;
  };
  const phis: Inst[] = [];
  for (const b of layout) for (const x of b.insts) if (x.op === Op.Phi) phis.push(x);
  phis.sort((x, y) => y.block.depth - x.block.depth);
  for (const ph of phis) for (const a of ph.args!) tryUnion(ph, a);
  for (const b of layout) for (const x of b.insts) if (x.op === Op.Mov && x.w === 64 && x.a !== null) tryUnion(x, x.a);
  // hints between classes that did not merge: a phi and an operand that overlap
  const partnerOf = new Int32Array(n).fill(-1);
  for (const ph of phis) {
    for (const a of ph.args!) {
      if (rangeLo[a.id]! < 0 || rangeLo[ph.id]! < 0) continue;
      const ra = find(a.id);
      const rp = find(ph.id);
      if (ra === rp) continue;
      if (partnerOf[rp] === -1) partnerOf[rp] = ra;
      if (partnerOf[ra] === -1) partnerOf[ra] = rp;
    }
  }

  // --- allocation ----------------------------------------------------------------------------
  const roots = new IntList(values.length);
  for (let k = 0; k < values.length; k++) {
    const id = values.data[k]!;
    if (find(id) === id && rangeHi[id]! > rangeLo[id]!) roots.push(id);
  }
  // by start, then id: start * 2^22 + id fits a double exactly, and a typed array sorts natively
  const keys = new Float64Array(roots.length);
  for (let k = 0; k < roots.length; k++) keys[k] = pool.data[rangeLo[roots.data[k]!]!]! * 4_194_304 + roots.data[k]!;
  keys.sort();
  const order = new Int32Array(roots.length);
  for (let k = 0; k < roots.length; k++) order[k] = keys[k]! % 4_194_304;
  const reg = new Int32Array(n).fill(-1);
  const all = [...regs.scratch, ...regs.saved];
  const allowed = new Uint8Array(32);
  for (const r of all) allowed[r] = 1;
  const isSaved = new Uint8Array(32);
  for (const r of regs.saved) isSaved[r] = 1;
  /** per register: classes assigned to it whose ranges have not all ended */
  const live: number[][] = Array.from({ length: 32 }, () => []);
  const history: number[][] = Array.from({ length: 32 }, () => []);
  /** per class: the first range that may still matter */
  const cursor = new Int32Array(n);
  const crossesCall = (id: number): boolean => {
    if (calls.length === 0) return false;
    const d = pool.data;
    for (let i = rangeLo[id]!; i < rangeHi[id]!; i += 2) {
      // first call whose clobber point (q + 1) is at or after the range's start
      let lo = 0;
      let hi = calls.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (calls.data[mid]! + 1 < d[i]!) lo = mid + 1;
        else hi = mid;
      }
      if (lo < calls.length && calls.data[lo]! + 1 < d[i + 1]!) return true;
    }
    return false;
  };
  const intersects = (a: number, b: number): boolean => {
    const d = pool.data;
    let i = cursor[a]!;
    let j = rangeLo[b]!;
    const ie = rangeHi[a]!;
    const je = rangeHi[b]!;
    while (i < ie && j < je) {
      if (d[i]! < d[j + 1]! && d[j]! < d[i + 1]!) return true;
      if (d[i + 1]! <= d[j]!) i += 2;
      else j += 2;
    }
    return false;
  };
  const usedSaved = new Set<number>();
  // the class being placed (ok() is one function, not a closure per class)
  let id = -1;
  let s = 0;
  let noScratch = false;
  const ok = (rg: number): boolean => {
    if (rg < 0 || allowed[rg] === 0 || (noScratch && isSaved[rg] === 0)) return false;
    const list = live[rg]!;
    let k = 0;
    const d = pool.data;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (d[rangeHi[c]! - 1]! <= s) continue; // over: drop it from the list
      while (d[cursor[c]! + 1]! <= s) cursor[c]! += 2;
      list[k++] = c;
    }
    list.length = k;
    for (let i = 0; i < k; i++) if (intersects(list[i]!, id)) return false;
    return true;
  };
  for (const next of order) {
    id = next;
    cursor[id] = rangeLo[id]!;
    s = pool.data[rangeLo[id]!]!;
    noScratch = crossesCall(id);
    let chosen = -1;
    const fh = classHint[id]!;
    if (ok(fh)) chosen = fh;
    if (chosen < 0) {
      // where a related value (a phi operand that could not share its interval) is
      const q = partnerOf[id]!;
      if (q >= 0) {
        const qr = reg[find(q)]!;
        if (ok(qr)) chosen = qr;
        else if (ok(classHint[find(q)]!)) chosen = classHint[find(q)]!;
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
    if (chosen < 0) throw new OptUnsupported(`register pressure: no register for the value of slot ${insts[id]!.pc}`);
    reg[id] = chosen;
    live[chosen]!.push(id);
    history[chosen]!.push(id);
    if (isSaved[chosen]) usedSaved.add(chosen);
  }
  // every value takes its class's register
  for (let k = 0; k < values.length; k++) {
    const id = values.data[k]!;
    reg[id] = reg[find(id)]!;
  }
  const busy = (rg: number, at: number): boolean => {
    const d = pool.data;
    for (const c of history[rg]!) {
      for (let i = rangeLo[c]!; i < rangeHi[c]!; i += 2) if (d[i]! <= at && at < d[i + 1]!) return true;
    }
    return false;
  };
  const ranges = (id: number): readonly number[] => (rangeLo[id]! < 0 ? [] : Array.from(pool.data.subarray(rangeLo[id]!, rangeHi[id]!)));
  return { reg, savedUsed: [...usedSaved].sort((x, y) => x - y), pos, blockFrom, busy, ranges };
}
