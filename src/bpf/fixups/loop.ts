import { BPF_MAX_LOOPS } from '../helper-protos.js';
import type { BpfInsn } from '../instruction.js';
import { BpfAluOp, BpfJmpOp } from '../opcodes.js';
import { Sequence, aluImm, aluReg, callx, exit, movImm, movReg } from './builder.js';

/**
 * bpf_loop (helper 181) as BPF, as the kernel inlines it (inline_bpf_loop): the call becomes
 * a BPF-to-BPF call of one function appended to the program, which runs the callback with
 * `callx`, so both engines run the callback as an ordinary BPF function call and no native
 * code ever calls back into BPF. Semantics of the helper (kernel/bpf/bpf_iter.c bpf_loop):
 * nr_loops is a u32; more than BPF_MAX_LOOPS gives -E2BIG, flags other than 0 -EINVAL; the
 * callback gets (index, callback_ctx) and returns 0 to go on or 1 to stop; the result is the
 * number of iterations run (i + 1 when the callback stopped at i).
 *
 * The function keeps its loop state in R6-R9, which BPF calls preserve for their caller.
 */
export const LOOP_HELPER_ID = 181;

export function loopFunction(): BpfInsn[] {
  const s = new Sequence();
  s.jumpImm(BpfJmpOp.JNE, 4, 0, 'einval');
  s.emit(aluReg(BpfAluOp.MOV, 1, 1, false));
  s.jumpImm(BpfJmpOp.JGT, 1, BPF_MAX_LOOPS, 'e2big');
  s.emit(movReg(6, 1), movImm(7, 0), movReg(8, 3), movReg(9, 2));
  s.label('loop');
  s.jumpReg(BpfJmpOp.JGE, 7, 6, 'done');
  s.emit(movReg(1, 7), movReg(2, 8), callx(9), aluImm(BpfAluOp.ADD, 7, 1));
  s.jumpImm(BpfJmpOp.JEQ, 0, 0, 'loop');
  s.label('done').emit(movReg(0, 7), exit());
  s.label('einval').emit(movImm(0, -22), exit());
  s.label('e2big').emit(movImm(0, -7), exit());
  return s.finish();
}
