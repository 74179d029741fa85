import { HELPER_PROTOS, writesArg, type HelperProto } from '../helper-protos.js';
import type { BpfInsn } from '../instruction.js';
import { lddwValue } from '../instruction.js';
import { callTarget, insnKind, jumpTarget, type InsnKind } from '../insn-kind.js';
import { BPF_REG_FP, BpfAluOp, BpfPseudo } from '../opcodes.js';
import type { ProgramInfo } from '../validate.js';
import { validateProgram } from '../validate.js';

/**
 * Pointer provenance: which loads and stores go through the context pointer, found by a small
 * abstract interpretation over every function (the facts the kernel's verifier has when it
 * runs convert_ctx_accesses). A register holds one of:
 *
 *   scalar (maybe a known constant) | ctx + k | ctx + ? | fp + k (own frame) | fp + ? |
 *   a map (LDDW src 1) | a function (LDDW src 4) | a pointer into a caller's stack | unknown
 *
 * R1 is ctx + 0 at the entry. Copies, constant adds/subs and 8-byte spills to fixed R10 slots
 * (and their fills) keep a value; any other arithmetic makes it "+ ?". The analysis is sound:
 * an access through something that may or may not be the context, or through the context at
 * an unknown offset, is a problem naming its pc, never a silent guess; so is storing the
 * context pointer anywhere but a fixed stack slot of its own frame. Anything that may write a
 * frame's stack without the analysis knowing where (a helper writing through a stack pointer
 * of unknown size, a callee given a stack pointer, a store through a pointer after a stack
 * pointer escaped to memory) turns that frame's spilled pointers into "unknown".
 *
 * The result is a per-pc fact table (ProgramFacts); the verifier may later supply the same
 * facts from its own analysis.
 */

export interface CtxAccessFact {
  /** the context offset the base register holds (ctx + k) */
  readonly base: number;
  /** the uapi offset accessed: base + insn.off */
  readonly offset: number;
}

export interface ProvenanceProblem {
  readonly pc: number;
  readonly reason: string;
}

export interface ProgramFacts {
  /** loads/stores/atomics whose base register is the context, by pc */
  readonly ctxAccesses: ReadonlyMap<number, CtxAccessFact>;
  /** helper calls whose R1 is the same map on every path: pc -> map index (LDDW src 1 imm) */
  readonly mapAtCall: ReadonlyMap<number, number>;
  /** LD_ABS / LD_IND pcs where R6 is the context */
  readonly ldAbsWithCtx: ReadonlySet<number>;
  /** accesses or stores the analysis could not classify (fatal for types whose accesses are rewritten) */
  readonly problems: readonly ProvenanceProblem[];
}

export interface ProvenanceOptions {
  /** whether R1 at the entry is a context pointer (false for plain buffers) */
  readonly context: boolean;
  /** the program's layout from validation; computed when absent */
  readonly info?: ProgramInfo;
  /** prototypes by helper id (default: HELPER_PROTOS) */
  readonly protos?: ReadonlyMap<number, HelperProto>;
}

type Val =
  | { readonly k: 'scalar'; readonly c?: bigint }
  | { readonly k: 'ctx'; readonly off: number }
  | { readonly k: 'ctxvar' }
  | { readonly k: 'fp'; readonly off: number }
  | { readonly k: 'fpvar' }
  | { readonly k: 'map'; readonly idx: number }
  | { readonly k: 'func'; readonly pc: number }
  /** a pointer into some caller's stack; `mayCtx`: that stack may hold the context pointer */
  | { readonly k: 'foreign'; readonly mayCtx: boolean }
  | { readonly k: 'top' };

const SCALAR: Val = { k: 'scalar' };
const TOP: Val = { k: 'top' };
const CTXVAR: Val = { k: 'ctxvar' };
const FPVAR: Val = { k: 'fpvar' };

