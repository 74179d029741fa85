import {
  A64BranchRangeError,
  A64EncodeError,
  Assembler,
  SP,
  X25,
  X29,
  X30,
  X8,
  X0,
  branchInRange,
  invertCond,
  ldp,
  mem,
  mov,
  movz,
  nop,
  postIndex,
  preIndex,
  ret,
  stp,
  str,
  subImm,
  xreg,
  type Cond,
  type GpReg,
  type Label,
} from '../arm64/index.js';
import { helperProto, insnKind, lddwValue, validateProgram, type BpfInsn, type FunctionInfo, type PointerCheck, type ProgramInfo } from '../bpf/index.js';
import { emitAlu, emitEnd, emitNeg } from './emit-alu.js';
import { bpfAtomicOperands, emitAtomic, emitLoadAcquire, emitStoreRelease } from './emit-atomic.js';
import { emitJcond } from './emit-branch.js';
import { emitCallx, emitHelperCall, emitLocalCall, emitNativeCall } from './emit-call.js';
import type { Emit, SafetyEmit } from './emit-context.js';
import { emitBpfLoad, emitBpfStore, emitStackArgLoad, emitStackArgStore } from './emit-memory.js';
import { CTX_STACK_TOP } from './context-layout.js';
import { JitCompileError } from './errors.js';
import { frameLayout, programNeeds, type FrameLayout } from './frame.js';
import { emitTailCall } from './emit-tailcall.js';
import { CTX, ENTRY_FP, TAIL_CALL_COUNT, a64 } from './registers.js';
import { OptUnsupported, compileOptimized, type OptimizeOptions, type PassCounts } from './opt/index.js';
import { checkBudget, emitBudgetInit, emitTick } from './safety/budget.js';
import { SandboxRoutines, emitHelperArgChecks, emitPointerCheck, emitTailCallMapCheck, emitShadowFrameEnter, emitShadowFrameEntry, emitShadowFrameLeave } from './safety/sandbox.js';
import { emitBudgetExit, emitUnwindPaths } from './safety/unwind.js';

/** bpf_tail_call (helper-protos.ts): inline code in programs compiled for tail calls. */
const TAIL_CALL_HELPER_ID = 12;

export interface CompileOptions {
  /** address of the runtime context block (context-layout.ts), embedded in the entry prologue */
  readonly contextAddress: bigint;
  /** helper ids the runtime will put in the helper table */
  readonly helperIds: ReadonlySet<number>;
  /** code addresses of native functions, by CALL src 2 imm */
  readonly natives?: ReadonlyMap<number, bigint>;
  /** values of LDDW pseudo forms other than 0 (constant) and 4 (function address) */
  readonly resolvePseudo?: (pseudo: number, imm: number, nextImm: number, pc: number) => bigint;
  /** FEAT_LSE instructions, or load/store-exclusive loops */
  readonly atomics: 'lse' | 'llsc';
  /** the program's layout from validation; computed when absent */
  readonly info?: ProgramInfo;
  /** compile for tail calls: uniform frames, inline bpf_tail_call, a tail-call entry (frame.ts) */
  readonly tailCalls?: boolean;
  /**
   * The optimization tier (src/jit/opt): on by default; false compiles 1:1 (`-O0`). Options
   * switch single passes off or tell it about reserved registers and checked memory.
   */
  readonly optimize?: boolean | OptimizeOptions;
  /**
   * Fault containment (src/jit/safety/unwind.ts, native/fault.cc): the program holds the
   * context block and its entry frame, and gets a landing the fault handler resumes at.
   * Off by default here; JitProgram turns it on.
   */
  readonly contain?: boolean;
  /** instruction budget: back-edges and calls one run may take (safety/budget.ts); none when absent */
  readonly budget?: number;
  /** check every memory access against the run's regions (safety/sandbox.ts) */
  readonly sandbox?: boolean;
  /**
   * check helpers' pointer arguments before each call (safety/sandbox.ts
   * emitHelperArgChecks): for code nobody proved safe, also without the sandbox (which
   * implies them)
   */
  readonly helperArgChecks?: boolean;
  /**
   * the helpers whose every pointer argument is checked (the runtime's native helpers, which
   * follow their prototypes); others (your JavaScript helpers) only get their sized memory
   * arguments checked, and only under the sandbox
   */
  readonly checkedHelpers?: ReadonlySet<number>;
  /**
   * With the sandbox: pointer arithmetic to check, by slot (src/bpf/pointer-checks.ts; the
   * sandbox's analysis makes them). Programs with any compile 1:1.
   */
  readonly pointerChecks?: ReadonlyMap<number, PointerCheck>;
}

