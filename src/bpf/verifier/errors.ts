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

  /** the refusal came from the sandbox's analysis (VerifyOptions.sandbox), not a full proof */
  readonly sandbox: boolean;

  constructor(
    readonly reason: string,
    readonly pc: number,
    insns?: readonly BpfInsn[],
    options: { readonly sandbox?: boolean } = {},
  ) {
    const insn = insns && pc >= 0 && pc < insns.length ? safeText(insns, pc) : '';
    const where = options.sandbox === true ? "the sandbox's analysis refused the program: " : '';
    super(`${where}${pc >= 0 ? `pc ${pc}: ${reason}${insn ? ` (${insn})` : ''}` : reason}`);
    this.insn = insn;
    this.sandbox = options.sandbox === true;
  }
}

function safeText(insns: readonly BpfInsn[], pc: number): string {
  try {
    return disassembleInsn(insns, pc).text;
  } catch {
    return '';
  }
}