const ctxish = (v: Val): boolean => v.k === 'ctx' || v.k === 'ctxvar' || v.k === 'top';
const fpish = (v: Val): boolean => v.k === 'fp' || v.k === 'fpvar';
/** may point into this frame's stack without the analysis knowing where */
const maybeOwnStack = (v: Val, s: State): boolean => v.k === 'fpvar' || v.k === 'top' || (s.fpEscaped && (v.k === 'scalar' || v.k === 'foreign'));

function same(a: Val, b: Val): boolean {
  switch (a.k) {
    case 'scalar':
      return b.k === 'scalar' && a.c === b.c;
    case 'ctx':
    case 'fp':
      return b.k === a.k && (b as { off: number }).off === a.off;
    case 'map':
      return b.k === 'map' && b.idx === a.idx;
    case 'func':
      return b.k === 'func' && b.pc === a.pc;
    case 'foreign':
      return b.k === 'foreign' && b.mayCtx === a.mayCtx;
    default:
      return a.k === b.k;
  }
}

function join(a: Val, b: Val): Val {
  if (same(a, b)) return a;
  if (a.k === 'top' || b.k === 'top') return TOP;
  const ca = ctxish(a);
  const cb = ctxish(b);
  if (ca && cb) return CTXVAR;
  if (ca || cb) return TOP;
  if (fpish(a) || fpish(b)) return fpish(a) && fpish(b) ? FPVAR : a.k === 'foreign' || b.k === 'foreign' ? TOP : FPVAR;
  if (a.k === 'foreign' || b.k === 'foreign') {
    if (a.k === 'foreign' && b.k === 'foreign') return { k: 'foreign', mayCtx: a.mayCtx || b.mayCtx };
    return { k: 'foreign', mayCtx: (a.k === 'foreign' && a.mayCtx) || (b.k === 'foreign' && b.mayCtx) };
  }
  return SCALAR;
}

interface State {
  readonly regs: Val[];
  /** 8-byte spill slots of this frame by R10 offset (absent = scalar) */
  readonly slots: Map<number, Val>;
  fpEscaped: boolean;
}

const cloneState = (s: State): State => ({ regs: s.regs.slice(), slots: new Map(s.slots), fpEscaped: s.fpEscaped });

function joinState(a: State, b: State): { state: State; changed: boolean } {
  let changed = false;
  const regs = a.regs.map((v, i) => {
    const j = join(v, b.regs[i]!);
    if (!same(j, v)) changed = true;
    return j;
  });
  const slots = new Map(a.slots);
  for (const key of new Set([...a.slots.keys(), ...b.slots.keys()])) {
    const va = a.slots.get(key) ?? SCALAR;
    const j = join(va, b.slots.get(key) ?? SCALAR);
    if (!same(j, va)) changed = true;
    if (j.k === 'scalar' && j.c === undefined) slots.delete(key);
    else slots.set(key, j);
  }
  const fpEscaped = a.fpEscaped || b.fpEscaped;
  if (fpEscaped !== a.fpEscaped) changed = true;
  return { state: { regs, slots, fpEscaped }, changed };
}

const hasCtxSlots = (s: State): boolean => [...s.slots.values()].some(ctxish);
/** What a load from an unknown slot of this frame may give. */
const unknownSlot = (s: State): Val => {
  const vals = [...s.slots.values()];
  return vals.some(ctxish) ? TOP : vals.some(fpish) ? FPVAR : SCALAR;
};
/** Everything this frame spilled that matters becomes unknown (its stack was written blindly). */
function clobberSlots(s: State): void {
  for (const [off, v] of s.slots) if (v.k !== 'scalar') s.slots.set(off, TOP);
}
function clobberRange(s: State, from: number, to: number): void {
  for (const off of [...s.slots.keys()]) if (off + 8 > from && off < to) s.slots.delete(off);
}

