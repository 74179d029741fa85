import { describe, expect, it } from 'vitest';
import { CLANG } from '../support/bpf-clang.js';
import { haveTool } from '../bpf-formats/support/llvm-corpus.js';
import { POINTER_CASES, checkPointerCase, runPointerCase } from '../support/pointer-check-cases.js';

/** The sandbox's pointer-arithmetic checks in the interpreter (pointer-checks.native.test.ts: the JIT). */
describe('sandbox pointer-arithmetic checks: interpreter', () => {
  if (!haveTool(CLANG)) {
    it('needs clang-22', () => {
      throw new Error(`${CLANG} is not installed: run npm run setup`);
    });
    return;
  }
  for (const c of POINTER_CASES) it(`${c.program}(${c.index})`, () => void checkPointerCase(c, 'interpreter'));

  it('without the analysis, the region checks alone let the masked index read the next element', () => {
    // what the check is for: the next element is memory the program may touch
    expect(runPointerCase({ program: 'masked', index: 4, expect: 0n }, 'interpreter', false)).toBe(90n);
  });
});
