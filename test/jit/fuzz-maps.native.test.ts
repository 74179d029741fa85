import { afterAll, describe, expect, it } from 'vitest';
import { oracleSource, type OracleStream } from '../../src/jit/fuzz/host-oracle.js';
import { checkImage } from '../../src/jit/fuzz/images.js';
import { checkMapFuzzCase, computeMapOracleCase, mapImageTarget } from '../../src/jit/fuzz/maps.js';
import type { OracleBatch } from '../../src/jit/fuzz/oracle.js';

/**
 * Differential fuzzing with maps in CI: 5,000 random programs that look up, update and delete
 * in an array and a hash map, JIT vs interpreter: R0, memory and the final contents of both
 * maps agree (src/jit/fuzz/maps.ts). Half of them with the array lookups inlined. Under qemu
 * the interpreter side runs in the host's own Node (src/jit/fuzz/host-oracle.ts), which also
 * compiles each case for this process (its context block, CPU, map helpers and maps:
 * src/jit/fuzz/images.ts); this side loads and runs the code, and compiles the first case of
 * every chunk itself to check that both compilers made the same image.
 */
const COUNT = Number(process.env.A64JIT_FUZZ_MAPS_COUNT ?? 5000);
const CHUNK = 125;

describe(`differential fuzzing with maps, JIT vs interpreter: seeds 0..${COUNT - 1}`, () => {
  let calls = 0;
  let inlined = 0;
  const oracle = oracleSource('maps');
  let loaded = 0;
  // one background oracle process for all chunks (host-oracle.ts), started by the first chunk's test
  let stream: OracleStream | undefined;
  const batch = (chunk: number): Promise<OracleBatch> => (stream ??= oracle.stream(0, COUNT, CHUNK, mapImageTarget())).batch(chunk / CHUNK);
  afterAll(() => stream?.close());

  it('a wrong final map content in the expectation is a mismatch naming the map', () => {
    const c = computeMapOracleCase(3);
    const extra = JSON.parse(c.extra!) as { maps: string[] };
    extra.maps[1] = `${extra.maps[1]} 09000000=0100000000000000`.trim();
    const r = checkMapFuzzCase({ ...c, extra: JSON.stringify(extra) });
    expect(r.ok).toBe(false);
    expect(r.report).toContain('map m1: DIFFERENT');
    expect(r.report).toContain('map m0: equal');
    expect(checkMapFuzzCase(c).ok).toBe(true);
  });

  for (let chunk = 0; chunk < COUNT; chunk += CHUNK) {
    const end = Math.min(chunk + CHUNK, COUNT);
    it(`seeds ${chunk}..${end - 1}`, async () => {
      const cases = await batch(chunk);
      expect(cases.cases.map((c) => c.seed)).toEqual(Array.from({ length: end - chunk }, (_, k) => chunk + k));
      expect(checkImage('maps', cases.cases[0]!, mapImageTarget()), 'host and arm64 compilers must agree').toBeUndefined();
      const failures: number[] = [];
      for (const c of cases.cases) {
        const r = checkMapFuzzCase(c);
        if (c.image) loaded++;
        calls += r.helperCalls;
        inlined += r.inlined;
        if (!r.ok) {
          if (failures.length < 3) console.error(r.report);
          failures.push(c.seed);
        }
      }
      expect(failures).toEqual([]);
    });
  }
  it('called the map helpers and inlined array lookups', () => {
    console.log(`fuzz-maps: ${COUNT} programs, ${calls} map helper call sites, ${inlined} inlined array lookups, 0 mismatches (oracle: ${oracle.where}); ${loaded} compiled by the oracle process and loaded here`);
    expect(loaded, 'every case comes compiled by the oracle process').toBe(COUNT);
    expect(calls).toBeGreaterThan(COUNT);
    expect(inlined).toBeGreaterThan(COUNT / 10);
  });
});
