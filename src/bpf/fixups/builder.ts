import type { BpfInsn } from '../instruction.js';
import { BpfAluOp, BpfClass, BpfJmpOp, BpfMode, BpfSize, BpfSource } from '../opcodes.js';
import type { PatchInsn } from './patch.js';

/**
 * A few BPF instruction constructors and a label-resolving sequence builder for the code the
 * fixups insert (the kernel writes the same with BPF_* macros in do_misc_fixups).
 */

type Size = 1 | 2 | 4 | 8;
const SIZE: Readonly<Record<Size, number>> = { 1: BpfSize.B, 2: BpfSize.H, 4: BpfSize.W, 8: BpfSize.DW };

export const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });
export const aluImm = (op: number, dst: number, imm: number, wide = true): BpfInsn => insn((wide ? BpfClass.ALU64 : BpfClass.ALU) | op | BpfSource.K, dst, 0, 0, imm);
export const aluReg = (op: number, dst: number, src: number, wide = true): BpfInsn => insn((wide ? BpfClass.ALU64 : BpfClass.ALU) | op | BpfSource.X, dst, src);
export const movImm = (dst: number, imm: number): BpfInsn => aluImm(BpfAluOp.MOV, dst, imm);
export const movReg = (dst: number, src: number): BpfInsn => aluReg(BpfAluOp.MOV, dst, src);
/** MOVSX dst = (s32) src (cpu v4) */
export const movsx32 = (dst: number, src: number): BpfInsn => insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, dst, src, 32);
export const ldx = (size: Size, dst: number, src: number, off: number): BpfInsn => insn(BpfClass.LDX | BpfMode.MEM | SIZE[size], dst, src, off);
export const toBe = (dst: number, bits: 16 | 32): BpfInsn => insn(BpfClass.ALU | BpfAluOp.END | BpfSource.X, dst, 0, 0, bits);
export const exit = (): BpfInsn => insn(BpfClass.JMP | BpfJmpOp.EXIT);
export const callx = (reg: number): BpfInsn => insn(BpfClass.JMP | BpfJmpOp.CALL | BpfSource.X, reg);
export const callLocalAppended = (index: number): PatchInsn => ({ ...insn(BpfClass.JMP | BpfJmpOp.CALL, 0, 1), toAppended: index });

/** Instructions with forward/backward jumps to named labels, resolved by finish(). */
export class Sequence {
  private readonly out: PatchInsn[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { at: number; label: string }[] = [];

  emit(...insns: PatchInsn[]): this {
    this.out.push(...insns);
    return this;
  }

  label(name: string): this {
    this.labels.set(name, this.out.length);
    return this;
  }

  /** conditional jump against an immediate (64-bit compare) */
  jumpImm(op: number, dst: number, imm: number, label: string): this {
    this.fixups.push({ at: this.out.length, label });
    this.out.push(insn(BpfClass.JMP | op | BpfSource.K, dst, 0, 0, imm));
    return this;
  }

  jumpReg(op: number, dst: number, src: number, label: string): this {
    this.fixups.push({ at: this.out.length, label });
    this.out.push(insn(BpfClass.JMP | op | BpfSource.X, dst, src));
    return this;
  }

  goto(label: string): this {
    this.fixups.push({ at: this.out.length, label });
    this.out.push(insn(BpfClass.JMP | BpfJmpOp.JA));
    return this;
  }

  finish(): PatchInsn[] {
    for (const f of this.fixups) {
      const target = this.labels.get(f.label);
      if (target === undefined) throw new Error(`fixup sequence: label '${f.label}' is not bound`);
      this.out[f.at] = { ...this.out[f.at]!, off: target - (f.at + 1) };
    }
    return this.out;
  }
}
