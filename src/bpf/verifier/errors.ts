import { disassembleInsn } from '../disassembler.js';
import type { BpfInsn } from '../instruction.js';

/**
 * A program the verifier cannot prove safe. `reason` is the kernel-worded message (the table in
 * messages.ts), `pc` the slot of the failing instruction (-1 for whole-program problems) and
 * `insn` that instruction in LLVM/kernel syntax.
 */
export class BpfVerifierError extends Error {
  override readonly name = 'BpfVerifierError';
  readonly insn: string;
  /** the verifier log up to the failure, when logging was asked for */
  log?: string;

  constructor(
    readonly reason: string,
    readonly pc: number,
    insns?: readonly BpfInsn[],
  ) {
    const insn = insns && pc >= 0 && pc < insns.length ? safeText(insns, pc) : '';
    super(pc >= 0 ? `pc ${pc}: ${reason}${insn ? ` (${insn})` : ''}` : reason);
    this.insn = insn;
  }
}

function safeText(insns: readonly BpfInsn[], pc: number): string {
  try {
    return disassembleInsn(insns, pc).text;
  } catch {
    return '';
  }
}
