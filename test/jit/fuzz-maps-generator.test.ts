import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateProgram } from '../../src/bpf/program-generator.js';
import { encodeProgram, validateProgram } from '../../src/bpf/index.js';
import { FUZZ_MAP_PROGRAMS } from '../../src/jit/fuzz/maps.js';

/**
 * The generator's map statements: programs stay valid, use the three map helpers, and the
 * programs without the `maps` option are exactly what they were (the 1,000,000-seed run and
 * its results stay reproducible).
 */
describe('fuzz generator with maps', () => {
  it('valid programs that call map_lookup_elem, map_update_elem and map_delete_elem', () => {
    const calls = new Map<number, number>();
    for (let seed = 0; seed < 400; seed++) {
      const p = generateProgram(seed, FUZZ_MAP_PROGRAMS);
      validateProgram(p.insns, { helpers: new Set([1, 2, 3]) });
      for (const i of p.insns) if (i.code === 0x85 && i.src === 0) calls.set(i.imm, (calls.get(i.imm) ?? 0) + 1);
    }
    expect([...calls.keys()].sort()).toEqual([1, 2, 3]);
    expect(Math.min(...calls.values())).toBeGreaterThan(100);
  });

  it('leaves programs without maps unchanged (the generator before map statements drew these)', () => {
    // sha256 of seeds 0..299 (bytecode then buffer), as the generator gives them without the
    // `maps` option (last changed on purpose by the optimizer's fuzz shapes, issue 11)
    const h = createHash('sha256');
    for (let s = 0; s < 300; s++) {
      const p = generateProgram(s);
      h.update(encodeProgram(p.insns));
      h.update(p.mem);
    }
    expect(h.digest('hex')).toBe('14809f4578c7bb7ecdf3af1085ab5313c23c3fa0e9789eada13ed9278edcf384');
  });
});
