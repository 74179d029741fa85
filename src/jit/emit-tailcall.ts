import { Cond, SP, W10, W2, X1, X11, X29, addImm, br, cmpImm, cmpReg, ldr, mem, memIndex, subImm } from '../arm64/index.js';
import { MAX_TAIL_CALL_CNT } from '../bpf/index.js';
import { MAP_INLINE_STORAGE, MAP_MAX_ENTRIES } from '../runtime/maps/layout.js';
import type { Emit } from './emit-context.js';
import { JitCompileError } from './errors.js';
import { TAIL_CALL_COUNT } from './registers.js';
import { TAIL_CALL_PAIRS } from './frame.js';

/**
 * bpf_tail_call(ctx, prog_array, index) in the shape of the kernel's arm64
 * emit_bpf_tail_call: R1 (x0) stays the context, R2 (x1) is the native prog array (its
 * max_entries at +12, its slots inline after the 64-byte header), R3 (x2) the index, used as
 * a u32.
 *
 *   if (index >= max_entries) goto out;
 *   if (tcc >= MAX_TAIL_CALL_CNT) goto out;
 *   desc = slots[index]; if (!desc) goto out;
 *   entry = desc->jit_entry; if (!entry) goto out;     (a program without JIT code)
 *   tcc++; sp = x29 - 64 (drop this frame's BPF stack, keep the saved pairs); br entry
 *   out:
 *
 * `entry` is the target's tail-call entry: past its pushes and its tcc = 0, so the target
 * reuses this frame record and saved registers and its exit returns to our caller. When the
 * call fails the program goes on with R0 unchanged (the helper is RET_VOID).
 */
export function emitTailCall(e: Emit): void {
  if (!e.frame.tailCalls) throw new JitCompileError('bpf_tail_call needs a program compiled for tail calls (JitOptions.tailCalls)', e.pc);
  const a = e.a;
  const out = a.newLabel();
  a.emit(ldr(W10, mem(X1, MAP_MAX_ENTRIES)));
  a.emit(cmpReg(W2, W10));
  a.bCond(Cond.HS, out);
  a.emit(cmpImm(TAIL_CALL_COUNT, MAX_TAIL_CALL_CNT));
  a.bCond(Cond.HS, out);
  a.emit(addImm(X11, X1, MAP_INLINE_STORAGE));
  a.emit(ldr(X11, memIndex(X11, W2, 'uxtw', true)));
  a.cbz(X11, out);
  a.emit(ldr(X11, mem(X11, 0)));
  a.cbz(X11, out);
  a.emit(addImm(TAIL_CALL_COUNT, TAIL_CALL_COUNT, 1));
  a.emit(subImm(SP, X29, 16 * TAIL_CALL_PAIRS.length));
  a.emit(br(X11));
  a.bind(out);
}
