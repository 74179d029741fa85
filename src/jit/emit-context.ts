import type { Assembler, Cond, GpReg, Label } from '../arm64/index.js';
import type { BpfInsn } from '../bpf/index.js';
import type { FrameLayout } from './frame.js';
import type { SandboxRoutines } from './safety/sandbox.js';

/** The safety features of the program being compiled (src/jit/safety). */
export interface SafetyEmit {
  /** the budget's exit, when the program has a budget */
  readonly budgetExit: Label | undefined;
  /** the sandbox's check routines, when the program is sandboxed */
  readonly sandbox: SandboxRoutines | undefined;
  /** the same routines when helpers' arguments are checked (unproven code, sandboxed or not) */
  readonly helperArgs?: SandboxRoutines | undefined;
}

/** What the per-family emit helpers need from the compiler while one instruction is emitted. */
export interface Emit {
  readonly a: Assembler;
  readonly frame: FrameLayout;
  readonly program: readonly BpfInsn[];
  /** slot index of the instruction being compiled */
  readonly pc: number;
  readonly atomics: 'lse' | 'llsc';
  /** conditional branch to a BPF slot, relaxed to `b.!cond; b` when out of reach */
  branchTo(cond: Cond, targetPc: number): void;
  /** cbz/cbnz to a BPF slot, relaxed likewise */
  compareBranchTo(nonZero: boolean, reg: GpReg, targetPc: number): void;
  /** unconditional branch to a BPF slot */
  jumpTo(targetPc: number): void;
  /** TBZ/TBNZ on one bit, when the context allows them (optimized code only) */
  testBitBranchTo?(nonZero: boolean, reg: GpReg, bit: number, targetPc: number): void;
  /** entry label of the function starting at a slot */
  functionLabel(startPc: number): Label;
  /** this function's epilogue */
  readonly epilogue: Label;
  /** the entry function's unwind-everything path (helper exit, bad callx, budget, sandbox) */
  readonly exitAll: Label;
  readonly safety: SafetyEmit;
}

/** RFC 9669 section 3: an ALU64/JMP immediate is the 32-bit imm sign-extended to 64 bits. */
export function imm64(imm: number): bigint {
  return BigInt(imm);
}

/** The same immediate as the low 32 bits (ALU32/JMP32 operands). */
export function imm32(imm: number): bigint {
  return BigInt(imm >>> 0);
}