/** Machine code with where it came from, for listings, fault reports and instruction counts. */
export interface CompiledProgram {
  readonly code: Uint8Array;
  /**
   * The BPF slot each 4-byte instruction word of `code` came from (native pc -> BPF pc), or
   * ORIGIN_NONE for frame setup, epilogues and runtime stubs. Always present, optimized or not.
   */
  readonly origins: Int32Array;
  /**
   * Code offset where each slot's code starts (the second slot of an LDDW gets the offset
   * after the first). In optimized code a slot's code need not be contiguous: this is its
   * first instruction, or for a slot without code of its own the next slot's position.
   */
  readonly pcOffsets: readonly number[];
  /** code offset of each function's entry, in ProgramInfo.functions order */
  readonly functionOffsets: readonly number[];
  /** [start, end) code offsets of each function's prologue and epilogue */
  readonly prologues: readonly (readonly [number, number])[];
  readonly epilogues: readonly (readonly [number, number])[];
  readonly info: ProgramInfo;
  /** conditional branches that needed the far form (b.!cond + b) */
  readonly relaxedBranches: number;
  /** optimized code: why a slot has no code of its own ("merged into 14", "dead"), by slot */
  readonly slotNotes?: readonly (string | undefined)[];
  /** programs compiled for tail calls: code offset where a bpf_tail_call enters this program */
  readonly tailCallEntry?: number;
  /** present when the optimization tier compiled the program: how often each pass fired */
  readonly optimizer?: PassCounts;
  /** optimization was on, but the tier does not handle this program: why it compiled 1:1 */
  readonly unoptimized?: string;
  /**
   * With `contain`: code offset of the fault landing, and the [start, end) offsets where a
   * fault must not land (the entry prologue until the entry frame is recorded, the entry
   * epilogue and the unwind paths)
   */
  readonly containment: { readonly landing: number; readonly exclude: readonly (readonly [number, number])[] } | undefined;
  readonly budget: number | undefined;
  readonly sandbox: boolean;
  /** helpers' pointer arguments are checked before each call (the run must give its regions) */
  readonly helperArgChecks?: boolean;
  /** the pointer-arithmetic checks in the code, by slot (CompileOptions.pointerChecks) */
  readonly pointerChecks?: ReadonlyMap<number, PointerCheck>;
}

/** `origins` value of instruction words that no BPF slot produced (prologues, epilogues, stubs). */
export const ORIGIN_NONE = -1;

/** origins of 1:1 code: each slot's words are contiguous, from pcOffsets[pc] to the next slot's. */
function slotOrigins(info: ProgramInfo, codeBytes: number, pcOffsets: readonly number[], epilogues: readonly (readonly [number, number])[]): Int32Array {
  const origins = new Int32Array(codeBytes / 4).fill(ORIGIN_NONE);
  info.functions.forEach((fn, i) => {
    for (let pc = fn.start; pc < fn.end; pc++) {
      const end = pc + 1 < fn.end ? pcOffsets[pc + 1]! : epilogues[i]![0];
      origins.fill(pc, pcOffsets[pc]! / 4, end / 4);
    }
  });
  return origins;
}

/** A branch whose reach is still unknown while offsets are being estimated. */
interface PendingBranch {
  readonly pc: number;
  readonly at: number;
  readonly targetPc: number;
}

/**
 * BPF -> AArch64. One pass per function over its slots, one `switch` over instruction kinds
 * that calls small emit helpers (the shape of the Linux arm64 JIT's build_insn).
 *
 * Branch relaxation: a program whose code cannot exceed B.cond's +-1 MiB reach compiles in one
 * pass. Otherwise a placeholder pass measures every slot's offset, and a conditional branch
 * gets the far form when its distance, plus 4 bytes for every branch that might be made far,
 * is out of reach: far forms only ever lengthen distances, by at most that much, so the
 * decision holds in the final pass and two passes always suffice.
 */
