import {
  BpfAluOp,
  BpfClass,
  BpfJmpOp,
  BpfSource,
  OP_LDDW,
  bpfClass,
  insnKind,
  lddw,
  lddwValue,
  validateProgram,
  type BpfInsn,
  type FunctionInfo,
  type ProgramInfo,
} from '../bpf/index.js';
import { JitCompileError } from './errors.js';
import { BPF_REG_AX } from './registers.js';

/**
 * Constant blinding, as the kernel's bpf_jit_blind_constants (bpf_jit_harden): every
 * immediate a program supplies is replaced by `AX = rnd ^ imm; AX ^= rnd` followed by the
 * register form of the instruction, so no attacker-chosen constant appears verbatim in
 * executable memory (JIT spraying). AX is an extra register (x9) only the JIT sees.
 * Jump and call offsets are re-targeted to the rewritten slots.
 */
export function blindConstants(program: readonly BpfInsn[], seed: number): { program: BpfInsn[]; info: ProgramInfo; slotOf: readonly number[] } {
  const info = validateProgram(program);
  const random = xorshift(seed);
  const groups: BpfInsn[][] = [];
  /** which slot of the group holds the original instruction (whose offsets must be fixed) */
  const anchors: number[] = [];
  for (let pc = 0; pc < program.length; pc++) {
    const insn = program[pc]!;
    const [group, anchor] = blind(insn, program[pc + 1], random);
    groups.push(group);
    anchors.push(anchor);
    if (group.length > 0 && insnKind(insn)?.kind === 'lddw' && insn.src === 0) {
      // the LDDW pair was rewritten as a whole: its second slot becomes an empty group
      pc++;
      groups.push([]);
      anchors.push(-1);
    }
  }
  const start: number[] = [];
  let n = 0;
  for (const g of groups) {
    start.push(n);
    n += g.length;
  }
  start.push(n);
  const out: BpfInsn[] = [];
  groups.forEach((g, pc) => {
    g.forEach((insn, i) => {
      const here = start[pc]! + i;
      if (i !== anchors[pc]) {
        out.push(insn);
        return;
      }
      out.push(retarget(insn, pc, here, start));
    });
  });
  const functions: FunctionInfo[] = info.functions.map((f) => ({ ...f, start: start[f.start]!, end: start[f.end]! }));
  // every LDDW of the output (blinding adds one per blinded LDDW: the mask into AX)
  const lddwTails = new Set<number>();
  for (let pc = 0; pc < out.length; pc++) if (out[pc]!.code === OP_LDDW) lddwTails.add(++pc);
  // where each original slot's instruction went (its anchor; -1 for an LDDW's rewritten tail)
  const slotOf = anchors.map((anchor, pc) => (anchor < 0 ? -1 : start[pc]! + anchor));
  return { program: out, info: { ...info, functions, lddwTails }, slotOf };
}

/** Rewrites one instruction; returns the replacement slots and the index of the original. */
function blind(insn: BpfInsn, next: BpfInsn | undefined, random: () => number): [BpfInsn[], number] {
  const k = insnKind(insn);
  const rnd = random() | 0;
  const ax = BPF_REG_AX;
  const movAx = (wide: boolean, value: number): BpfInsn => ({ code: (wide ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.MOV | BpfSource.K, dst: ax, src: 0, off: 0, imm: value });
  const xorAx = (wide: boolean): BpfInsn => ({ code: (wide ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.XOR | BpfSource.K, dst: ax, src: 0, off: 0, imm: rnd });
  if (!k) return [[insn], 0];
  switch (k.kind) {
    case 'alu':
      if (k.source !== 'imm') return [[insn], 0];
      if (k.op === BpfAluOp.MOV && insn.imm === 0) return [[insn], 0];
      return [[movAx(k.width === 64, rnd ^ insn.imm), xorAx(k.width === 64), { ...insn, code: insn.code | BpfSource.X, src: ax, imm: 0 }], 2];
    case 'jcond':
      if (k.source !== 'imm') return [[insn], 0];
      return [[movAx(k.width === 64, rnd ^ insn.imm), xorAx(k.width === 64), { ...insn, code: insn.code | BpfSource.X, src: ax, imm: 0 }], 2];
    case 'store':
      if (k.source !== 'imm' || k.stackArg) return [[insn], 0];
      // ST [dst+off] = imm  ->  AX = imm; STX [dst+off] = AX (same size)
      return [[movAx(true, rnd ^ insn.imm), xorAx(true), { code: (insn.code & ~0x07) | BpfClass.STX, dst: insn.dst, src: ax, off: insn.off, imm: 0 }], 2];
    case 'lddw': {
      if (insn.src !== 0 || !next) return [[insn], 0];
      const value = lddwValue(insn, next);
      const mask = BigInt.asUintN(64, (BigInt(rnd >>> 0) << 32n) | BigInt(random() >>> 0));
      const [a1, a2] = lddw(insn.dst, value ^ mask);
      const [b1, b2] = lddw(ax, mask);
      return [[a1, a2, b1, b2, { code: BpfClass.ALU64 | BpfAluOp.XOR | BpfSource.X, dst: insn.dst, src: ax, off: 0, imm: 0 }], 0];
    }
    default:
      return [[insn], 0];
  }
}

/** Re-point a jump/call/function-address at the rewritten slots. */
function retarget(insn: BpfInsn, oldPc: number, newPc: number, start: readonly number[]): BpfInsn {
  const k = insnKind(insn);
  if (!k) return insn;
  const to = (oldTarget: number): number => start[oldTarget]! - (newPc + 1);
  switch (k.kind) {
    case 'ja': {
      const rel = to(oldPc + 1 + k.offset);
      if (bpfClass(insn.code) === BpfClass.JMP32) return { ...insn, imm: rel };
      if (rel >= -0x8000 && rel <= 0x7fff) return { ...insn, off: rel };
      return { code: BpfClass.JMP32 | BpfJmpOp.JA, dst: 0, src: 0, off: 0, imm: rel };
    }
    case 'jcond': {
      const rel = to(oldPc + 1 + insn.off);
      if (rel < -0x8000 || rel > 0x7fff) throw new JitCompileError('jump too far after constant blinding (offset beyond 16 bits)', oldPc);
      return { ...insn, off: rel };
    }
    case 'call-local':
      return { ...insn, imm: to(oldPc + 1 + insn.imm) };
    case 'lddw':
      return insn.src === 4 ? { ...insn, imm: to(oldPc + 1 + insn.imm) } : insn;
    default:
      return insn;
  }
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
