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
        // buffer addresses (and so distances to them) differ from run to run
        const norm = (m: string): string => m.replace(/0x[0-9a-f]{9,}/g, 'A').replace(/\d+ bytes (below|past)/g, 'N bytes $1');
        expect(norm(jit.message)).toBe(norm(interp.message));
      }
    });
  }
});
