import { describe, expect, it } from 'vitest';
import { BpfAluOp, BpfClass, BpfJmpOp, BpfSource, interpret, type BpfInsn } from '../../src/bpf/index.js';
import { JitProgram } from '../../src/jit/index.js';

/**
 * A 200,000-slot program whose loop spans more than B.cond's +-1 MiB reach in both
 * directions: the forward exit test and the backward loop branch must be relaxed to
 * `b.!cond; b`, and the program must still compute what the interpreter computes.
 */
const alu64 = (op: number, dst: number, imm: number): BpfInsn => ({ code: BpfClass.ALU64 | op | BpfSource.K, dst, src: 0, off: 0, imm });
const jmp = (op: number, dst: number, imm: number, off: number): BpfInsn => ({ code: BpfClass.JMP | op | BpfSource.K, dst, src: 0, off, imm });

function bigLoop(bodyPairs: number): BpfInsn[] {
  const body: BpfInsn[] = [];
  for (let i = 0; i < bodyPairs; i++) {
    // multipliers that need MOVZ+MOVK: about 4 AArch64 instructions per pair, so the body is
    // well beyond 1 MiB of code
    body.push(alu64(BpfAluOp.MUL, 0, 0x10001 + 2 * (i % 1000)));
    body.push(alu64(BpfAluOp.ADD, 0, i));
  }
  // r0 = 1; r6 = 0; top: if r6 >= 3 goto end; body; r6 += 1; if r6 < 3 goto top; end: exit
  const program: BpfInsn[] = [alu64(BpfAluOp.MOV, 0, 1), alu64(BpfAluOp.MOV, 6, 0)];
  const top = program.length;
  const tailLength = 2; // r6 += 1; if r6 < 3 goto top
  program.push(jmp(BpfJmpOp.JGE, 6, 3, body.length + tailLength));
  for (const insn of body) program.push(insn);
  program.push(alu64(BpfAluOp.ADD, 6, 1));
  program.push(jmp(BpfJmpOp.JLT, 6, 3, top - (program.length + 1)));
  program.push({ code: BpfClass.JMP | BpfJmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
  return program;
}

describe('far branches', () => {
  it('a 200,000-slot program with out-of-reach conditional branches compiles and runs correctly', () => {
    const program = bigLoop(100_000);
    expect(program.length).toBeGreaterThanOrEqual(200_000);
    const expected = interpret(program, { maxInstructions: 2_000_000 }).value;
    // about branch relaxation: the verifier's limits have tests of their own (and no budget,
    // which unverified code gets by default: the tier would decline it for that reason first)
    const jit = JitProgram.compile(program, { verify: false, budget: false });
    try {
      expect(jit.code.length).toBeGreaterThan(1024 * 1024);
      // both loop branches are out of B.cond's reach and were relaxed (by the 1:1 path: the
      // optimization tier declines programs this size, and says so)
      expect(jit.compiled.unoptimized).toMatch(/over 16384 slots/);
      expect(jit.compiled.relaxedBranches).toBe(2);
      expect(jit.run()).toBe(expected);
    } finally {
      jit.free();
    }
  });

  it('a small program needs no relaxation', () => {
    const program = bigLoop(100);
    const jit = JitProgram.compile(program);
    try {
      expect(jit.compiled.relaxedBranches).toBe(0);
      expect(jit.run()).toBe(interpret(program).value);
    } finally {
      jit.free();
    }
  });
});