export function compileProgram(program: readonly BpfInsn[], options: CompileOptions): CompiledProgram {
  const info = options.info ?? validateProgram(program);
  const checks = options.pointerChecks !== undefined && options.pointerChecks.size > 0;
  if (checks && options.sandbox !== true) throw new JitCompileError('pointer-arithmetic checks need the sandbox', -1);
  if (options.optimize !== false && checks) return { ...compileOneToOne(program, info, options), unoptimized: 'the sandbox checks pointer arithmetic' };
  if (options.optimize !== false) {
    try {
      return compileOptimized(program, info, options, typeof options.optimize === 'object' ? options.optimize : {});
    } catch (e) {
      // what the tier does not handle compiles 1:1 (and reports its own errors there)
      if (!(e instanceof OptUnsupported)) throw e;
      return { ...compileOneToOne(program, info, options), unoptimized: e.message };
    }
  }
  return compileOneToOne(program, info, options);
}

/** The 1:1 path: each slot's code on its own, with branch relaxation. */
function compileOneToOne(program: readonly BpfInsn[], info: ProgramInfo, options: CompileOptions): CompiledProgram {
  if (program.length < MAX_SLOTS_WITHOUT_RELAXATION) {
    try {
      return assemble(program, info, options, new Set(), false);
    } catch (e) {
      if (!(e instanceof A64BranchRangeError)) throw e;
    }
  }
  const estimate = assemble(program, info, options, new Set(), true);
  const margin = 4 * estimate.pending.length;
  const far = new Set<number>();
  for (const b of estimate.pending) {
    const distance = estimate.pcOffsets[b.targetPc]! - b.at;
    if (!branchInRange('imm19', distance + Math.sign(distance) * margin)) far.add(b.pc);
  }
  return assemble(program, info, options, far, false);
}

/**
 * Below this many slots the code is very unlikely to pass 1 MiB (that needs more than 16
 * instructions per slot on average), so a direct pass is tried first; a range error from it
 * still falls back to measuring.
 */
const MAX_SLOTS_WITHOUT_RELAXATION = 16_384;

