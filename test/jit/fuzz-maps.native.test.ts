import { describe, expect, it } from 'vitest';
import { runMapFuzzCase } from '../../src/jit/fuzz/maps.js';

/**
 * Differential fuzzing with maps in CI: 5,000 random programs that look up, update and delete
 * in an array and a hash map, JIT vs interpreter: R0, memory and the final contents of both
 * maps agree (src/jit/fuzz/maps.ts). Half of them with the array lookups inlined.
 */
const COUNT = Number(process.env.A64JIT_FUZZ_MAPS_COUNT ?? 5000);
const CHUNK = 250;

describe(`differential fuzzing with maps, JIT vs interpreter: seeds 0..${COUNT - 1}`, () => {
  let calls = 0;
  let inlined = 0;
  for (let chunk = 0; chunk < COUNT; chunk += CHUNK) {
    const end = Math.min(chunk + CHUNK, COUNT);
    it(`seeds ${chunk}..${end - 1}`, () => {
      const failures: number[] = [];
      for (let seed = chunk; seed < end; seed++) {
        const r = runMapFuzzCase(seed);
        calls += r.helperCalls;
        inlined += r.inlined;
        if (!r.ok) {
          if (failures.length < 3) console.error(r.report);
          failures.push(seed);
        }
      }
      expect(failures).toEqual([]);
    });
  }
  it('called the map helpers and inlined array lookups', () => {
    console.log(`fuzz-maps: ${COUNT} programs, ${calls} map helper call sites, ${inlined} inlined array lookups, 0 mismatches`);
    expect(calls).toBeGreaterThan(COUNT);
    expect(inlined).toBeGreaterThan(COUNT / 10);
  });
});
