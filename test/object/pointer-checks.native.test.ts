import { describe, expect, it } from 'vitest';
import { BpfPointerError } from '../../src/bpf/index.js';
import { POINTER_CASES, checkPointerCase, runPointerCase } from '../support/pointer-check-cases.js';

/** The sandbox's pointer-arithmetic checks in the JIT's code, against the interpreter (same pc, same message). */
describe('sandbox pointer-arithmetic checks: JIT', () => {
  for (const c of POINTER_CASES) {
    it(`${c.program}(${c.index})`, () => {
      const jit = checkPointerCase(c, 'jit');
      const interp = runPointerCase(c, 'interpreter');
      if (jit instanceof BpfPointerError && interp instanceof BpfPointerError) {
        expect(jit.pc).toBe(interp.pc);
        expect(jit.message).toBe(interp.message);
      } else expect(jit).toBe(interp);
    });
  }

  it('without the analysis, the region checks alone let the masked index read the next element', () => {
    expect(runPointerCase({ program: 'masked', index: 5, expect: 0n }, 'jit', false)).toBe(91n);
  });
});