function assemble(
  program: readonly BpfInsn[],
  info: ProgramInfo,
  options: CompileOptions,
  far: ReadonlySet<number>,
  estimate: true,
): CompiledProgram & { pending: PendingBranch[] };
function assemble(program: readonly BpfInsn[], info: ProgramInfo, options: CompileOptions, far: ReadonlySet<number>, estimate: false): CompiledProgram;
function assemble(
  program: readonly BpfInsn[],
  info: ProgramInfo,
  options: CompileOptions,
  far: ReadonlySet<number>,
  estimate: boolean,
): CompiledProgram & { pending?: PendingBranch[] } {
  const a = new Assembler();
  const slotLabels: Label[] = [];
  const labelOf = (pc: number): Label => (slotLabels[pc] ??= a.newLabel());
  const functionLabels = new Map<number, Label>(info.functions.map((f) => [f.start, a.newLabel()]));
  const pcOffsets = new Array<number>(program.length).fill(0);
  const functionOffsets: number[] = [];
  const prologues: [number, number][] = [];
  const epilogues: [number, number][] = [];
  const pending: PendingBranch[] = [];
  const exitAll = a.newLabel();
  const callbackEntries = info.functions.filter((f) => f.isCallback).map((f) => functionLabels.get(f.start)!);
  let tailCallEntry: number | undefined;
  const budget = options.budget;
  if (budget !== undefined) checkBudget(budget);
  const safetyNeeds = { unwind: options.contain === true, budget: budget !== undefined, sandbox: options.sandbox === true };
  // The sandbox's shadow stack and region table live in the caller's context block; a tail-called
  // program would check against its own. Refused until the sandbox follows tail calls.
  if (safetyNeeds.sandbox && options.tailCalls === true) throw new JitCompileError('the sandbox does not support tail calls (bpf_tail_call) yet: run without --sandbox', -1);
  const needs = programNeeds(program, safetyNeeds);
  const routines = safetyNeeds.sandbox || options.helperArgChecks === true ? new SandboxRoutines(a, exitAll) : undefined;
  const safety: SafetyEmit = {
    budgetExit: budget !== undefined ? a.newLabel() : undefined,
    sandbox: safetyNeeds.sandbox ? routines : undefined,
    helperArgs: routines,
  };
  let containment: { landing: number; exclude: [number, number][] } | undefined;

  for (const fn of info.functions) {
    const frame = frameLayout(program, fn, needs, options.tailCalls === true);
    const epilogue = a.newLabel();
    const entry = functionLabels.get(fn.start)!;
    functionOffsets.push(a.offset);
    a.bind(entry);
    const prologueStart = a.offset;
    const { setupEnd, tailEntry } = emitPrologue(a, frame, options.contextAddress, safety, budget);
    if (tailEntry !== undefined) tailCallEntry = tailEntry;
    prologues.push([prologueStart, a.offset]);

    let pc = 0;
    const emit: Emit = {
      a,
      frame,
      program,
      get pc() {
        return pc;
      },
      atomics: options.atomics,
      epilogue,
      exitAll,
      safety,
      functionLabel: (start) => {
        const l = functionLabels.get(start);
        if (!l) throw new JitCompileError(`slot ${start} is not the start of a function`, pc);
        return l;
      },
      // near: one branch; far: the inverted branch over an unconditional B (+-128 MiB)
      branchTo(cond: Cond, targetPc: number) {
        backEdgeTick(targetPc);
        if (far.has(pc)) {
          const skip = a.newLabel();
          a.bCond(invertCond(cond), skip);
          farJump(targetPc, skip);
        } else if (estimate) placeholder(targetPc);
        else a.bCond(cond, labelOf(targetPc));
      },
      compareBranchTo(nonZero: boolean, reg: GpReg, targetPc: number) {
        backEdgeTick(targetPc);
        if (far.has(pc)) {
          const skip = a.newLabel();
          if (nonZero) a.cbz(reg, skip);
          else a.cbnz(reg, skip);
          farJump(targetPc, skip);
        } else if (estimate) placeholder(targetPc);
        else if (nonZero) a.cbnz(reg, labelOf(targetPc));
        else a.cbz(reg, labelOf(targetPc));
      },
      jumpTo(targetPc: number) {
        backEdgeTick(targetPc);
        jump(targetPc);
      },
    };

    /** the far form's B to the target, and the label the inverted branch skips to */
    function farJump(targetPc: number, skip: Label): void {
      jump(targetPc);
      a.bind(skip);
    }

    function jump(targetPc: number): void {
      if (estimate) a.emit(nop());
      else a.b(labelOf(targetPc));
    }

    /** The budget's hook: every backward branch takes a tick (taken or not; see budget.ts). */
    function backEdgeTick(targetPc: number): void {
      if (safety.budgetExit && targetPc <= pc) emitTick(a, safety.budgetExit, 'branch');
    }

    /** a branch whose reach is still being measured */
    function placeholder(targetPc: number): void {
      pending.push({ pc, at: a.offset, targetPc });
      a.emit(nop());
    }

    for (pc = fn.start; pc < fn.end; pc++) {
      pcOffsets[pc] = a.offset;
      if (!estimate) a.bind(labelOf(pc));
      const insn = program[pc]!;
      const pointerCheck = options.pointerChecks?.get(pc);
      if (pointerCheck && safety.sandbox) emitPointerCheck(a, safety.sandbox, pointerCheck);
      try {
        const consumed = compileInsn(emit, insn, pc, info, options, functionLabels, callbackEntries);
        if (consumed === 2) pcOffsets[++pc] = a.offset;
      } catch (e) {
        if (e instanceof A64BranchRangeError) throw e;
        if (e instanceof JitCompileError) throw e;
        if (e instanceof A64EncodeError || e instanceof RangeError) throw new JitCompileError(e.message, pc);
        throw e;
      }
    }
    const epilogueStart = a.offset;
    a.bind(epilogue);
    emitEpilogue(a, frame);
    epilogues.push([epilogueStart, a.offset]);
    if (frame.holdsContext) {
      const landing = emitUnwindPaths(a, exitAll, epilogue);
      if (options.contain) containment = { landing, exclude: [[prologueStart, setupEnd], [epilogueStart, a.offset]] };
    }
  }
  if (safety.budgetExit) emitBudgetExit(a, safety.budgetExit, exitAll);
  safety.helperArgs?.emit();
  const code = estimate ? new Uint8Array(a.offset) : a.finish();
  const origins = estimate ? new Int32Array(0) : slotOrigins(info, code.length, pcOffsets, epilogues);
  return {
    code,
    origins,
    pcOffsets,
    functionOffsets,
    prologues,
    epilogues,
    info,
    relaxedBranches: far.size,
    pending,
    containment,
    budget,
    sandbox: safetyNeeds.sandbox,
    ...(routines ? { helperArgChecks: true } : {}),
    ...(options.pointerChecks !== undefined && options.pointerChecks.size > 0 ? { pointerChecks: options.pointerChecks } : {}),
    ...(tailCallEntry !== undefined ? { tailCallEntry } : {}),
  };
}

