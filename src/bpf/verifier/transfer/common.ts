import type { BpfInsn } from '../../instruction.js';
import type { VerifierEnv } from '../env.js';
import { MSG } from '../messages.js';
import type { RegState } from '../reg-state.js';
import type { VerifierState } from '../state.js';

/** What one instruction leads to: the states and pcs to continue from (none: the path ends). */
export interface Successor {
  readonly state: VerifierState;
  readonly pc: number;
}

export interface StepContext {
  readonly env: VerifierEnv;
  readonly state: VerifierState;
  readonly insn: BpfInsn;
  readonly pc: number;
}

/** The register, which must be readable (the kernel's check_reg_arg with SRC_OP). */
export function readReg(env: VerifierEnv, state: VerifierState, r: number, pc: number): RegState {
  const reg = state.cur.regs[r] as RegState;
  if (reg.type === 'not_init') env.fail(MSG.notReadable(r), pc);
  return reg;
}

/** Kernel spelling of ALU operators in messages (bpf_alu_string). */
export const ALU_OP_TEXT: Readonly<Record<number, string>> = {
  0x00: '+=',
  0x10: '-=',
  0x20: '*=',
  0x30: '/=',
  0x40: '|=',
  0x50: '&=',
  0x60: '<<=',
  0x70: '>>=',
  0x80: 'neg',
  0x90: '%=',
  0xa0: '^=',
  0xb0: '=',
  0xc0: 's>>=',
  0xd0: 'endian',
};
