import { afterAll, describe, expect, it } from 'vitest';
import { generatorForms } from '../../src/bpf/program-generator.js';
import { addPassCounts, checkFuzzCase } from '../../src/jit/fuzz/differential.js';
import { oracleSource, type OracleStream } from '../../src/jit/fuzz/host-oracle.js';
import type { OracleBatch } from '../../src/jit/fuzz/oracle.js';
import { checkImage } from '../../src/jit/fuzz/images.js';
import { jitExecutor, type JitExecutor } from '../../src/jit/fuzz/jit-executor.js';
import { PASS_NAMES } from '../../src/jit/opt/index.js';

/**
 * One file's share of the CI differential run (issue 5: at least 20,000 programs, 0
 * mismatches). The seeds are split over several files so vitest's threads run them in
 * parallel, and each file over tests of CHUNK seeds so no single test nears the timeout
 * under qemu. The whole run is seeds 0..19999; `npm run fuzz:jit` goes on to 1,000,000.
 * The JIT compiles with its optimization tier (issue 11), and every pass of it must fire
 * somewhere in each file's share: the generator makes the shapes each one looks for.
 * Under qemu the programs are generated, interpreted and compiled (for this process's context
 * block and CPU: src/jit/fuzz/images.ts) by the host's own Node (oracleSource,
 * src/jit/fuzz/host-oracle.ts), in one background process that works ahead of the JIT side, which loads the code, runs it
 * and compares. The first case of every chunk is also compiled here, and its image must be
 * byte for byte the one the host made.
 */
const CHUNK = 125;
/** Full reports printed per chunk; later failures only list their seeds. */
const FULL_REPORTS = 3;

export function defineFuzzRun(first: number, count: number): void {
  describe(`differential fuzzing, JIT vs interpreter: seeds ${first}..${first + count - 1}`, () => {
    let executor: JitExecutor | undefined;
    const exec = (): JitExecutor => (executor ??= jitExecutor());
    let loaded = 0;
    let crossChecked = 0;
    const forms = new Set<string>();
    let programs = 0;
    let slots = 0;
    let executed = 0;
    let failed = 0;
    let optimized = 0;
    const passes: Record<string, number> = {};
    const started = performance.now();
    const oracle = oracleSource();
    // one background oracle process for the file's share (host-oracle.ts), started by the first test
    let stream: OracleStream | undefined;
    const batch = (chunk: number): Promise<OracleBatch> => (stream ??= oracle.stream(first, count, CHUNK, exec().target)).batch((chunk - first) / CHUNK);
    afterAll(() => stream?.close());

    for (let chunk = first; chunk < first + count; chunk += CHUNK) {
      const end = Math.min(chunk + CHUNK, first + count);
      it(`seeds ${chunk}..${end - 1}: R0 and memory agree`, async () => {
        const executor = exec();
        const cases = await batch(chunk);
        for (const f of cases.forms) forms.add(f);
        expect(cases.cases.map((c) => c.seed)).toEqual(Array.from({ length: end - chunk }, (_, k) => chunk + k));
        expect(checkImage('plain', cases.cases[0]!, executor.target), 'host and arm64 compilers must agree').toBeUndefined();
        crossChecked++;
        const failures: number[] = [];
        for (const c of cases.cases) {
          const seed = c.seed;
          const r = checkFuzzCase(c, executor);
          programs++;
          if (c.image) loaded++;
          if (r.passes) optimized++;
          addPassCounts(passes, r.passes);
          slots += r.slots;
          executed += r.executed;
          if (!r.ok) {
            failed++;
            failures.push(seed);
            if (failures.length <= FULL_REPORTS) console.error(r.report);
          }
        }
        expect(failures, `failing seeds (reproduce one with: npm run fuzz:jit -- --start <seed> --count 1 --verbose)`).toEqual([]);
      });
    }

    it('ran every program and covered every form', () => {
      const expected = generatorForms();
      const missing = expected.filter((f) => !forms.has(f));
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `fuzz-jit (vitest): ${programs} programs, ${failed} mismatches (seeds ${first}..${first + count - 1}, ${process.arch}${process.env.A64JIT_EMULATED === '1' ? ' under qemu' : ''}, ` +
          `${seconds.toFixed(0)} s, ${(programs / seconds).toFixed(1)} programs/s, oracle: ${oracle.where}); ` +
          `avg ${(slots / Math.max(programs, 1)).toFixed(0)} slots and ${(executed / Math.max(programs, 1)).toFixed(0)} executed instructions; ` +
          `${expected.length - missing.length}/${expected.length} forms covered`,
      );
      console.log(`fuzz-jit (vitest): ${optimized} of ${programs} optimized; passes fired: ${PASS_NAMES.map((n) => `${n} ${passes[n] ?? 0}`).join(', ')}`);
      console.log(`fuzz-jit (vitest): ${loaded} of ${programs} compiled by the oracle process and loaded here, ${crossChecked} compiled here too and compared byte for byte`);
      expect(programs).toBe(count);
      expect(loaded, 'every case comes compiled by the oracle process').toBe(count);
      expect(missing).toEqual([]);
      expect(PASS_NAMES.filter((n) => (passes[n] ?? 0) === 0), 'optimizer passes that never fired').toEqual([]);
    });
  });
}
