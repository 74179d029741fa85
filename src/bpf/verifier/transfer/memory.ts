import type { InsnKind } from '../../insn-kind.js';
import { BPF_REG_PARAMS, BpfAtomicOp } from '../../opcodes.js';
import { checkAccess } from '../access.js';
import { MSG } from '../messages.js';
import type { RegState } from '../reg-state.js';
import { UNKNOWN, constReg, isPtr, scalarReg } from '../reg-state.js';
import { unsignedRange } from '../scalar.js';
import type { StepContext } from './common.js';
import { readReg } from './common.js';
import { freshUnknown } from './alu.js';
import { isConst } from '../scalar.js';

/**
 * Loads, stores, atomics and the stack-argument slots through R11 (the kernel's check_mem_access
 * callers, check_atomic, and the stack-argument rules of docs/bpf-stack-args.md; the static
 * part of those rules is validate.ts's, the values travelling through the slots are tracked here).
 */
type MemKind = Extract<InsnKind, { kind: 'load' | 'store' | 'atomic' | 'load-acquire' | 'store-release' }>;

const data = (size: number): RegState => (size === 8 ? UNKNOWN : scalarReg(unsignedRange(0n, (1n << BigInt(8 * size)) - 1n)));

export function memoryStep(ctx: StepContext, k: MemKind): void {
  const { env, state, insn, pc } = ctx;
  const frame = state.cur;
  switch (k.kind) {
    case 'load':
    case 'load-acquire': {
      if (k.kind === 'load' && k.stackArg) {
        const slot = insn.off / 8 - 1;
        const v = frame.argsIn[slot];
        if (!v) env.fail(MSG.stackArgUninit(insn.off, state.frames.length - 1), pc);
        frame.regs[insn.dst] = v as RegState;
        return;
      }
      const ptr = readReg(env, state, insn.src, pc);
      const r = checkAccess(env, state, {
        pc,
        regno: insn.src,
        ptr,
        off: insn.off,
        size: k.size,
        kind: 'read',
        signed: k.kind === 'load' && k.signed,
        aligned: k.kind === 'load-acquire',
      });
      // a loaded number with few possible values is an unknown later results may be tables of
      frame.regs[insn.dst] = r?.type === 'scalar' && !r.fn && r.id === 0 && !isConst(r.v) ? freshUnknown(env, r.v) : (r as RegState);
      return;
    }
    case 'store':
    case 'store-release': {
      const value = k.kind === 'store' && k.source === 'imm' ? constReg(BigInt(insn.imm)) : readReg(env, state, insn.src, pc);
      if (k.kind === 'store' && k.stackArg) {
        frame.argsOut[-insn.off / 8 - 1] = value;
        return;
      }
      const ptr = readReg(env, state, insn.dst, pc);
      checkAccess(env, state, {
        pc,
        regno: insn.dst,
        ptr,
        off: insn.off,
        size: k.size,
        kind: 'write',
        value,
        valueRegno: insn.src,
        aligned: k.kind === 'store-release',
      });
      return;
    }
    case 'atomic': {
      const src = readReg(env, state, insn.src, pc);
      const ptr = readReg(env, state, insn.dst, pc);
      const where = ptr.type === 'stack' ? 'stack' : ptr.type === 'map_value' ? 'map' : 'mem';
      if (isPtr(src)) env.fail(MSG.leakInto(insn.src, where), pc);
      const cmpxchg = insn.imm === BpfAtomicOp.CMPXCHG;
      if (cmpxchg) {
        const r0 = readReg(env, state, 0, pc);
        if (isPtr(r0)) env.fail(MSG.leakInto(0, where), pc);
      }
      if (ptr.type !== 'stack' && ptr.type !== 'map_value' && ptr.type !== 'mem' && ptr.type !== 'scalar' && ptr.type !== 'not_init') {
        env.fail(MSG.atomicNotAllowed(insn.dst, ptr.type === 'pkt' || ptr.type === 'pkt_meta' ? 'pkt' : ptr.type), pc);
      }
      checkAccess(env, state, { pc, regno: insn.dst, ptr, off: insn.off, size: k.size, kind: 'atomic', aligned: true });
      // the old value comes back zero-extended from the access size
      if (cmpxchg) frame.regs[0] = data(k.size);
      else if (k.fetch) frame.regs[insn.src] = data(k.size);
      return;
    }
  }
}

export { BPF_REG_PARAMS };
