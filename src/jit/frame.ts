import type { BpfInsn, FunctionInfo } from '../bpf/index.js';
import { BPF_REG_FP, BPF_REG_PARAMS, STACK_FRAME_SIZE, opcodeInfo } from '../bpf/index.js';
import { STACK_ARG_REG_SLOTS } from './registers.js';

/**
 * Stack frame of one compiled BPF function (entry or subprogram), from high to low addresses:
 *
 *   caller's outgoing stack arguments     <- x29 + 16 (incoming args 9..12 of this function)
 *   x29, x30 (frame record)               <- x29
 *   callee-saved pairs this function uses (x19/x20, x21/x22, x25/x26; the entry saves all
 *   of them and x27/x28, so one jump to its epilogue can unwind everything)
 *   BPF stack, 512 bytes                  <- x25 = R10 (only when the function uses R10)
 *   outgoing stack arguments 9..12        <- sp (only when a call here needs more than 8 args)
 *
 * A frame record at x29 lets debuggers and profilers unwind through JIT code (AAPCS64 6.4.6).
 */
export interface FrameLayout {
  readonly isEntry: boolean;
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
}

export function frameLayout(program: readonly BpfInsn[], fn: FunctionInfo): FrameLayout {
  const isEntry = fn.index === 0;
  const used = new Set<number>();
  for (let pc = fn.start; pc < fn.end; pc++) {
    const insn = program[pc]!;
    const info = opcodeInfo(insn.code);
    if (!info) continue;
    if (info.dst === 'reg') used.add(insn.dst);
    if (info.src === 'reg') used.add(insn.src);
    // stores name their base in dst, loads in src: both are covered above
  }
  const usesFp = used.has(BPF_REG_FP);
  const pairs: [number, number][] = [];
  if (isEntry) {
    pairs.push([19, 20], [21, 22], [25, 26], [27, 28]);
  } else {
    if (used.has(6) || used.has(7)) pairs.push([19, 20]);
    if (used.has(8) || used.has(9)) pairs.push([21, 22]);
    if (usesFp) pairs.push([25, 26]);
  }
  void BPF_REG_PARAMS;
  const beyondRegs = fn.stackArgsOut - STACK_ARG_REG_SLOTS;
  // round_up((outgoing_slots - 3) * 8, 16), as the kernel: AAPCS64 6.4.5.1 keeps sp 16-aligned
  const outgoingArgs = beyondRegs > 0 ? Math.ceil((beyondRegs * 8) / 16) * 16 : 0;
  const bpfStack = usesFp ? STACK_FRAME_SIZE : 0;
  return { isEntry, savedPairs: pairs, bpfStack, outgoingArgs, spBelowFp: bpfStack + outgoingArgs, usesFp };
}
