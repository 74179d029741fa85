import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CodeMemoryError,
  CodeRegion,
  NativeFunction,
  addonPath,
  hostInfo,
  loadFunction,
  packageRoot,
  sameArchNode,
} from '../../src/runtime/index.js';
import { add2, bytesOf, loopMillion, mulAdd, return42, return7, sum10 } from './hand-encoded.js';

const load = (fn: typeof return42) => loadFunction(bytesOf(fn), fn.signature);

/** Runs test/runtime/<script> (plain JS over dist/) in a Node of this architecture. */
function runChildScript(script: string, args: string[], nodeFlags: string[] = []) {
  if (!existsSync(join(packageRoot, 'dist', 'runtime', 'index.js'))) {
    throw new Error('dist/ is missing: run the tests through `npm test`, which compiles first');
  }
  const node = sameArchNode();
  return spawnSync(node.command, [...node.args, ...nodeFlags, join(packageRoot, 'test', 'runtime', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...node.env },
    timeout: 600_000,
  });
}
const runChild = runChildScript;

describe('calling machine code through koffi', () => {
  it('returns 42', () => {
    const f = load(return42);
    expect(f.call()).toBe(42n);
    f.free();
  });

  it('adds two int64, also above 2^53 and negative, always as BigInt', () => {
    const f = load(add2);
    expect(f.call(2n, 3n)).toBe(5n);
    expect(f.call(2n ** 60n, 2n ** 60n + 1n)).toBe(2n ** 61n + 1n);
    expect(f.call(-(2n ** 62n), -(2n ** 62n))).toBe(-(2n ** 63n));
    expect(f.call(9007199254740993n, 0n)).toBe(9007199254740993n);
    f.free();
  });

  it('sums ten int64 arguments (9 and 10 arrive on the stack)', () => {
    const f = load(sum10);
    expect(f.call(1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n)).toBe(55n);
    // distinct powers of two make a lost or duplicated argument visible in the sum
    const args = Array.from({ length: 10 }, (_, i) => 1n << BigInt(4 * i + 3));
    expect(f.call(...args)).toBe(args.reduce((a, b) => a + b));
    f.free();
  });

  it('does double arithmetic in v registers', () => {
    const f = load(mulAdd);
    expect(f.call(1.5, 2.0)).toBe(4.5);
    expect(f.call(-0.25, 8)).toBe(-2.25);
    f.free();
  });

  it('runs a loop of 10^6 iterations', () => {
    const f = load(loopMillion);
    expect(f.call()).toBe(3_000_000n);
    f.free();
  });

  it('calls through the per-prototype trampoline when the target fits in a register, koffi.call otherwise', () => {
    const f = load(add2);
    expect(f.path).toBe('trampoline');
    expect(f.call(40n, 2n)).toBe(42n);
    f.free();
    const g = load(mulAdd);
    expect(g.path).toBe('trampoline'); // doubles use v registers: x0 is free for the target
    g.free();
    // ten integers: the target address would be the 11th integer argument, on the stack
    const h = load(sum10);
    expect(h.path).toBe('koffi.call');
    expect(h.call(1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n)).toBe(55n);
    h.free();
  });

  it('checks the argument count', () => {
    const f = load(add2);
    expect(() => f.call(1n)).toThrow(/takes 2 arguments, got 1/);
    f.free();
  });
});

