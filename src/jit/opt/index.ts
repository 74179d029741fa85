/**
 * The optimization tier (src/jit/opt): validated BPF -> SSA -> passes -> register allocation
 * -> AArch64, for the JIT's compileProgram when optimization is on (the default). See
 * DESIGN.md beside this file. May import src/arm64, src/bpf and the JIT's emit helpers
 * (../emit-*.ts), which it shares with the 1:1 path; nothing imports it but ../compiler.ts.
 *
 * Anything it does not handle (legacy packet loads, stack arguments across blocks, register
 * pressure it cannot meet, branches out of reach) throws OptUnsupported, and compileProgram
 * falls back to the 1:1 path for that program: optimized or not, the code is correct.
 */
import { A64BranchRangeError, Assembler, type Label } from '../../arm64/index.js';
import { insnKind, type BpfInsn, type FunctionInfo, type InsnKind, type ProgramInfo } from '../../bpf/index.js';
import type { CompileOptions, CompiledProgram } from '../compiler.js';
import { OptUnsupported, buildFunction } from './build.js';
import { emitFunction, type OptFrame, type ProgramEmitter } from './emit.js';
import { Op, countUses, type Func } from './ir.js';
import { layoutBlocks, splitCriticalEdges } from './layout.js';
import { PASSES, PassSet, addCount, type PassContext, type PassCounts, type PassName } from './passes.js';
import { allocate, type Allocation, type RegisterSet } from './regalloc.js';

export { OptUnsupported } from './build.js';
export { PASSES, PASS_NAMES, type PassName, type PassCounts } from './passes.js';

export interface OptimizeOptions {
  /** passes to switch off (for bisecting; `-O0` turns the whole tier off instead) */
  readonly disable?: readonly PassName[];
  /** the program was verified: loads cannot fault, so unused ones may be removed */
  readonly verified?: boolean;
  /** every memory access must stay as written (sandbox checks count on it): no load merging */
  readonly exactMemory?: boolean;
  /** AArch64 registers other features reserve (budget counter, tail-call counter, ...) */
  readonly reserved?: readonly number[];
  /** the program was constant-blinded (AX values are never folded back into constants) */
  readonly blinded?: boolean;
}

/** Caller-saved registers values may use, most preferred first (x10-x12, x16-x18 never). */
const SCRATCH = [9, 13, 14, 15, 6, 7, 5, 4, 3, 2, 1, 0, 8];
/** Callee-saved registers, in order; x29/x30 are the frame record. */
const SAVED = [19, 20, 21, 22, 23, 24, 25, 26, 27, 28];

const ARG_MASK = 0b111110;

/**
 * The compile options this tier implements. Any other option that is set (a feature added to
 * the 1:1 path later: instruction budgets, sandbox checks, ...) makes the program compile 1:1
 * until the tier learns it, so a new feature is never silently dropped by optimization.
 */
// contain: the entry gets the fault landing (emit.ts). budget and sandbox are not implemented:
// such programs compile 1:1 (unsupportedOption), with every check.
const HANDLED_OPTIONS: ReadonlySet<string> = new Set(['contextAddress', 'helperIds', 'natives', 'resolvePseudo', 'atomics', 'info', 'optimize', 'contain']);

/**
 * Beyond this many slots a program compiles 1:1: the tier has no branch relaxation (below it
 * the code is very unlikely to pass B.cond's 1 MiB reach; a range error still falls back), and
 * the 1:1 path compiles such programs several times faster.
 */
export const MAX_OPTIMIZED_SLOTS = 16_384;

/** Why the tier cannot compile a program with these options (undefined: it can). */
export function unsupportedOption(options: CompileOptions): string | undefined {
  // tail calls need every function's frame in one fixed shape (frame.ts TAIL_CALL_PAIRS), so
  // that another program's entry can take it over: those programs compile 1:1
  if (options.tailCalls === true) return 'programs compiled for tail calls keep the fixed frame';
  for (const [k, v] of Object.entries(options)) {
    if (k === 'tailCalls' || HANDLED_OPTIONS.has(k) || v === undefined || v === false) continue;
    return `compile option '${k}' is not implemented by the optimization tier`;
  }
  return undefined;
}

