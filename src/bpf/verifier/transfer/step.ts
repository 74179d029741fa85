import type { BpfInsn } from '../../instruction.js';
import { lddwValue } from '../../instruction.js';
import { callTarget, jumpTarget } from '../../insn-kind.js';
import { BpfPseudo } from '../../opcodes.js';
import type { VerifierEnv } from '../env.js';
import { MSG } from '../messages.js';
import { NOT_INIT, constReg, ptrReg, scalarReg } from '../reg-state.js';
import { unsignedRange } from '../scalar.js';
import { readReg } from './common.js';
import type { VerifierState } from '../state.js';
import { aluStep } from './alu.js';
import { jcondStep } from './branch.js';
import { callHelper, callLocal, callNative, callx, exitStep } from './call.js';
import type { Successor } from './common.js';
import { memoryStep } from './memory.js';

/**
 * One instruction's transfer function, by kind. The state passed in is the path's own (it is
 * changed in place); a second successor gets a copy.
 */
export function step(env: VerifierEnv, state: VerifierState, pc: number): Successor[] {
  const insn = env.insns[pc] as BpfInsn;
  const k = env.cfg.kinds[pc];
  if (!k) return env.fail(`unknown opcode 0x${insn.code.toString(16)}`, pc);
  const ctx = { env, state, insn, pc };
  switch (k.kind) {
    case 'alu':
    case 'neg':
    case 'end':
      aluStep(ctx, k);
      return [{ state, pc: pc + 1 }];
    case 'load':
    case 'store':
    case 'atomic':
    case 'load-acquire':
    case 'store-release':
      memoryStep(ctx, k);
      return [{ state, pc: pc + 1 }];
    case 'lddw':
      lddwStep(env, state, insn, pc);
      return [{ state, pc: pc + 2 }];
    case 'ja':
      return [{ state, pc: jumpTarget(insn, pc) }];
    case 'jcond':
      return jcondStep(ctx, k);
    case 'call-helper':
      return callHelper(ctx, k.id);
    case 'call-local':
      return callLocal(ctx, callTarget(insn, pc));
    case 'call-native':
      return callNative(ctx, k.id);
    case 'callx':
      return callx(ctx, k.reg);
    case 'exit':
      return exitStep(ctx);
    case 'ld-legacy':
      return ldAbsStep(env, state, insn, pc, k.size, k.indirect);
  }
}

/**
 * LD_ABS / LD_IND (the kernel's check_ld_abs): R6 must be the context, the offset register a
 * number; R0 gets the loaded bytes (a packet read out of bounds ends the program with R0 = 0,
 * which the exit rules must allow), R1-R5 are clobbered.
 */
function ldAbsStep(env: VerifierEnv, state: VerifierState, insn: BpfInsn, pc: number, size: number, indirect: boolean): Successor[] {
  if (!env.context) return env.fail(MSG.unsupportedLegacy(), pc);
  if (env.info.functions.length > 1) return env.fail(MSG.ldAbsCalls(), pc);
  if (state.refs.length > 0) return env.fail(MSG.ldAbsRefs(), pc);
  if (state.cur.regs[6]?.type !== 'ctx') return env.fail(MSG.ldAbsCtx(), pc);
  if (indirect) {
    const r = readReg(env, state, insn.src, pc);
    if (r.type !== 'scalar') env.fail(MSG.leakInto(insn.src, 'packet'), pc);
  }
  const range = env.returnRange;
  if (range && (range.min > 0 || range.max < 0)) env.fail(MSG.programReturn('0', `[${range.min}, ${range.max}]`), pc);
  const frame = state.cur;
  for (let r = 1; r <= 5; r++) frame.regs[r] = NOT_INIT;
  frame.regs[0] = scalarReg(unsignedRange(0n, (1n << BigInt(8 * size)) - 1n));
  return [{ state, pc: pc + 1 }];
}

/** LDDW: a constant, a map, a map value (global data), or a function address. */
function lddwStep(env: VerifierEnv, state: VerifierState, insn: BpfInsn, pc: number): void {
  const next = env.insns[pc + 1] as BpfInsn;
  const regs = state.cur.regs;
  switch (insn.src) {
    case BpfPseudo.IMM64:
      regs[insn.dst] = constReg(lddwValue(insn, next));
      return;
    case BpfPseudo.FUNC:
      regs[insn.dst] = ptrReg('func', { map: callTarget(insn, pc) });
      return;
    case BpfPseudo.MAP_FD:
    case BpfPseudo.MAP_IDX: {
      const slot = env.mapSlot('map', insn.imm);
      if (slot === undefined) return env.fail(MSG.invalidMapIndex(insn.imm), pc);
      regs[insn.dst] = ptrReg('map_ptr', { map: slot });
      return;
    }
    case BpfPseudo.MAP_VALUE:
    case BpfPseudo.MAP_IDX_VALUE: {
      const slot = env.mapSlot('data', insn.imm);
      if (slot === undefined) return env.fail(MSG.invalidMapIndex(insn.imm), pc);
      const off = next.imm >>> 0;
      const size = env.map(slot).valueSize;
      if (off > size) return env.fail(MSG.mapValueAccess(size, off, 0), pc);
      regs[insn.dst] = ptrReg('map_value', { map: slot, off });
      return;
    }
    default:
      env.fail(MSG.unsupportedPseudo(insn.src), pc);
  }
}
