import { describe, expect, it } from 'vitest';
import { BpfHelperArgError } from '../../src/bpf/index.js';
import { HELPER_ARG_CASES, checkHelperArgCase } from '../support/helper-arg-cases.js';

/** The JIT's emitted checks, with the interpreter as the oracle (same helper, argument, pc, message). */
describe("helpers' pointer arguments without the sandbox: JIT", () => {
  for (const c of HELPER_ARG_CASES) {
    it(c.name, () => {
      const jit = checkHelperArgCase(c, 'jit');
      const interp = checkHelperArgCase(c, 'interpreter');
      if (jit instanceof BpfHelperArgError && interp instanceof BpfHelperArgError && typeof c.expect !== 'bigint' && !c.expect.interpreter) {
        // buffer addresses differ between the engines' runs, and so does which region is
        // nearest to an address outside all of them (the one with the lowest base, wherever
        // the allocator put it): that part is left out; an address inside a region is compared
        // by its offset. The JIT's stack region without the sandbox is every live frame at once
        // ('stack frame'), the interpreter's one per frame ('stack frame 0').
        const norm = (m: string): string =>
          m
            .replace(/ \(\d+ bytes (below|past) [^()]*\[0x[0-9a-f]+, \+\d+\)\)$/, '')
            .replace(/\[0x[0-9a-f]+, /g, '[A, ')
            .replace(/address 0x[0-9a-f]{7,} \(offset/g, 'address A (offset')
            .replace(/'stack frame \d+'/g, "'stack frame'");
        expect(norm(jit.message)).toBe(norm(interp.message));
      }
    });
  }
});
