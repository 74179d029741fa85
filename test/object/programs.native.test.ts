import { describe, expect, it } from 'vitest';
import { dumpMaps } from '../support/object-fixtures.js';
import { SCENARIOS, runScenario } from '../support/scenarios.js';

/**
 * Every fixture scenario under the JIT (arm64 code; under qemu on x86_64 hosts) and under the
 * interpreter, each on a fresh object: the same results (R0, data_out, ctx_out, printk) at
 * every step, the same final contents of every map, and the scenario's own expectations.
 */
const comparable = (r: { retval: bigint; dataOut: Uint8Array | undefined; ctxOut: Uint8Array | undefined; printk: readonly string[] }) => ({
  retval: r.retval,
  dataOut: r.dataOut && Buffer.from(r.dataOut).toString('hex'),
  ctxOut: r.ctxOut && Buffer.from(r.ctxOut).toString('hex'),
  printk: r.printk,
});

describe('fixture programs: JIT == interpreter', () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      const jit = runScenario(s, 'jit');
      const interp = runScenario(s, 'interpreter');
      try {
        jit.results.forEach((r, i) => expect(comparable(r), `step ${i} (${s.steps[i]!.program})`).toEqual(comparable(interp.results[i]!)));
        s.check(jit.results, jit.obj, 'jit');
        // after check(): both sides' output maps are consumed the same way by dumpMaps
        s.check(interp.results, interp.obj, 'interpreter');
        expect(dumpMaps(jit.obj)).toEqual(dumpMaps(interp.obj));
      } finally {
        jit.obj.close();
        interp.obj.close();
      }
    });
  }
});
