import { X25, type XReg } from '../arm64/index.js';
import type { BpfInsn, FunctionInfo } from '../bpf/index.js';
import { BPF_REG_FP, STACK_FRAME_SIZE, opcodeInfo } from '../bpf/index.js';
import { STACK_ARG_REG_SLOTS } from './registers.js';

/**
 * Stack frame of one compiled BPF function (entry or subprogram), from high to low addresses:
 *
 *   caller's outgoing stack arguments     <- x29 + 16 (incoming args 9..12 of this function)
 *   x29, x30 (frame record)               <- x29
 *   callee-saved pairs this function uses (x19/x20, x21/x22, x25/x26; when the program calls
 *   helpers, the entry saves every pair any function uses and x27/x28, so one jump to its
 *   epilogue can unwind everything)
 *   BPF stack, 512 bytes                  <- x25 = R10 (only when the function uses R10; under
 *                                            the sandbox it lives in the shadow stack instead)
 *   outgoing stack arguments 9..12        <- sp (only when a call here needs more than 8 args)
 *
 * A frame record at x29 lets debuggers and profilers unwind through JIT code (AAPCS64 6.4.6).
 */
export interface FrameLayout {
  readonly isEntry: boolean;
  /** the entry function holds the context block in x27 and its own frame in x28 */
  readonly holdsContext: boolean;
  /** callee-saved register pairs saved below the frame record, first pair first */
  readonly savedPairs: readonly (readonly [number, number])[];
  /** BPF stack bytes reserved (0 when R10 is never used) */
  readonly bpfStack: number;
  /** bytes below the BPF stack for outgoing stack arguments 9..12 (multiple of 16) */
  readonly outgoingArgs: number;
  /** sp distance from x25: where an R10-relative offset can be re-based onto sp */
  readonly spBelowFp: number;
  /** whether R10 (x25) must be set up */
  readonly usesFp: boolean;
  /** the register holding R10 when the function keeps one (x25), else null (sp-relative only) */
  readonly fpRegister: XReg | null;
  /**
   * compiled for tail calls: every function saves the same pairs in the same order, so a
   * bpf_tail_call can drop its BPF stack and jump into another program's entry past the
   * pushes (tail-call-entry.ts), as the kernel's arm64 JIT does with its fixed prologue
   */
  readonly tailCalls: boolean;
  /** the BPF stack lives in the sandbox's shadow stack, not here (safety/sandbox.ts) */
  readonly shadowStack: boolean;
}

/**
 * The pairs a tail-call frame always saves (x19-x22: R6-R9, x25/x26: R10 and the counter,
 * x27/x28, x23/x24: the budget when there is one).
 */
export const TAIL_CALL_PAIRS: readonly (readonly [number, number])[] = [[19, 20], [21, 22], [25, 26], [27, 28], [23, 24]];

/** What a whole program needs from its entry frame. */
export interface ProgramNeeds {
  /** some function calls a helper or uses callx: x27 must point at the context block, and a
   *  helper may unwind everything from any depth through the entry's epilogue */
  readonly context: boolean;
  /** BPF registers used anywhere in the program */
  readonly used: ReadonlySet<number>;
  /** the entry saves and sets the instruction budget (x24) */
  readonly budget: boolean;
  /** sandbox: BPF stack frames in the shadow stack */
  readonly sandbox: boolean;
}

/** What the safety features (src/jit/safety) ask of the frames. */
export interface SafetyNeeds {
  /** the program can be left from any depth: x27/x28 and the unwind paths (containment) */
  readonly unwind: boolean;
  readonly budget: boolean;
  readonly sandbox: boolean;
}

/** BPF registers the slots name, as a mask (bit r = Rr). */
function registersUsed(program: readonly BpfInsn[], start: number, end: number): number {
  let used = 0;
  for (let pc = start; pc < end; pc++) {
    const insn = program[pc]!;
    const info = opcodeInfo(insn.code);
    if (!info) continue;
    // stores name their base in dst, loads in src: both are covered
    if (info.dst === 'reg') used |= 1 << insn.dst;
    if (info.src === 'reg') used |= 1 << insn.src;
  }
  return used;
}

export function programNeeds(program: readonly BpfInsn[], safety: SafetyNeeds = { unwind: false, budget: false, sandbox: false }): ProgramNeeds {
  let context = safety.unwind || safety.budget || safety.sandbox;
  for (const insn of program) {
    // a helper call (CALL src 0 and any src that is neither local nor native) or callx
    const info = opcodeInfo(insn.code);
    if (info !== undefined && ((info.form === 'call' && insn.src !== 1 && insn.src !== 2) || info.form === 'callx')) context = true;
  }
  const mask = registersUsed(program, 0, program.length);
  const used = new Set<number>();
  for (let r = 0; r < 32; r++) if (mask & (1 << r)) used.add(r);
  return { context, used, budget: safety.budget, sandbox: safety.sandbox };
}

/** Callee-saved pairs that hold the BPF registers in `used` (a set, or a mask of registers). */
function pairsFor(used: ReadonlySet<number> | number): [number, number][] {
  const has = typeof used === 'number' ? (r: number): boolean => (used & (1 << r)) !== 0 : (r: number): boolean => used.has(r);
  const pairs: [number, number][] = [];
  if (has(6) || has(7)) pairs.push([19, 20]);
  if (has(8) || has(9)) pairs.push([21, 22]);
  if (has(BPF_REG_FP)) pairs.push([25, 26]);
  return pairs;
}

export function frameLayout(program: readonly BpfInsn[], fn: FunctionInfo, needs: ProgramNeeds, tailCalls = false): FrameLayout {
  const isEntry = fn.index === 0;
  const used = registersUsed(program, fn.start, fn.end);
  const usesFp = (used & (1 << BPF_REG_FP)) !== 0;
  const holdsContext = isEntry && (needs.context || tailCalls);
  // A helper's exit request unwinds through the entry's epilogue alone, skipping the
  // subprograms' epilogues: then the entry must save every pair any function uses.
  // Tail-call frames are uniform (TAIL_CALL_PAIRS, x23/x24 included so budgeted and
  // unbudgeted programs share one layout); x24 otherwise counts for the whole run: only the
  // entry saves it (for its caller).
  const pairs = tailCalls ? TAIL_CALL_PAIRS.map(([a, b]) => [a, b] as [number, number]) : pairsFor(holdsContext ? needs.used : used);
  if (holdsContext && !tailCalls) pairs.push([27, 28]);
  if (isEntry && needs.budget && !tailCalls) pairs.push([23, 24]);
  const beyondRegs = fn.stackArgsOut - STACK_ARG_REG_SLOTS;
  // round_up((outgoing_slots - 3) * 8, 16), as the kernel: AAPCS64 6.4.5.1 keeps sp 16-aligned
  const outgoingArgs = beyondRegs > 0 ? Math.ceil((beyondRegs * 8) / 16) * 16 : 0;
  const bpfStack = usesFp && !needs.sandbox ? STACK_FRAME_SIZE : 0;
  return { isEntry, holdsContext, savedPairs: pairs, bpfStack, outgoingArgs, spBelowFp: bpfStack + outgoingArgs, usesFp, fpRegister: usesFp ? X25 : null, tailCalls, shadowStack: needs.sandbox };
}