export function compileOptimized(program: readonly BpfInsn[], info: ProgramInfo, options: CompileOptions, opt: OptimizeOptions = {}): CompiledProgram {
  const why = unsupportedOption(options);
  if (why !== undefined) throw new OptUnsupported(why);
  if (program.length > MAX_OPTIMIZED_SLOTS) throw new OptUnsupported(`programs over ${MAX_OPTIMIZED_SLOTS} slots compile 1:1 (${program.length} slots)`);
  const passes = new PassSet(opt.disable);
  const counts: PassCounts = {};
  const kinds: (InsnKind | undefined)[] = new Array(program.length);
  let holdsContext = false;
  for (let pc = 0; pc < program.length; pc++) {
    const k = insnKind(program[pc]!);
    if (k === undefined) throw new OptUnsupported(`unknown opcode at ${pc}`);
    kinds[pc] = k;
    if (k.kind === 'call-helper' || k.kind === 'callx' || options.contain === true) holdsContext = true;
    // the second slot of an LDDW has no kind (found here, not from info.lddwTails, which a
    // rewritten program may not keep exact)
    if (k.kind === 'lddw') pc++;
  }
  const reserved = new Set(opt.reserved ?? []);
  if (holdsContext) {
    reserved.add(27);
    reserved.add(28);
  }
  const regs: RegisterSet = { scratch: SCRATCH.filter((r) => !reserved.has(r)), saved: SAVED.filter((r) => !reserved.has(r)) };
  const ctx: PassContext = { redundantLoads: new Set(), verified: opt.verified ?? false, exactMemory: opt.exactMemory ?? false, blinded: opt.blinded ?? false };

  // --- build every function, callees first, so a call knows which of R1-R5 its callee reads --
  const liveIn = new Map<number, number>();
  const build = (fi: FunctionInfo, set: PassSet, slots = Infinity): Func =>
    buildFunction(fi, {
      program,
      kinds,
      calleeLiveIn: (start) => liveIn.get(start) ?? ARG_MASK,
      indirectLiveIn: ARG_MASK,
      helperIds: options.helperIds,
      natives: options.natives,
      resolvePseudo: options.resolvePseudo,
      copyPropagation: set.on('copy-propagation'),
      promoteSlots: set.on('stack-slots') ? slots : 0,
    });
  const built = new Map<number, Func>();
  for (const fi of calleesFirst(info)) {
    const fn = build(fi, passes);
    countUses(fn);
    let mask = 0;
    for (const x of fn.entry.insts) if (x.op === Op.Param && x.imm <= 5 && x.uses > 0) mask |= 1 << x.imm;
    liveIn.set(fi.start, mask);
    built.set(fi.index, fn);
  }

  // --- passes, layout, allocation --------------------------------------------------------------
  // When allocation finds no register (pressure the passes raised: stack slots that became
  // values, hoisted constants), the function is built and optimized again with less: without
  // constant hoisting, then with fewer and fewer promoted stack slots (those used least in
  // loops stay in memory); beyond that the program compiles 1:1.
  const fallbacks: { off: PassName[]; slots: number }[] = [{ off: [], slots: Infinity }, { off: ['const-hoist'], slots: Infinity }];
  for (const k of [12, 8, 4, 0]) fallbacks.push({ off: ['const-hoist'], slots: k });
  const allocated = new Map<number, { fn: Func; layout: ReturnType<typeof layoutBlocks>; alloc: Allocation; counts: PassCounts }>();
  for (const fi of info.functions) {
    let done = false;
    for (let attempt = 0; attempt < fallbacks.length && !done; attempt++) {
      const fb = fallbacks[attempt]!;
      const set = attempt === 0 ? passes : new PassSet([...(opt.disable ?? []), ...fb.off]);
      const fn = attempt === 0 ? built.get(fi.index)! : build(fi, set, fb.slots);
      const fnCounts: PassCounts = {};
      for (const p of PASSES) {
        if (p.kind !== 'ir' || p.run === undefined || !set.on(p.name)) continue;
        addCount(fnCounts, p.name, p.run(fn, ctx));
      }
      countUses(fn);
      splitCriticalEdges(fn);
      const layout = layoutBlocks(fn);
      try {
        const alloc = allocate(fn, layout, regs, fi.index === 0);
        allocated.set(fi.index, { fn, layout, alloc, counts: fnCounts });
        built.set(fi.index, fn);
        done = true;
      } catch (e) {
        if (!(e instanceof OptUnsupported) || attempt === fallbacks.length - 1) throw e;
      }
    }
  }
  for (const { counts: c } of allocated.values()) for (const [k, v] of Object.entries(c)) addCount(counts, k as PassName, v);
  countBuildPasses(built, counts);

  // --- frames ----------------------------------------------------------------------------------
  const frames = new Map<number, OptFrame>();
  const allSaved = new Set<number>();
  for (const { alloc } of allocated.values()) for (const r of alloc.savedUsed) allSaved.add(r);
  for (const fi of info.functions) {
    const { fn, alloc } = allocated.get(fi.index)!;
    const isEntry = fi.index === 0;
    const entryContext = isEntry && holdsContext;
    let saved = [...alloc.savedUsed];
    // a helper's exit request unwinds through the entry's epilogue alone, skipping the
    // subprograms' epilogues: then the entry saves every callee-saved register anyone uses
    if (entryContext) saved = [...new Set([...allSaved, 27, 28])].sort((x, y) => x - y);
    const calls = fn.blocks.some((b) => b.insts.some((x) => x.op === Op.Call));
    const stackArgsIn = fn.entry.insts.some((x) => x.op === Op.Param && x.imm > 8);
    const beyondRegs = fi.stackArgsOut - 3;
    const outgoingArgs = beyondRegs > 0 ? Math.ceil((beyondRegs * 8) / 16) * 16 : 0;
    const bpfStack = usesFrame(fn) ? fn.frameBytes : 0;
    const record = !passes.on('leaf-frame') || calls || saved.length > 0 || bpfStack > 0 || outgoingArgs > 0 || stackArgsIn || entryContext;
    frames.set(fi.index, { isEntry, holdsContext: entryContext, saved, record, bpfStack, outgoingArgs });
    if (!record) addCount(counts, 'leaf-frame', 1);
  }

  // --- emission --------------------------------------------------------------------------------
  // TBZ/TBNZ reach only 32 KiB: when one is out of reach, the program is emitted again without
  // them (B.cond reaches 1 MiB; the tier has no branch relaxation, so beyond that it is 1:1)
  let emitted: ReturnType<typeof emitProgram>;
  try {
    emitted = emitProgram(info, allocated, frames, options, passes.on('compare-branch'));
  } catch (e) {
    if (!(e instanceof A64BranchRangeError)) throw e;
    try {
      emitted = emitProgram(info, allocated, frames, options, false);
    } catch (e2) {
      if (e2 instanceof A64BranchRangeError) throw new OptUnsupported(`branch out of reach: ${e2.message}`);
      throw e2;
    }
  }
  const { code, origins, pe } = emitted;
  addCount(counts, 'compare-branch', pe.testBitBranches);

  // --- where each slot went ----------------------------------------------------------------------
  const pcOffsets = new Array<number>(program.length).fill(-1);
  for (let w = 0; w < origins.length; w++) {
    const o = origins[w]!;
    if (o >= 0 && pcOffsets[o] === -1) pcOffsets[o] = w * 4;
  }
  const slotNotes: (string | undefined)[] = new Array(program.length);
  info.functions.forEach((fi, i) => {
    let next = pe.epilogues[i]![0];
    const fn = built.get(fi.index)!;
    for (let pc = fi.end - 1; pc >= fi.start; pc--) {
      if (pcOffsets[pc] === -1) {
        pcOffsets[pc] = next;
        slotNotes[pc] = fn.fates.get(pc);
      } else next = pcOffsets[pc]!;
    }
  });
  return {
    code,
    origins,
    pcOffsets,
    functionOffsets: pe.functionOffsets,
    prologues: pe.prologues,
    epilogues: pe.epilogues,
    info,
    relaxedBranches: 0,
    slotNotes,
    optimizer: counts,
    containment: pe.containment,
    budget: undefined,
    sandbox: false,
  };
}

