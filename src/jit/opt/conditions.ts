import { BpfJmpOp } from '../../bpf/index.js';
import { JNSET } from '../emit-branch.js';

/** The inverse of each jump condition (JSET's is JNSET, which only the JIT has). */
export const INVERSE_CONDITION: Readonly<Record<number, number>> = {
  [BpfJmpOp.JEQ]: BpfJmpOp.JNE,
  [BpfJmpOp.JNE]: BpfJmpOp.JEQ,
  [BpfJmpOp.JGT]: BpfJmpOp.JLE,
  [BpfJmpOp.JLE]: BpfJmpOp.JGT,
  [BpfJmpOp.JGE]: BpfJmpOp.JLT,
  [BpfJmpOp.JLT]: BpfJmpOp.JGE,
  [BpfJmpOp.JSGT]: BpfJmpOp.JSLE,
  [BpfJmpOp.JSLE]: BpfJmpOp.JSGT,
  [BpfJmpOp.JSGE]: BpfJmpOp.JSLT,
  [BpfJmpOp.JSLT]: BpfJmpOp.JSGE,
  [BpfJmpOp.JSET]: JNSET,
  [JNSET]: BpfJmpOp.JSET,
};
