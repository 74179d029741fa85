import { describe, expect, it } from 'vitest';
import { assembleUbpf } from '../../../src/bpf/index.js';
import { compileProgram, type CompileOptions } from '../../../src/jit/index.js';
import { MAX_OPTIMIZED_SLOTS } from '../../../src/jit/opt/index.js';

/**
 * Which tier compiles a program: the optimization tier by default; the 1:1 path with
 * `optimize: false` (-O0), and — explicitly, with the reason in CompiledProgram.unoptimized —
 * for what the tier does not implement: programs compiled for tail calls (their frames must
 * have the fixed shape another program's entry takes over) and any compile option it does not
 * know (a feature added to the 1:1 path is never silently lost by optimizing).
 */
const base: CompileOptions = { contextAddress: 0x10000n, helperIds: new Set([1, 5, 12]), atomics: 'lse' };
const SUM = assembleUbpf('mov %r0, %r1\nadd %r0, %r2\nexit');
const HELPER = assembleUbpf('mov %r6, %r1\ncall 5\nadd %r0, %r6\nexit');

describe('the optimization tier is the default, and says when it does not apply', () => {
  it('optimizes by default, helper calls included', () => {
    for (const insns of [SUM, HELPER]) {
      const c = compileProgram(insns, base);
      expect(c.optimizer).toBeDefined();
      expect(c.unoptimized).toBeUndefined();
    }
  });

  it('compiles 1:1 with optimize: false, without a reason (nothing was tried)', () => {
    const c = compileProgram(SUM, { ...base, optimize: false });
    expect(c.optimizer).toBeUndefined();
    expect(c.unoptimized).toBeUndefined();
  });

  it('programs compiled for tail calls get the 1:1 code, and the reason', () => {
    const c = compileProgram(HELPER, { ...base, tailCalls: true });
    expect(c.optimizer).toBeUndefined();
    expect(c.unoptimized).toMatch(/tail calls/);
    expect(Buffer.from(c.code)).toEqual(Buffer.from(compileProgram(HELPER, { ...base, tailCalls: true, optimize: false }).code));
  });

  it('a compile option the tier does not know sends the program to the 1:1 path', () => {
    const future = { ...base, instructionBudget: 1000 } as CompileOptions;
    const c = compileProgram(SUM, future);
    expect(c.optimizer).toBeUndefined();
    expect(c.unoptimized).toMatch(/'instructionBudget' is not implemented by the optimization tier/);
    // unset or false options are no features
    expect(compileProgram(SUM, { ...base, instructionBudget: undefined } as CompileOptions).optimizer).toBeDefined();
  });
});

describe('sizes the tier declines or adapts to', () => {
  it('a program over MAX_OPTIMIZED_SLOTS compiles 1:1, with the reason', () => {
    const big = assembleUbpf(`${'add %r0, 1\n'.repeat(MAX_OPTIMIZED_SLOTS)}exit`);
    const c = compileProgram(big, base);
    expect(c.optimizer).toBeUndefined();
    expect(c.unoptimized).toMatch(/over 16384 slots/);
  });

  it('a single-bit test whose target is beyond TBNZ reach is emitted as TST + B.cond, still optimized', () => {
    // jset over 10,000 slots of distinct multiplies (each MOV/MOVK + MUL): more than 32 KiB
    const body = Array.from({ length: 10_000 }, (_, i) => `mul %r0, ${0x10001 + 2 * i}`).join('\n');
    const c = compileProgram(assembleUbpf(`mov %r0, %r2\njset %r1, 0x8, +10000\n${body}\nexit`), base);
    expect(c.unoptimized).toBeUndefined();
    expect(c.optimizer?.['compare-branch'] ?? 0).toBe(0);
    expect(c.code.length).toBeGreaterThan(32 * 1024);
  });
});