/** Every function's code, in ProgramInfo order; throws A64BranchRangeError when a branch is out of reach. */
function emitProgram(
  info: ProgramInfo,
  allocated: ReadonlyMap<number, { fn: Func; layout: ReturnType<typeof layoutBlocks>; alloc: Allocation }>,
  frames: ReadonlyMap<number, OptFrame>,
  options: CompileOptions,
  testBits: boolean,
): { code: Uint8Array; origins: Int32Array; pe: ProgramEmitter } {
  const a = new Assembler();
  let origins = new Int32Array(1024);
  let marked = 0;
  const functionLabels = new Map<number, Label>(info.functions.map((f) => [f.start, a.newLabel()]));
  const pe: ProgramEmitter = {
    a,
    atomics: options.atomics,
    contextAddress: options.contextAddress,
    natives: options.natives,
    helperIds: options.helperIds,
    functionLabel: (start) => {
      const l = functionLabels.get(start);
      if (l === undefined) throw new OptUnsupported(`slot ${start} starts no function`);
      return l;
    },
    callbackEntries: info.functions.filter((f) => f.isCallback).map((f) => functionLabels.get(f.start)!),
    exitAll: a.newLabel(),
    mark(pc: number) {
      const words = a.offset / 4;
      if (words > origins.length) {
        const bigger = new Int32Array(Math.max(words, origins.length * 2));
        bigger.set(origins);
        origins = bigger;
      }
      origins.fill(pc, marked, words);
      marked = words;
    },
    prologues: [],
    epilogues: [],
    contain: options.contain === true,
    functionOffsets: [],
    testBits,
    testBitBranches: 0,
  };
  for (const fi of info.functions) {
    const { fn, layout, alloc } = allocated.get(fi.index)!;
    emitFunction(pe, fn, layout, alloc, frames.get(fi.index)!);
  }
  const code = a.finish();
  return { code, origins: origins.slice(0, code.length / 4), pe };
}

