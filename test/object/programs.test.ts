import { describe, expect, it } from 'vitest';
import { mapTypeName, withLibbpfDefaults } from '../../src/bpf/index.js';
import { openFixture } from '../support/object-fixtures.js';
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

describe('fixture objects load with every map created as defined', () => {
  for (const fixture of [...new Set(SCENARIOS.map((s) => s.fixture))]) {
    it(fixture, () => {
      const obj = openFixture(fixture, { cpus: 3 });
      try {
        // as libbpf creates them: a perf event array without max_entries gets one per CPU
        const defined = obj.mapDescriptions.map((m) => withLibbpfDefaults(m, 3)).map((d) => `${d.name} ${mapTypeName(d.type)} ${d.keySize}/${d.valueSize} x${d.maxEntries}`);
        // the real shapes (tracer, katran_lite, cilium_lite) define 3 to 5 maps each
        if (['tracer', 'katran_lite', 'cilium_lite'].includes(fixture)) expect(defined.length).toBeGreaterThanOrEqual(3);
        obj.load();
        const created = obj.mapDescriptions.map((d) => {
          const m = obj.maps.get(d.name);
          return m === undefined ? `${d.name} MISSING` : `${m.name} ${m.info.name} ${m.description.keySize}/${m.description.valueSize} x${m.description.maxEntries}`;
        });
        expect(created).toEqual(defined);
        // and the global data sections, as array maps
        for (const d of obj.parsed.data) expect(obj.maps.get(d.name)?.info.name, d.name).toBe('array');
      } finally {
        obj.close();
      }
    });
  }
});
