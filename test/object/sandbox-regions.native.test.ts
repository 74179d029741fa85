import { describe, expect, it } from 'vitest';
import { BpfSandboxError } from '../../src/bpf/index.js';
import { REGION_CASES, checkRegionCase } from '../support/region-cases.js';

/** Exact regions in the JIT's emitted checks, against the interpreter (same pc, size, message). */
describe('sandbox regions: JIT', () => {
  for (const c of REGION_CASES) {
    it(`${c.program}${c.meta !== undefined ? ` (${c.meta} bytes of metadata)` : ''}`, () => {
      const jit = checkRegionCase(c, 'jit');
      const interp = checkRegionCase(c, 'interpreter');
      if (jit instanceof BpfSandboxError && interp instanceof BpfSandboxError) {
        expect(jit.pc).toBe(interp.pc);
        expect(jit.size).toBe(interp.size);
        expect(jit.message.replace(/0x[0-9a-f]+/g, 'A')).toBe(interp.message.replace(/0x[0-9a-f]+/g, 'A'));
      } else expect(jit).toBe(interp);
    });
  }
});
