import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/bpf/index.js';
import { checkFuzzCase, runFuzzCase, type Executor } from '../../src/jit/fuzz/differential.js';
import { HOST_NODE_ENV, computeBatch, oracleSource } from '../../src/jit/fuzz/host-oracle.js';
import type { ImageTarget } from '../../src/jit/fuzz/images.js';
import { computeMapOracleBatch } from '../../src/jit/fuzz/maps.js';
import { computeOracleBatch, decodeOracleBatch, encodeOracleBatch } from '../../src/jit/fuzz/oracle.js';

/**
 * The fuzz oracle (src/jit/fuzz/oracle.ts): a batch made in another process must be exactly
 * what this process would compute, and a broken batch must be an error, never a silent pass.
 */

const interpreterExecutor: Executor = (program) => {
  const r = interpret(program.insns, { mem: program.mem, maxInstructions: 1_000_000 });
  return { value: r.value, mem: r.mem as Uint8Array };
};

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'jit', 'fuzz', 'oracle-main.js');

describe('fuzz oracle batches', () => {
  it('survive encoding: programs, memories, R0 (full 64 bits), instruction counts and forms', () => {
    const batch = computeOracleBatch(300, 40, 7);
    const back = decodeOracleBatch(encodeOracleBatch(batch));
    expect(back.cases.map((c) => c.seed)).toEqual(Array.from({ length: 40 }, (_, k) => 300 + 7 * k));
    expect([...back.forms].sort()).toEqual([...batch.forms].sort());
    batch.cases.forEach((c, k) => {
      const d = back.cases[k]!;
      expect(d.program?.insns).toEqual(c.program?.insns);
      expect(Buffer.from(d.program!.mem).equals(Buffer.from(c.program!.mem))).toBe(true);
      expect(d.expected?.value).toBe(c.expected?.value);
      expect(d.expected?.instructions).toBe(c.expected?.instructions);
      expect(Buffer.from(d.expected!.mem).equals(Buffer.from(c.expected!.mem))).toBe(true);
    });
    expect(batch.cases.some((c) => (c.expected?.value ?? 0n) >= 1n << 63n)).toBe(true);
  });

  it('a case made elsewhere is checked like one made here: an R0 off by one is caught', () => {
    const [c] = decodeOracleBatch(encodeOracleBatch(computeOracleBatch(11, 1))).cases;
    expect(checkFuzzCase(c!, interpreterExecutor).ok).toBe(true);
    const wrong: Executor = (p, m) => {
      const r = interpreterExecutor(p, m);
      return { value: r.value + 1n, mem: r.mem };
    };
    const r = checkFuzzCase(c!, wrong);
    expect(r.ok).toBe(false);
    expect(r.report).toContain('seed 11');
    expect(r.report).toContain('(DIFFERENT)');
    expect(runFuzzCase(11, wrong).report).toBe(r.report);
  });

  it('truncated, padded or foreign bytes are errors naming the offset', () => {
    const bytes = encodeOracleBatch(computeOracleBatch(5, 3));
    expect(() => decodeOracleBatch(bytes.subarray(0, bytes.length - 1))).toThrow(/oracle batch: truncated case 2 \(seed 7\) body at byte \d+/);
    expect(() => decodeOracleBatch(Buffer.concat([bytes, Buffer.alloc(1)]))).toThrow('oracle batch: 1 unexpected bytes after case 3');
    expect(() => decodeOracleBatch(Buffer.from('not a batch at all'))).toThrow(/bad magic/);
    expect(() => decodeOracleBatch(Buffer.alloc(3))).toThrow(/truncated header/);
  });

  it(`comes from another Node process when ${HOST_NODE_ENV} names one, byte for byte what this one computes`, async () => {
    expect(existsSync(main), `${main} (npm test compiles dist/ first)`).toBe(true);
    const source = oracleSource('plain', { [HOST_NODE_ENV]: process.execPath });
    expect(source.where).toBe(`host Node ${process.execPath}`);
    const batch = await source.batch(1000, 20, 3);
    expect(encodeOracleBatch(batch).equals(encodeOracleBatch(computeOracleBatch(1000, 20, 3)))).toBe(true);
    expect(oracleSource('plain', {}).where).toBe('in process');
    const usage = spawnSync(process.execPath, [main, 'plain', '1', 'x'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: oracle-main.js plain|maps FIRST COUNT [STRIDE]');
    await expect(oracleSource('plain', { [HOST_NODE_ENV]: '/nonexistent/node' }).batch(0, 1)).rejects.toThrow(/fuzz oracle: cannot run \/nonexistent\/node/);
  });

  it('stream from one background host Node process, batch by batch, byte for byte what this one computes (with images)', async () => {
    const target: ImageTarget = { contextAddress: 0xffff_0000_1000n, lse: true };
    const stream = oracleSource('plain', { [HOST_NODE_ENV]: process.execPath }).stream(2000, 7, 3, target);
    try {
      for (const [k, first, count] of [[0, 2000, 3], [1, 2003, 3], [2, 2006, 1]] as const) {
        const got = await stream.batch(k);
        expect(encodeOracleBatch(got).equals(encodeOracleBatch(computeBatch('plain', first, count, 1, target)))).toBe(true);
        expect(got.cases.every((c) => c.image !== undefined)).toBe(true);
      }
    } finally {
      stream.close();
    }
    const inProcess = oracleSource('plain', {}).stream(2000, 7, 3);
    expect((await inProcess.batch(2)).cases.map((c) => c.seed)).toEqual([2006]);
    expect(() => oracleSource('plain', { [HOST_NODE_ENV]: '/nonexistent/node' }).stream(0, 1, 1)).toThrow(/fuzz oracle: cannot run \/nonexistent\/node/);
  });

  it('of the map fuzz carry the rewritten program and the final map contents, the same from the host Node', async () => {
    const here = computeMapOracleBatch(40, 6);
    const there = await oracleSource('maps', { [HOST_NODE_ENV]: process.execPath }).batch(40, 6);
    expect(encodeOracleBatch(there).equals(encodeOracleBatch(here))).toBe(true);
    for (const c of here.cases) {
      const extra = JSON.parse(c.extra!) as { maps: string[]; helperCalls: number; inlined: number };
      expect(extra.maps).toHaveLength(2);
      expect(extra.helperCalls).toBeGreaterThan(0);
      // even seeds run with the array lookups inlined: the program is the rewritten one
      if (c.seed % 2 === 1) expect(extra.inlined).toBe(0);
    }
    expect(here.cases.some((c) => (JSON.parse(c.extra!) as { inlined: number }).inlined > 0)).toBe(true);
    expect(here.cases.some((c) => (JSON.parse(c.extra!) as { maps: string[] }).maps.some((m) => m.length > 0))).toBe(true);
  });
});
