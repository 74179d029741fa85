import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROGRAMS, openFixture } from '../support/object-fixtures.js';
import { SCENARIOS } from '../support/scenarios.js';

/**
 * Every program of every fixture in test/fixtures/programs (maps, helpers, program types and
 * their contexts; clang-22 at test time) verifies as its object loads it: against its program
 * type, the object's maps and frozen .rodata, and the Linux helper prototypes. The scenarios
 * run them (verified by default); this checks every program, also those no scenario runs.
 */
const files = readdirSync(PROGRAMS)
  .filter((f) => f.endsWith('.c'))
  .map((f) => f.slice(0, -2));

describe('the program fixtures verify', () => {
  it('there are fixtures', () => expect(files.length).toBeGreaterThanOrEqual(14));
  for (const name of files) {
    it(name, () => {
      const scenario = SCENARIOS.find((s) => s.fixture === name);
      const obj = openFixture(name, scenario?.open ?? {});
      try {
        scenario?.preload?.(obj);
        obj.load();
        expect(obj.programs.size).toBeGreaterThan(0);
        for (const [program, p] of obj.programs) {
          const r = p.verify();
          expect(r.processed, `${name}:${program}`).toBeGreaterThan(0);
        }
      } finally {
        obj.close();
      }
    });
  }
});
