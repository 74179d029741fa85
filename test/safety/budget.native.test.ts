import { describe, expect, it } from 'vitest';
import { BpfBudgetError, BpfRuntimeError, DEFAULT_MAX_INSTRUCTIONS, assembleUbpf, interpret } from '../../src/bpf/index.js';
import { DEFAULT_JIT_BUDGET, JitCompileError, JitProgram } from '../../src/jit/index.js';
import { caught } from '../support/caught.js';

/**
 * The instruction budget (issue 10, point 4): unverified code under the JIT counts back-edges
 * and calls in x24 and stops with a BpfBudgetError when it runs out, as the interpreter stops
 * after its instruction budget.
 */
/** r0 = the number of iterations of a loop of R2 iterations (back-edge at pc 2). */
const LOOP = assembleUbpf('mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, %r2, loop\nexit');

describe('instruction budget', () => {
  it('an endless loop stops with the budget error, JIT and interpreter alike', () => {
    const endless = assembleUbpf('mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit');
    const jit = JitProgram.compile(endless, { verify: false });
    const e = caught(() => jit.run()) as BpfBudgetError;
    expect(e).toBeInstanceOf(BpfBudgetError);
    expect([e.pc, e.budget, e.counts]).toEqual([2, DEFAULT_JIT_BUDGET, 'back-edges and calls']);
    expect(e.message).toBe('pc 2: instruction budget of 1000000 back-edges and calls exhausted');
    jit.free();
    const i = caught(() => interpret(endless)) as BpfBudgetError;
    expect(i).toBeInstanceOf(BpfBudgetError);
    expect([i.budget, i.counts]).toEqual([DEFAULT_MAX_INSTRUCTIONS, 'instructions']);
    expect(DEFAULT_JIT_BUDGET).toBe(DEFAULT_MAX_INSTRUCTIONS);
  });

  it('`ja -1` (a jump to itself) stops too', () => {
    const jit = JitProgram.compile(assembleUbpf('ja -1\nexit'), { verify: false, budget: 10 });
    expect((caught(() => jit.run()) as BpfBudgetError).pc).toBe(0);
    jit.free();
  });

  it('is configurable: exactly `budget` back-edges succeed, the next one stops the run', () => {
    // n iterations take n back-edge ticks (the last one is not taken, but counts: see budget.ts)
    const jit = JitProgram.compile(LOOP, { verify: false, budget: 1000 });
    expect(jit.call(null, 1000n)).toBe(1000n);
    const e = caught(() => jit.call(null, 1001n)) as BpfBudgetError;
    expect([e.pc, e.budget]).toEqual([2, 1000]);
    // every run starts with the whole budget
    expect(jit.call(null, 1000n)).toBe(1000n);
    jit.free();
  });

  it('calls take ticks too: endless callx recursion stops by the budget before the native stack runs out', () => {
    const recurse = assembleUbpf('lddw %r2, func f\ncall %r2\nexit\nf:\nlddw %r2, func f\ncall %r2\nexit');
    const jit = JitProgram.compile(recurse, { verify: false, budget: 500 });
    const e = caught(() => jit.run()) as BpfBudgetError;
    expect(e).toBeInstanceOf(BpfBudgetError);
    expect(e.pc).toBe(6); // the callx in f
    jit.free();
    // and the interpreter stops it at its frame limit
    expect((caught(() => interpret(recurse)) as BpfRuntimeError).message).toMatch(/call stack exceeds 8 frames/);
  });

  it('`budget: false` compiles without one: no x24 in the code, and a long loop runs to its end', () => {
    const jit = JitProgram.compile(LOOP, { verify: false, budget: false });
    expect(jit.formatListing()).not.toMatch(/x24/);
    expect(jit.call(null, 3_000_000n)).toBe(3_000_000n);
    jit.free();
    const budgeted = JitProgram.compile(LOOP, { verify: false });
    expect(budgeted.formatListing()).toMatch(/cbnz\s+x24/);
    expect(budgeted.compiled.budget).toBe(DEFAULT_JIT_BUDGET);
    budgeted.free();
  });

  it('a budget that is not a positive integer is a compile error', () => {
    for (const budget of [0, -1, 1.5, Number.NaN]) {
      expect(() => JitProgram.compile(LOOP, { verify: false, budget })).toThrow(JitCompileError);
    }
  });

  it('a run started by a helper has a budget of its own and leaves the outer one alone', () => {
    let inner: unknown;
    const prog = JitProgram.compile(assembleUbpf('mov %r6, %r2\nmov %r1, %r2\ncall 1\nmov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, %r6, loop\nexit'), {
      verify: false,
      budget: 100,
      helpers: new Map([
        [
          1,
          (r1: bigint) => {
            if (r1 === 90n) inner = caught(() => prog.call(null, 200n));
            return 0n;
          },
        ],
      ]),
    });
    expect(prog.call(null, 90n)).toBe(90n);
    expect(inner).toBeInstanceOf(BpfBudgetError);
    prog.free();
  });
});