/** Analyze a program. Never throws for what it cannot classify: see `problems`. */
export function analyzeProvenance(program: readonly BpfInsn[], options: ProvenanceOptions): ProgramFacts {
  const info = options.info ?? validateProgram(program);
  const protos = options.protos ?? HELPER_PROTOS;
  const kinds: (InsnKind | undefined)[] = program.map((i) => insnKind(i));
  const funcAt = new Map(info.functions.map((f) => [f.start, f]));
  const entryStates = new Map<number, State>();
  const exitR0 = new Map<number, Val>();
  const callbacks = info.functions.filter((f) => f.isCallback).map((f) => f.start);

  const initial: State = { regs: new Array<Val>(11).fill(SCALAR), slots: new Map(), fpEscaped: false };
  initial.regs[1] = options.context ? { k: 'ctx', off: 0 } : SCALAR;
  initial.regs[BPF_REG_FP] = { k: 'fp', off: 0 };
  entryStates.set(0, initial);

  const ctxAccesses = new Map<number, CtxAccessFact>();
  const mapAtCall = new Map<number, number | null>();
  const ldAbs = new Set<number>();
  const problems = new Map<number, string>();

  /** A callee's view of an argument value. */
  const asCallee = (v: Val, caller: State): Val => {
    // Only tracked slots can hold the context (storing it anywhere else is refused), so the
    // callee may load it through this pointer only if one of them does.
    if (fpish(v)) return { k: 'foreign', mayCtx: hasCtxSlots(caller) };
    if (v.k === 'foreign') return v;
    return v;
  };
  /** functions whose entry state or callees' summaries changed since they were analyzed */
  const dirty = new Set<number>([0]);
  const enterFunction = (start: number, regs: readonly Val[], caller: State): void => {
    const s: State = { regs: new Array<Val>(11).fill(SCALAR), slots: new Map(), fpEscaped: false };
    for (let r = 1; r <= 5; r++) s.regs[r] = asCallee(regs[r]!, caller);
    s.regs[BPF_REG_FP] = { k: 'fp', off: 0 };
    const old = entryStates.get(start);
    if (!old) {
      entryStates.set(start, s);
      dirty.add(start);
      return;
    }
    const j = joinState(old, s);
    if (j.changed) {
      entryStates.set(start, j.state);
      dirty.add(start);
    }
  };

  const analyzeFunction = (start: number, end: number): void => {
    const entry = entryStates.get(start);
    if (!entry) return;
    // This function's facts are made again from its new states.
    for (const m of [ctxAccesses, mapAtCall, problems] as Map<number, unknown>[]) for (const pc of [...m.keys()]) if (pc >= start && pc < end) m.delete(pc);
    for (const pc of [...ldAbs]) if (pc >= start && pc < end) ldAbs.delete(pc);
    const states = new Map<number, State>([[start, cloneState(entry)]]);
    // Forward data flow in pc order: the lowest pending pc first, so a join point sees all
    // its forward predecessors before it runs, and loops iterate only their own bodies.
    const pending = new Uint8Array(end - start);
    pending[0] = 1;
    let cursor = start;
    let r0: Val | undefined;
    const flow = (pc: number, s: State): void => {
      if (pc < start || pc >= end) return;
      const old = states.get(pc);
      if (old) {
        const j = joinState(old, s);
        if (!j.changed) return;
        states.set(pc, j.state);
      } else {
        states.set(pc, s);
      }
      pending[pc - start] = 1;
      if (pc < cursor) cursor = pc;
    };
    while (cursor < end) {
      if (pending[cursor - start] === 0) {
        cursor++;
        continue;
      }
      const pc = cursor;
      pending[pc - start] = 0;
      const s = cloneState(states.get(pc)!);
      const insn = program[pc]!;
      const k = kinds[pc];
      if (!k) continue;
      const next = transfer(pc, insn, k, s);
      if (next === 'exit') {
        r0 = r0 === undefined ? s.regs[0]! : join(r0, s.regs[0]!);
        continue;
      }
      if (k.kind === 'ja') {
        flow(pc + 1 + k.offset, s);
        continue;
      }
      if (k.kind === 'jcond') flow(jumpTarget(insn, pc), cloneState(s));
      flow(pc + (k.kind === 'lddw' ? 2 : 1), s);
    }
    if (r0 !== undefined) {
      const old = exitR0.get(start);
      const nr = old === undefined ? r0 : join(old, r0);
      if (old === undefined || !same(old, nr)) {
        exitR0.set(start, nr);
        // its callers see a new R0 after their calls (rare: re-analyze every function)
        for (const f of info.functions) if (entryStates.has(f.start)) dirty.add(f.start);
      }
    }
  };

  const problem = (pc: number, reason: string): void => {
    if (!problems.has(pc)) problems.set(pc, reason);
  };

  /** A memory access through `base` at pc. Returns the loaded value for loads. */
  const access = (pc: number, insn: BpfInsn, s: State, baseReg: number, size: number, mode: 'load' | 'store' | 'atomic', stored?: Val): Val => {
    const base = s.regs[baseReg]!;
    const name = `r${baseReg}`;
    if (base.k === 'ctx') {
      if (mode === 'atomic') problem(pc, `BPF_ATOMIC stores into ${name} ctx are not allowed`);
      else if ((insn.code & 0x07) === 0x02) problem(pc, `BPF_ST stores into ${name} ctx are not allowed`);
      else ctxAccesses.set(pc, { base: base.off, offset: base.off + insn.off });
      if (stored !== undefined && ctxish(stored)) problem(pc, 'the context pointer is stored into the context');
      return SCALAR;
    }
    if (base.k === 'ctxvar') {
      problem(pc, `variable offset access through the context pointer ${name} (only fixed offsets can be converted)`);
      return SCALAR;
    }
    if (base.k === 'top') {
      problem(pc, `cannot tell whether ${name} points to the context on every path to this access`);
      return TOP;
    }
    if (base.k === 'fp') {
      const off = base.off + insn.off;
      const aligned = off % 8 === 0 && size === 8;
      if (mode === 'load') {
        const v = s.slots.get(aligned ? off : off - (((off % 8) + 8) % 8));
        if (aligned) return v ?? SCALAR;
        if (v === undefined || v.k === 'scalar') return SCALAR;
        return ctxish(v) ? CTXVAR : FPVAR;
      }
      const slot = off - (((off % 8) + 8) % 8);
      if (mode === 'store' && aligned && stored !== undefined) {
        if (stored.k === 'scalar' && stored.c === undefined) s.slots.delete(off);
        else s.slots.set(off, stored);
        return SCALAR;
      }
      if (stored !== undefined && ctxish(stored)) problem(pc, 'only 8-byte spills of the context pointer to fixed stack slots can be followed');
      const old = s.slots.get(slot);
      if (old !== undefined && old.k !== 'scalar') s.slots.set(slot, ctxish(old) ? CTXVAR : FPVAR);
      else s.slots.delete(slot);
      if (size > 8 - (off - slot)) clobberRange(s, slot + 8, off + size);
      return SCALAR;
    }
    // Some other memory (map value, packet, global data, a caller's stack, a laundered pointer).
    if (stored !== undefined && ctxish(stored)) problem(pc, 'the context pointer is stored where the analysis cannot follow it (only fixed stack slots are tracked)');
    if (stored !== undefined && fpish(stored)) s.fpEscaped = true;
    if (mode !== 'load' && maybeOwnStack(base, s)) clobberSlots(s);
    if (mode === 'load') {
      if (base.k === 'foreign' && base.mayCtx) return TOP;
      if (maybeOwnStack(base, s)) return unknownSlot(s);
    }
    return SCALAR;
  };

  const alu = (k: Extract<InsnKind, { kind: 'alu' }>, insn: BpfInsn, s: State): void => {
    const dst = s.regs[insn.dst]!;
    const src: Val = k.source === 'reg' ? s.regs[insn.src]! : { k: 'scalar', c: BigInt(insn.imm) };
    const op = k.op;
    if (op === BpfAluOp.MOV && k.movsx === 0) {
      if (k.width === 64) s.regs[insn.dst] = src;
      else s.regs[insn.dst] = ctxish(src) ? CTXVAR : fpish(src) ? FPVAR : src.k === 'scalar' && src.c !== undefined ? { k: 'scalar', c: BigInt.asUintN(32, src.c) } : src.k === 'foreign' ? src : SCALAR;
      return;
    }
    const c = src.k === 'scalar' ? src.c : undefined;
    if (k.width === 64 && (op === BpfAluOp.ADD || op === BpfAluOp.SUB) && c !== undefined && (dst.k === 'ctx' || dst.k === 'fp')) {
      const delta = Number(BigInt.asIntN(64, op === BpfAluOp.ADD ? c : -c));
      s.regs[insn.dst] = Number.isSafeInteger(dst.off + delta) && Math.abs(dst.off + delta) < 1 << 30 ? { k: dst.k, off: dst.off + delta } : dst.k === 'ctx' ? CTXVAR : FPVAR;
      return;
    }
    if (dst.k === 'scalar' && src.k === 'scalar') {
      s.regs[insn.dst] = dst.c !== undefined && c !== undefined && op === BpfAluOp.ADD && k.width === 64 ? { k: 'scalar', c: BigInt.asUintN(64, dst.c + c) } : SCALAR;
      return;
    }
    const anyCtx = ctxish(dst) || ctxish(src);
    const anyFp = fpish(dst) || fpish(src) || dst.k === 'foreign' || src.k === 'foreign';
    s.regs[insn.dst] = anyCtx && anyFp ? TOP : anyCtx ? (dst.k === 'top' || src.k === 'top' ? TOP : CTXVAR) : anyFp ? (dst.k === 'foreign' ? dst : src.k === 'foreign' ? src : FPVAR) : SCALAR;
  };

  const helperCall = (pc: number, id: number, s: State): void => {
    const proto = protos.get(id);
    const r1 = s.regs[1]!;
    const prev = mapAtCall.get(pc);
    if (r1.k === 'map' && (prev === undefined || prev === r1.idx)) mapAtCall.set(pc, r1.idx);
    else mapAtCall.set(pc, null);
    const args = s.regs.slice(1, 6);
    const sizeOfArg = (n: number): number | undefined => {
      const v = args[n - 1];
      return v?.k === 'scalar' && v.c !== undefined && v.c <= 0xffff_ffffn ? Number(v.c) : undefined;
    };
    args.forEach((v, i) => {
      const a = proto?.args[i];
      if (a?.kind === 'ARG_PTR_TO_FUNC') {
        const target = v.k === 'func' ? [v.pc] : callbacks;
        // The callback gets (scalar..., the argument it names) as its R1..R5.
        const regs: Val[] = new Array<Val>(11).fill(SCALAR);
        a.callback?.args.forEach((ca, j) => {
          regs[j + 1] = ca.kind === 'arg' ? (args[ca.fromArg - 1] ?? SCALAR) : SCALAR;
        });
        for (const t of target) enterFunction(t, regs, s);
        return;
      }
      if (!fpish(v) && !maybeOwnStack(v, s)) return;
      if (a === undefined || proto === undefined) {
        // Unknown helper: it may write any stack memory it is given.
        clobberSlots(s);
        return;
      }
      if (!writesArg(a) && a.kind !== 'ARG_PTR_TO_STACK') return;
      const size = a.sizeArg !== undefined ? sizeOfArg(a.sizeArg) : undefined;
      if (v.k === 'fp' && size !== undefined) clobberRange(s, v.off, v.off + size);
      else clobberSlots(s);
    });
    if (proto?.args.some((a) => a.kind === 'ARG_PTR_TO_FUNC') && args.some(fpish)) {
      s.fpEscaped = true;
      clobberSlots(s);
    }
    for (let r = 1; r <= 5; r++) s.regs[r] = SCALAR;
    s.regs[0] = SCALAR;
  };

  const localCall = (target: number, s: State): void => {
    enterFunction(target, s.regs, s);
    if (s.regs.slice(1, 6).some(fpish)) {
      s.fpEscaped = true;
      clobberSlots(s);
    } else if (s.fpEscaped) {
      clobberSlots(s);
    }
    const ret = exitR0.get(target) ?? SCALAR;
    s.regs[0] = ret.k === 'foreign' ? FPVAR : fpish(ret) ? SCALAR : ret;
    for (let r = 1; r <= 5; r++) s.regs[r] = SCALAR;
  };

  const transfer = (pc: number, insn: BpfInsn, k: InsnKind, s: State): 'exit' | 'next' => {
    switch (k.kind) {
      case 'alu':
        alu(k, insn, s);
        break;
      case 'neg':
      case 'end': {
        const v = s.regs[insn.dst]!;
        s.regs[insn.dst] = ctxish(v) ? CTXVAR : fpish(v) ? FPVAR : v.k === 'foreign' ? v : SCALAR;
        break;
      }
      case 'lddw': {
        const next = program[pc + 1]!;
        s.regs[insn.dst] =
          k.pseudo === BpfPseudo.IMM64 ? { k: 'scalar', c: lddwValue(insn, next) } :
          k.pseudo === BpfPseudo.MAP_FD ? { k: 'map', idx: insn.imm } :
          k.pseudo === BpfPseudo.FUNC ? { k: 'func', pc: callTarget(insn, pc) } : SCALAR;
        break;
      }
      case 'load':
        if (!k.stackArg) s.regs[insn.dst] = access(pc, insn, s, insn.src, k.size, 'load');
        else s.regs[insn.dst] = SCALAR;
        break;
      case 'load-acquire':
        s.regs[insn.dst] = access(pc, insn, s, insn.src, k.size, 'atomic');
        break;
      case 'store':
        if (!k.stackArg) access(pc, insn, s, insn.dst, k.size, 'store', k.source === 'reg' ? s.regs[insn.src]! : SCALAR);
        else if (k.source === 'reg' && fpish(s.regs[insn.src]!)) s.fpEscaped = true;
        break;
      case 'store-release':
        access(pc, insn, s, insn.dst, k.size, 'atomic', s.regs[insn.src]!);
        break;
      case 'atomic': {
        access(pc, insn, s, insn.dst, k.size, 'atomic', s.regs[insn.src]!);
        if (k.fetch) s.regs[k.op === 0xf0 ? 0 : insn.src] = SCALAR;
        break;
      }
      case 'ld-legacy':
        if (s.regs[6]!.k !== 'ctx' || (s.regs[6] as { off: number }).off !== 0) problem(pc, 'at the time of BPF_LD_ABS|IND R6=ctx is expected');
        else ldAbs.add(pc);
        for (let r = 0; r <= 5; r++) s.regs[r] = SCALAR;
        break;
      case 'call-helper':
        helperCall(pc, k.id, s);
        break;
      case 'call-native':
        if (s.regs.slice(1, 6).some(fpish)) s.fpEscaped = true;
        if (s.fpEscaped) clobberSlots(s);
        for (let r = 0; r <= 5; r++) s.regs[r] = SCALAR;
        break;
      case 'call-local':
        localCall(pc + 1 + k.offset, s);
        break;
      case 'callx': {
        const t = s.regs[k.reg]!;
        if (t.k === 'scalar' && t.c !== undefined && t.c < 0x8000_0000n) {
          helperCall(pc, Number(t.c), s);
          break;
        }
        // A function address (or, when unknown, any callback of the program).
        const targets = (t.k === 'func' ? [t.pc] : callbacks).filter((x) => funcAt.has(x));
        let ret: Val | undefined;
        for (const target of targets) {
          const copy = cloneState(s);
          localCall(target, copy);
          ret = ret === undefined ? copy.regs[0]! : join(ret, copy.regs[0]!);
          s.fpEscaped ||= copy.fpEscaped;
          for (const [off, v] of copy.slots) if (!same(v, s.slots.get(off) ?? SCALAR)) s.slots.set(off, join(v, s.slots.get(off) ?? SCALAR));
        }
        for (let r = 1; r <= 5; r++) s.regs[r] = SCALAR;
        s.regs[0] = ret ?? SCALAR;
        break;
      }
      case 'exit':
        return 'exit';
      case 'ja':
      case 'jcond':
        break;
    }
    return 'next';
  };

  // Interprocedural fixpoint: functions are re-analyzed until entry states and return
  // values stop changing (finite lattice: offsets that disagree become "+ ?").
  for (let rounds = 0; dirty.size > 0; rounds++) {
    if (rounds > 100_000) throw new Error('provenance analysis did not converge');
    const start = Math.min(...dirty);
    dirty.delete(start);
    const f = funcAt.get(start);
    if (f) analyzeFunction(f.start, f.end);
  }

  const maps = new Map<number, number>();
  for (const [pc, m] of mapAtCall) if (m !== null) maps.set(pc, m);
  return {
    ctxAccesses,
    mapAtCall: maps,
    ldAbsWithCtx: ldAbs,
    problems: [...problems].sort((a, b) => a[0] - b[0]).map(([pc, reason]) => ({ pc, reason })),
  };
}

