import { X0, X1, X10, X11, X12, X13, X14, X15, X16, X19, X2, X20, X21, X22, X24, X25, X26, X27, X28, X3, X4, X5, X6, X7, X8, X9, type XReg } from '../arm64/index.js';

/**
 * BPF -> AArch64 register mapping of the Linux arm64 JIT after the 2026 stack-argument series
 * (../shared/docs/bpf-stack-args.md): R0 moved from x7 to x8 so that x5-x7 can carry
 * arguments 6-8 exactly where AAPCS64 6.8.2 puts them; R1-R5 are x0-x4, so helper and native
 * calls need no argument shuffling; R6-R9 are AAPCS64 callee-saved (x19-x22) like BPF's.
 */
export const BPF_REG_AX = 12;

/*
 * The register plan (CONTRACTS.md; whoever adds a reservation records it here):
 *   x0-x4 R1-R5, x8 R0, x19-x22 R6-R9, x25 R10 (R10 is the shadow stack frame under --sandbox)
 *   x5-x7   stack arguments 6-8          x9      constant-blinding AX
 *   x10-x12 JIT temporaries              x13-x15 extra temporaries: sandbox checks, optimizer;
 *                                                 fault handler -> landing (never live across a call)
 *   x16/x17 call target / scratch        x23     free for the optimizer
 *   x24     instruction budget (only with a budget; else free for the optimizer)
 *   x26     tail-call counter (only in programs that may tail call; else free)
 *   x27     context block, x28 entry frame (only when the program holds the context block: it
 *           calls helpers, has a budget, a sandbox, or fault containment; else free)
 */

const MAP: readonly (XReg | undefined)[] = [
  X8, // R0: return value (moved to x0 only at the program's exit)
  X0, // R1..R5: arguments
  X1,
  X2,
  X3,
  X4,
  X19, // R6..R9: callee-saved
  X20,
  X21,
  X22,
  X25, // R10: frame pointer (read-only)
  undefined, // R11: stack-argument base, never a value (see emit-stack-args.ts)
  X9, // AX: constant-blinding scratch, as in the kernel
];

export function a64(bpfReg: number): XReg {
  const r = MAP[bpfReg];
  if (!r) throw new RangeError(`BPF register r${bpfReg} has no AArch64 mapping`);
  return r;
}

/** JIT temporaries: never hold a BPF value across instructions. x5-x7 are not among them. */
export const TMP1 = X10;
export const TMP2 = X11;
export const TMP3 = X12;
/** AAPCS64 IP0: the register for call targets (veneers use it; nothing else lives there). */
export const CALL_TARGET = X16;
/** Points at the runtime context block (context-layout.ts) in every function. */
export const CTX = X27;
/**
 * The entry function's frame pointer, for unwinding everything at once (helper exit, budget,
 * sandbox failure, a contained fault). Set in every program that holds the context block.
 */
export const ENTRY_FP = X28;
/**
 * The tail-call counter (the kernel's tcc), only in programs compiled for tail calls
 * (JitOptions.tailCalls): the entry zeroes it, each bpf_tail_call increments it and stops at
 * MAX_TAIL_CALL_CNT (33); a tail-called program keeps it. Elsewhere x26 is free.
 */
export const TAIL_CALL_COUNT = X26;
/**
 * Instruction budget (safety/budget.ts): back-edges and calls left, only in programs compiled
 * with a budget (unverified code); saved by the entry function alone (subprograms count down
 * the same counter), otherwise free for the optimizer. A tail-called program sets it afresh
 * (its tail-call entry lies before the set-up), so a run is bounded by 34 budgets (at most
 * MAX_TAIL_CALL_CNT = 33 tail calls).
 */
export const BUDGET = X24;
/**
 * Extra temporaries, never live across a BPF instruction or a call: the sandbox's address and
 * check registers (safety/sandbox.ts), and where the fault handler puts the fault for the
 * landing code (x13 address, x14 signal word, x15 pc: native/fault.cc).
 */
export const SCRATCH1 = X13;
export const SCRATCH2 = X14;
export const SCRATCH3 = X15;
/** Outgoing/incoming stack arguments 6, 7, 8 (AAPCS64 argument registers x5-x7). */
export const STACK_ARG_REGS: readonly XReg[] = [X5, X6, X7];
/** Stack-argument slots beyond these registers go to [sp] (outgoing) / [x29, #16] (incoming). */
export const STACK_ARG_REG_SLOTS = 3;
/** Helpers and native functions return in x0 (AAPCS64 6.9). */
export const RESULT = X0;

/**
 * The optimization tier (src/jit/opt) does not use the mapping above: it allocates every SSA
 * value a register of its own from x0-x9 and x13-x15 (caller-saved) and x19-x28 (callee-saved,
 * saved by its prologues), never x10-x12 (TMP1-3, the shared emit helpers' temporaries) nor
 * x16-x18. Reservations: x27/x28 (CTX, ENTRY_FP) when the program calls helpers; programs
 * compiled for tail calls (x26) or with an instruction budget (x24) compile 1:1.
 */
