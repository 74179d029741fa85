import { describe, it } from 'vitest';
import { SCENARIOS, runScenario } from '../support/scenarios.js';

/**
 * The fixture programs (test/fixtures/programs, clang-22 at test time) in the interpreter,
 * with native maps and the native helpers, against what their packets and helpers must give.
 * test/object/programs.native.test.ts runs the same scenarios under the JIT as well.
 */
describe('fixture programs in the interpreter', () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      const { results, obj } = runScenario(s, 'interpreter');
      try {
        s.check(results, obj, 'interpreter');
      } finally {
        obj.close();
      }
    });
  }
});
