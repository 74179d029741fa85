import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/bpf/program-generator.js';
import { asm } from './support.js';
import { checkCase, fuzzCase } from './fuzz-support.js';

/** The fuzz's oracle can fail: unverified programs that break each of its checks are caught. */
describe('verifier fuzz oracle', () => {
  const unverified = (src: string, memSize = 8) => checkCase(asm(src), { memSize }, memSize, new Rng(1), false);

  it('catches an out-of-bounds access, an address in R0 or in memory, a run past the budget', () => {
    expect(unverified('r0 = *(u8 *)(r1 + 8); exit')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/out-of-bounds read/) });
    expect(unverified('r0 = r1; exit')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/R0 depends on the address of the memory, the stack or a function/) });
    expect(unverified('*(u64 *)(r1 + 0) = r1; r0 = 0; exit')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/final bytes depend on the address of the memory, the stack or a function/) });
    expect(unverified('r0 = r10; exit')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/R0 depends on the address of the memory, the stack or a function/) });
    // a stack address with its high bits masked off, and one stored into the memory
    expect(unverified('r0 = r10; r0 &= 0xffff; exit')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/R0 depends on the address of the memory, the stack or a function/) });
    expect(unverified('r0 = func(pc+0x1) ll; exit; r0 = 0; exit')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/R0 depends on the address of the memory, the stack or a function/) });
    expect(unverified('r2 = r10; r2 += -8; *(u64 *)(r1 + 0) = r2; r0 = 0; exit')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/final bytes depend on the address of the memory, the stack or a function/) });
    expect(unverified('r0 = 0; goto -1')).toMatchObject({ kind: 'unsound', why: expect.stringMatching(/budget/) });
  });

  it('passes a safe program, verified or not', () => {
    // numbers that only look like a stack or function address (fuzz seeds 809609, 757615 and
    // 784625 built the interpreter's STACK_TOP and CODE_BASE from stack bytes: taken for leaks)
    expect(unverified('r0 = 0x7f; r0 <<= 40; exit')).toEqual({ kind: 'accepted', ran: true });
    expect(unverified('r0 = 0x7e; r0 <<= 40; exit')).toEqual({ kind: 'accepted', ran: true }); // CODE_BASE (seeds 757615, 784625)
    expect(unverified('r0 = *(u8 *)(r1 + 7); exit')).toEqual({ kind: 'accepted', ran: true });
    expect(checkCase(asm('r0 = *(u8 *)(r1 + 7); exit'), { memSize: 8 }, 8, new Rng(1))).toEqual({ kind: 'accepted', ran: true });
    expect(checkCase(asm('r0 = *(u8 *)(r1 + 8); exit'), { memSize: 8 }, 8, new Rng(1))).toEqual({ kind: 'rejected' });
  });

  it('sandbox mode: a program it leaves to run time is run with the checks, which may stop it', () => {
    // refused in normal mode, accepted in sandbox mode: an index up to 15 into 8 bytes, and a loop left to the budget
    expect(checkCase(asm('r2 = *(u8 *)(r1 + 0); r2 &= 15; r1 += r2; r0 = *(u8 *)(r1 + 0); exit'), { memSize: 8 }, 8, new Rng(1))).toEqual({ kind: 'rejected', sandboxRan: true });
    expect(checkCase(asm('r0 = 0; goto -1'), { memSize: 8 }, 8, new Rng(1))).toEqual({ kind: 'rejected', sandboxRan: true });
    // refused in both modes: nothing runs
    expect(checkCase(asm('r0 = r10; exit'), { memSize: 8 }, 8, new Rng(1))).toEqual({ kind: 'rejected' });
  });
});

/** Seeds of `npm run fuzz:verifier` that once reported a problem, each fixed where it was. */
describe('verifier fuzz seeds that once failed', () => {
  const FIXED: readonly [number, string][] = [
    [809_609, 'the oracle took a number equal to STACK_TOP for a leaked stack address'],
    [757_615, 'the oracle took a number equal to CODE_BASE for a leaked function address'],
    [784_625, 'the same'],
    [1_100_874, "sandbox mode refused what normal mode accepts (its widening lost a stack pointer's offset): it tries the full proof first"],
    [1_191_080, 'the sandbox-mode run got the memory sandbox mode "needed", too large to print'],
  ];
  it.each(FIXED)('seed %i (%s)', (seed) => {
    const c = fuzzCase(seed);
    const outcome = checkCase(c.insns, c.options, c.memSize, new Rng(seed));
    expect(['accepted', 'rejected']).toContain(outcome.kind);
  });
});
