import type { BpfInsn } from '../instruction.js';
import { insnKind } from '../insn-kind.js';
import { BpfCallSrc, BpfClass, BpfJmpOp, BpfPseudo, OP_LDDW } from '../opcodes.js';

/**
 * Replace instructions of a program by instruction sequences and append new functions,
 * keeping every jump, BPF-to-BPF call and function address (LDDW src 4) of the original code
 * pointing at the same instruction (the kernel's bpf_patch_insn_data). A jump to a replaced
 * instruction lands on the first instruction of its replacement. Instructions inside a
 * replacement or an appended function are taken as written (their offsets are relative to
 * themselves), except calls and function addresses marked to reach an appended function.
 */

/** One instruction of a replacement; `toAppended` makes a CALL src 1 / LDDW src 4 reach appended function i. */
export type PatchInsn = BpfInsn & { readonly toAppended?: number };

export interface PatchedProgram {
  readonly insns: BpfInsn[];
  /** new pc -> the original pc it came from (-1 for appended functions) */
  readonly origin: readonly number[];
  /** original pc -> new pc of its first instruction */
  readonly newPc: readonly number[];
}

export class BpfPatchError extends Error {
  override readonly name = 'BpfPatchError';
  constructor(readonly reason: string, readonly pc: number) {
    super(`pc ${pc}: ${reason}`);
  }
}

const S16 = (v: number): boolean => v >= -0x8000 && v <= 0x7fff;

export function patchProgram(
  program: readonly BpfInsn[],
  patches: ReadonlyMap<number, readonly PatchInsn[]>,
  appended: readonly (readonly PatchInsn[])[] = [],
): PatchedProgram {
  const newPc: number[] = new Array<number>(program.length + 1);
  let at = 0;
  for (let pc = 0; pc < program.length; pc++) {
    newPc[pc] = at;
    at += patches.get(pc)?.length ?? 1;
  }
  newPc[program.length] = at;
  const appendedAt: number[] = [];
  for (const f of appended) {
    appendedAt.push(at);
    at += f.length;
  }

  const insns: BpfInsn[] = [];
  const origin: number[] = [];
  const place = (insn: PatchInsn, from: number): void => {
    const here = insns.length;
    const { toAppended, ...plain } = insn;
    const out: BpfInsn = { ...plain };
    if (toAppended !== undefined) {
      const target = appendedAt[toAppended];
      if (target === undefined) throw new BpfPatchError(`reference to appended function ${toAppended}, which does not exist`, from);
      out.imm = target - (here + 1);
    }
    insns.push(out);
    origin.push(from);
  };
  let lddwTail = false;
  for (let pc = 0; pc < program.length; pc++) {
    const patch = patches.get(pc);
    if (patch !== undefined) {
      for (const p of patch) place(p, pc);
      continue;
    }
    const insn = program[pc]!;
    if (lddwTail) {
      lddwTail = false;
      place(insn, pc);
      continue;
    }
    const here = insns.length;
    const out: BpfInsn = { ...insn };
    const k = insnKind(insn);
    const retarget = (oldTarget: number): number => {
      const t = newPc[oldTarget];
      if (t === undefined) throw new BpfPatchError(`target ${oldTarget} is outside the program`, pc);
      return t - (here + 1);
    };
    if (k?.kind === 'ja' || k?.kind === 'jcond') {
      const wide = (insn.code & 0x07) === BpfClass.JMP32 && (insn.code & 0xf0) === BpfJmpOp.JA;
      const old = pc + 1 + (wide ? insn.imm : insn.off);
      const delta = retarget(old);
      if (wide) out.imm = delta;
      else if (!S16(delta)) throw new BpfPatchError(`jump offset ${delta} no longer fits in 16 bits after rewriting`, pc);
      else out.off = delta;
    } else if (k?.kind === 'call-local' && insn.src === BpfCallSrc.LOCAL) {
      out.imm = retarget(pc + 1 + insn.imm);
    } else if (insn.code === OP_LDDW) {
      if (insn.src === BpfPseudo.FUNC) out.imm = retarget(pc + 1 + insn.imm);
      lddwTail = true;
    }
    insns.push(out);
    origin.push(pc);
  }
  appended.forEach((f) => {
    for (const p of f) place(p, -1);
  });
  return { insns, origin, newPc };
}