/** Returns how many slots the instruction took (2 for LDDW). */
function compileInsn(
  e: Emit,
  insn: BpfInsn,
  pc: number,
  info: ProgramInfo,
  options: CompileOptions,
  functionLabels: ReadonlyMap<number, Label>,
  callbackEntries: readonly Label[],
): 1 | 2 {
  const k = insnKind(insn);
  if (!k) throw new JitCompileError(`unknown opcode 0x${insn.code.toString(16).padStart(2, '0')}`, pc);
  const a = e.a;
  switch (k.kind) {
    case 'alu':
      emitAlu(e, insn, k);
      return 1;
    case 'neg':
      emitNeg(e, insn, k.width);
      return 1;
    case 'end':
      emitEnd(e, insn, k.bits, k.order);
      return 1;
    case 'ja':
      if (k.offset !== 0) e.jumpTo(pc + 1 + k.offset);
      return 1;
    case 'jcond':
      emitJcond(e, insn, pc, k.width, k.op, k.source);
      return 1;
    case 'call-helper': {
      const checks = e.safety.helperArgs;
      if (k.id === TAIL_CALL_HELPER_ID && options.tailCalls === true) {
        if (checks) emitTailCallMapCheck(a, checks);
        emitTailCall(e);
        return 1;
      }
      // unproven code: the helper's pointer arguments, by its prototype
      const proto = checks ? helperProto(k.id) : undefined;
      const full = options.checkedHelpers?.has(k.id) === true;
      if (checks && proto && (full || e.safety.sandbox)) emitHelperArgChecks(a, checks, proto, { sandbox: e.safety.sandbox !== undefined, usesFp: e.frame.usesFp, full });
      emitHelperCall(e, k.id, options.helperIds.has(k.id));
      // the packet regions follow data / data_end / data_meta when the helper moved them
      if (checks && proto?.changesPacketData) a.bl(checks.packetRefresh());
      return 1;
    }
    case 'call-native': {
      const address = options.natives?.get(k.id);
      if (address === undefined) throw new JitCompileError(`native function ${k.id} is not linked (no address for it)`, pc);
      emitNativeCall(e, address);
      return 1;
    }
    case 'call-local': {
      const target = functionLabels.get(pc + 1 + k.offset);
      if (!target) throw new JitCompileError(`call to slot ${pc + 1 + k.offset}, which does not start a function`, pc);
      emitLocalCall(e, target);
      return 1;
    }
    case 'callx':
      emitCallx(e, a64(k.reg), callbackEntries);
      return 1;
    case 'exit':
      // the function's last slot falls through into its epilogue
      if (!isLastOfFunction(info, pc)) a.b(e.epilogue);
      return 1;
    case 'lddw': {
      const next = e.program[pc + 1];
      if (!next) throw new JitCompileError('lddw without its second slot', pc);
      const dst = a64(insn.dst);
      if (k.pseudo === 0) a.materialize(dst, lddwValue(insn, next));
      else if (k.pseudo === 4) a.adr(dst, e.functionLabel(pc + 1 + insn.imm));
      else {
        if (!options.resolvePseudo) throw new JitCompileError(`lddw pseudo form src=${k.pseudo} needs a loader to resolve it`, pc);
        a.materialize(dst, options.resolvePseudo(k.pseudo, insn.imm, next.imm, pc));
      }
      return 2;
    }
    case 'ld-legacy':
      throw new JitCompileError('legacy packet access (LD|ABS, LD|IND) is lowered by prepareProgram (src/bpf/fixups) for socket-buffer program types, not compiled directly', pc);
    case 'load':
      if (k.stackArg) emitStackArgLoad(e, insn);
      else emitBpfLoad(e, insn, k.size, k.signed);
      return 1;
    case 'store':
      if (k.stackArg) emitStackArgStore(e, insn, k.source);
      else emitBpfStore(e, insn, k.size, k.source);
      return 1;
    case 'atomic':
      emitAtomic(e, bpfAtomicOperands(insn), k.size, k.op, k.fetch);
      return 1;
    case 'load-acquire':
      emitLoadAcquire(e, a64(insn.dst), a64(insn.src), insn.off, k.size);
      return 1;
    case 'store-release':
      emitStoreRelease(e, a64(insn.src), a64(insn.dst), insn.off, k.size);
      return 1;
  }
}