describe('code regions', () => {
  it('runs the new code after unseal, rewrite and reseal', () => {
    const region = CodeRegion.fromCode(bytesOf(return42));
    const f = new NativeFunction(region.address, 'int64_t (void)', region);
    expect(f.call()).toBe(42n);
    region.unseal();
    expect(region.state).toBe('writable');
    expect(() => f.call()).toThrow(/writable region/);
    region.write(0, bytesOf(return7));
    region.seal();
    expect(f.call()).toBe(7n);
    region.free();
  });

  it('rounds sizes up to whole pages and reads back what was written', () => {
    const { pageSize } = hostInfo();
    const region = CodeRegion.allocate(1);
    expect(region.size).toBe(pageSize);
    region.write(10, new Uint8Array([1, 2, 3]));
    expect([...region.read(9, 5)]).toEqual([0, 1, 2, 3, 0]);
    region.free();
    expect(CodeRegion.allocate(pageSize + 1).size).toBe(2 * pageSize);
  });

  it('reports misuse as clear errors and the process goes on', () => {
    const region = CodeRegion.allocate(16);
    const size = region.size;
    const expectError = (fn: () => unknown, code: string, text: RegExp) => {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CodeMemoryError);
      expect((caught as CodeMemoryError).code).toBe(code);
      expect((caught as Error).message).toMatch(text);
    };
    expectError(() => region.write(size - 2, new Uint8Array(4)), 'ERR_A64JIT_RANGE', /write: 4 bytes at offset \d+ do not fit/);
    expectError(() => region.write(-1, new Uint8Array(1)), 'ERR_A64JIT_RANGE', /write/);
    region.seal();
    expectError(() => region.write(0, new Uint8Array(4)), 'ERR_A64JIT_SEALED', /write: code region is sealed/);
    region.free();
    expectError(() => region.write(0, new Uint8Array(4)), 'ERR_A64JIT_FREED', /write: code region was already freed/);
    expectError(() => region.seal(), 'ERR_A64JIT_FREED', /seal: .*already freed/);
    expectError(() => region.address, 'ERR_A64JIT_FREED', /address: .*already freed/);
    expectError(() => region.free(), 'ERR_A64JIT_FREED', /free: code region was already freed/);
    expectError(() => CodeRegion.allocate(0), 'ERR_A64JIT_ARGUMENT', /alloc: size must be/);
    // still alive and well
    const f = load(return42);
    expect(f.call()).toBe(42n);
    f.free();
  });

  it('10,000 alloc/write/seal/call/free cycles unmap every region and leave the mappings unchanged (in a child process)', () => {
    const r = runChild('cycles-child.mjs', ['10000'], ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = JSON.parse(r.stdout) as {
      survivors: number;
      mappingsBefore: number;
      mappingsAfter: number;
      sealedBefore: string;
      sealedAfter: string;
      totalBefore: number;
      totalAfter: number;
    };
    console.log(
      `10,000 cycles: ${m.mappingsBefore} -> ${m.mappingsAfter} mappings (other than V8's RWX code pages; ` +
        `${m.totalBefore} -> ${m.totalAfter} lines in all), non-writable ${m.sealedBefore} -> ${m.sealedAfter} bytes`,
    );
    expect(m.survivors).toBe(0);
    expect(m.mappingsAfter).toBe(m.mappingsBefore);
    // leaking the regions would add 10,000 pages here; V8's own read-only pages move by a few
    expect(BigInt(m.sealedAfter) - BigInt(m.sealedBefore)).toBeLessThan(BigInt(64 * hostInfo().pageSize));
  });
});

describe('W^X is enforced by the page protection', () => {
  const runChild = (mode: string) => runChildScript('write-sealed-child.mjs', [mode]);

  it('a plain write into an unsealed region succeeds (control)', () => {
    const r = runChild('unsealed');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('write completed');
    expect(r.status).toBe(0);
  });

  it('a plain write into a sealed region faults (in a child process)', () => {
    const r = runChild('sealed');
    expect(r.stdout).toContain('writing into a sealed region');
    expect(r.stdout).not.toContain('write completed');
    expect(r.signal).toBe('SIGSEGV');
  });
});

describe('host facts and the loaded addon', () => {
  it('describes an arm64 host', () => {
    const info = hostInfo();
    expect(info.arch).toBe('arm64');
    expect(info.os).toBe(process.platform === 'darwin' ? 'darwin' : 'linux');
    expect([4096, 16384, 65536]).toContain(info.pageSize);
    expect(typeof info.lse).toBe('boolean');
  });

  it('loads the shipped prebuild for this platform (linux-arm64 is always shipped)', () => {
    const shipped = join('prebuilds', `${process.platform}-arm64`, 'a64jit.node');
    if (process.platform === 'linux') expect(existsSync(join(packageRoot, shipped))).toBe(true);
    expect(addonPath()).toBe(existsSync(join(packageRoot, shipped)) ? shipped : join('build', 'Release', 'a64jit.node'));
  });
});
