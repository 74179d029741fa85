import { BpfJmpOp, NEGATED_JMP } from '../../bpf/index.js';
import { JNSET } from '../emit-branch.js';

/** The inverse of each jump condition (JSET's is JNSET, which only the JIT has). */
export const INVERSE_CONDITION: Readonly<Record<number, number>> = {
  ...NEGATED_JMP,
  [BpfJmpOp.JSET]: JNSET,
  [JNSET]: BpfJmpOp.JSET,
};