function isLastOfFunction(info: ProgramInfo, pc: number): boolean {
  return info.functions.some((f: FunctionInfo) => f.end === pc + 1);
}

/**
 * Frame record, callee-saved pairs, then (entry) the context block and entry frame, the
 * budget, R10. Safety hooks: a budget tick on every function entry but the program's, the
 * sandbox's shadow frame. Returns the offset after which the entry frame is recorded in x28
 * (before it, a fault cannot be contained) and, for the entry of a tail-call program, the
 * offset a bpf_tail_call enters at (emit-tailcall.ts).
 */
function emitPrologue(a: Assembler, frame: FrameLayout, contextAddress: bigint, safety: SafetyEmit, budget: number | undefined): { setupEnd: number; tailEntry: number | undefined } {
  if (!frame.isEntry && safety.budgetExit) emitTick(a, safety.budgetExit, 'call');
  a.emit(stp(X29, X30, preIndex(SP, -16)));
  a.emit(mov(X29, SP));
  for (const [r1, r2] of frame.savedPairs) a.emit(stp(xreg(r1), xreg(r2), preIndex(SP, -16)));
  let tailEntry: number | undefined;
  if (frame.tailCalls && frame.isEntry) {
    // tcc = 0 for a call from outside; a tail call enters right after it (emit-tailcall.ts)
    a.emit(movz(TAIL_CALL_COUNT, 0));
    tailEntry = a.offset;
  }
  if (frame.holdsContext) {
    a.materialize(CTX, contextAddress);
    a.emit(mov(ENTRY_FP, X29));
  }
  const setupEnd = a.offset;
  if (frame.isEntry && budget !== undefined) emitBudgetInit(a, budget);
  if (safety.sandbox) {
    if (frame.isEntry) {
      if (frame.usesFp) emitShadowFrameEntry(a);
    } else emitShadowFrameEnter(a, safety.sandbox, frame.usesFp);
  } else if (frame.usesFp) {
    a.emit(mov(X25, SP));
    // the helper argument checks take the stack as [R10 - 512, the entry's R10)
    if (frame.isEntry && frame.holdsContext && safety.helperArgs) a.emit(str(X25, mem(CTX, CTX_STACK_TOP)));
  }
  if (frame.spBelowFp > 0) a.emit(subImm(SP, SP, frame.spBelowFp));
  return { setupEnd, tailEntry };
}

function emitEpilogue(a: Assembler, frame: FrameLayout): void {
  if (frame.shadowStack && !frame.isEntry) emitShadowFrameLeave(a);
  if (frame.isEntry) a.emit(mov(X0, X8));
  frame.savedPairs.forEach(([r1, r2], i) => a.emit(ldp(xreg(r1), xreg(r2), mem(X29, -16 * (i + 1)))));
  a.emit(mov(SP, X29));
  a.emit(ldp(X29, X30, postIndex(SP, 16)));
  a.emit(ret());
}