/** copy-propagation and stack-slots fire in the builder: count them from the slot notes. */
function countBuildPasses(built: ReadonlyMap<number, Func>, counts: PassCounts): void {
  for (const fn of built.values()) {
    for (const why of fn.fates.values()) {
      if (why === 'copy propagated') addCount(counts, 'copy-propagation', 1);
      else if (why === 'stack slot in a register') addCount(counts, 'stack-slots', 1);
    }
  }
}

/** Does the function still touch its BPF stack (an unpromoted slot, or R10 as data)? */
function usesFrame(fn: Func): boolean {
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed) continue;
      if (x.a === fn.frame || x.b === fn.frame || x.c === fn.frame || x.d === fn.frame) return true;
      if (x.args !== null && x.args.includes(fn.frame)) return true;
    }
  }
  return false;
}

/** Functions in an order where every callee comes before its callers (cycles: any order). */
function calleesFirst(info: ProgramInfo): ProgramInfo['functions'][number][] {
  const out: ProgramInfo['functions'][number][] = [];
  const state = new Uint8Array(info.functions.length);
  const visit = (i: number): void => {
    if (state[i] !== 0) return;
    state[i] = 1;
    for (const c of info.functions[i]!.callees) visit(c);
    state[i] = 2;
    out.push(info.functions[i]!);
  };
  for (let i = 0; i < info.functions.length; i++) visit(i);
  return out;
}
