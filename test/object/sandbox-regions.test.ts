import { describe, it } from 'vitest';
import { REGION_CASES, checkRegionCase } from '../support/region-cases.js';

/** Exact regions in the interpreter (the object API's interpreter engine, with its Memory). */
describe('sandbox regions: interpreter', () => {
  for (const c of REGION_CASES) {
    it(`${c.program}${c.meta !== undefined ? ` (${c.meta} bytes of metadata)` : ''}`, () => {
      checkRegionCase(c, 'interpreter');
    });
  }
});
