import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/bpf/program-generator.js';
import { asm } from './support.js';
import { checkCase } from './fuzz-support.js';

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