/**
 * The maps of helper calls found locally (no context to track): the call's R1 is the map of
 * an LDDW src 1 in the same basic block with no other write of R1 in between. Sound (no jump
 * lands between them) and cheap; a map reaching the call some other way is simply not known
 * (the helper is then called, not inlined).
 */
export function localMapAtCall(program: readonly BpfInsn[], info: ProgramInfo): Map<number, number> {
  const targets = new Set<number>(info.functions.map((f) => f.start));
  program.forEach((insn, pc) => {
    const k = info.lddwTails.has(pc) ? undefined : insnKind(insn);
    if (k?.kind === 'ja' || k?.kind === 'jcond') targets.add(jumpTarget(insn, pc));
  });
  const out = new Map<number, number>();
  let map: number | undefined;
  for (let pc = 0; pc < program.length; pc++) {
    if (targets.has(pc)) map = undefined;
    if (info.lddwTails.has(pc)) continue;
    const insn = program[pc]!;
    const k = insnKind(insn);
    if (k?.kind === 'call-helper') {
      if (map !== undefined) out.set(pc, map);
      map = undefined;
      continue;
    }
    if (k?.kind === 'lddw' && insn.dst === 1) map = k.pseudo === BpfPseudo.MAP_FD ? insn.imm : undefined;
    else if (writesRegister(insn, k, 1)) map = undefined;
    if (k?.kind === 'ja' || k?.kind === 'exit' || k?.kind === 'call-local' || k?.kind === 'callx' || k?.kind === 'call-native') map = undefined;
  }
  return out;
}

function writesRegister(insn: BpfInsn, k: InsnKind | undefined, reg: number): boolean {
  if (k === undefined) return true;
  switch (k.kind) {
    case 'alu':
    case 'neg':
    case 'end':
    case 'load':
    case 'load-acquire':
    case 'lddw':
      return insn.dst === reg;
    case 'atomic':
      return k.fetch && (k.op === 0xf0 ? reg === 0 : insn.src === reg);
    case 'ld-legacy':
      return reg <= 5;
    default:
      return false;
  }
}
