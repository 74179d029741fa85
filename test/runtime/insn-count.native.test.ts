import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { assembleUbpf } from '../../src/bpf/index.js';
import { JitProgram } from '../../src/jit/index.js';
import {
  InsnCountError,
  InsnCounter,
  NativeLibrary,
  countInsns,
  insnCountStatus,
  insnsPerRun,
  NativeFunction,
  loadFunction,
  packageRoot,
  sameArchNode,
  type CodeRange,
} from '../../src/runtime/index.js';

// Exact instruction counts under qemu-aarch64 (native/qemu-plugin/insn-count.c, loaded by
// npm test). On an arm64 machine there is no emulator to count with: those runs check that the
// API says so, and the counting tests are reported as skipped.
const emulated = process.env.A64JIT_EMULATED === '1';

/** subs x0, x0, #1 ; b.ne .-4 ; ret: 2n + 1 instructions for n >= 1. */
const COUNT_DOWN = new Uint8Array([0x00, 0x04, 0x00, 0xf1, 0xe1, 0xff, 0xff, 0x54, 0xc0, 0x03, 0x5f, 0xd6]);

const rangeOf = (f: { address: bigint }, size: number, name: string): CodeRange => ({ start: f.address, size, name });

/** The header word of the counts file that counts the translation-cache flushes requested. */
function flushes(): bigint {
  const status = insnCountStatus();
  if (!status.available) throw new Error(status.reason);
  return readFileSync(status.file).readBigUInt64LE(40);
}

describe.runIf(!emulated)('instruction counts on an arm64 machine', () => {
  it('are unavailable, and the API says why', () => {
    const status = insnCountStatus();
    expect(status.available).toBe(false);
    expect(!status.available && status.reason).toMatch(/not emulated|without the instruction-count plugin/);
  });
});

describe.runIf(emulated)('instruction counts under qemu (the insn-count plugin)', () => {
  it('is loaded in the emulated test process', () => {
    const status = insnCountStatus();
    expect(status, !status.available ? status.reason : '').toMatchObject({ available: true });
  });

  it('counts a hand-encoded loop exactly: 2n + 1 for n iterations, the same on every run', () => {
    const f = loadFunction(COUNT_DOWN, 'uint64_t (uint64_t)');
    const counter = InsnCounter.open(rangeOf(f, COUNT_DOWN.length, 'count_down'));
    try {
      for (const n of [1, 2, 7, 1000, 123_456, 1000]) {
        const before = counter.read();
        f.call(BigInt(n));
        expect(counter.read() - before).toBe(BigInt(2 * n + 1));
      }
      const runs = Array.from({ length: 5 }, () => countInsns(rangeOf(f, COUNT_DOWN.length, 'again'), () => f.call(500n)));
      expect(runs).toEqual(Array(5).fill(1001n));
    } finally {
      counter.close();
      f.free();
    }
  });

  it('counts only inside the range: part of a function, and nothing for code elsewhere', () => {
    const f = loadFunction(COUNT_DOWN, 'uint64_t (uint64_t)');
    const other = loadFunction(COUNT_DOWN, 'uint64_t (uint64_t)');
    try {
      // just the ret: once per call, however long the loop
      expect(countInsns({ start: f.address + 8n, size: 4 }, () => f.call(300n))).toBe(1n);
      expect(countInsns(rangeOf(f, COUNT_DOWN.length, 'f'), () => other.call(300n))).toBe(0n);
    } finally {
      f.free();
      other.free();
    }
  });

  it('registers fresh code without a flush, and counts code that ran before it was registered (after one)', () => {
    const fresh = loadFunction(COUNT_DOWN, 'uint64_t (uint64_t)');
    const ran = loadFunction(COUNT_DOWN, 'uint64_t (uint64_t)');
    try {
      ran.call(10n); // translated now, with no counter in it
      const f0 = flushes();
      expect(countInsns(rangeOf(fresh, COUNT_DOWN.length, 'fresh'), () => fresh.call(40n))).toBe(81n);
      expect(flushes()).toBe(f0);
      expect(countInsns(rangeOf(ran, COUNT_DOWN.length, 'ran'), () => ran.call(40n))).toBe(81n);
      expect(flushes()).toBe(f0 + 1n);
    } finally {
      fresh.free();
      ran.free();
    }
  });

  it('per-run counts of a JIT program grow exactly linearly: each loop iteration adds its AArch64 body', () => {
    // r2 iterations of a 3-instruction BPF loop body
    // R2 counts down from what the caller passes: no bound the verifier could prove
    // no instruction budget (unverified code gets one by default): its tick on the back-edge has words that do not run (budget.ts)
    const prog = JitProgram.compile(assembleUbpf('mov %r0, 0\nloop:\nadd %r0, %r2\nsub %r2, 1\njne %r2, 0, loop\nexit'), { verify: false, budget: false });
    try {
      const { pcOffsets } = prog.compiled;
      const body = BigInt((pcOffsets[4]! - pcOffsets[1]!) / 4);
      const range = rangeOf(prog, prog.code.length, 'loop');
      const count = (k: bigint): bigint => countInsns(range, () => expect(prog.call(null, k)).toBe((k * (k + 1n)) / 2n));
      const base = count(1n);
      for (const k of [2n, 3n, 10n, 1000n]) expect(count(k) - base).toBe((k - 1n) * body);
      // N and 2N runs of one call: the per-run figure is the count of one call, nothing fixed
      const perRun = insnsPerRun(range, (n) => {
        for (let i = 0; i < n; i++) prog.call(null, 10n);
      }, 25);
      expect(perRun).toMatchObject({ perRun: count(10n), fixed: 0n, countN: 25n * count(10n) });
    } finally {
      prog.free();
    }
  });

  it('reports runs that do not all execute the same instructions', () => {
    const f = loadFunction(COUNT_DOWN, 'uint64_t (uint64_t)');
    try {
      // 3 runs of 7+3+9 = 19 instructions, then 6 runs of 3+11+19+5+13+11 = 62: 62 - 19 is no multiple of 3
      const iterations = [3, 1, 4, 1, 5, 9, 2, 6, 5];
      let calls = 0;
      const uneven = (n: number): void => {
        for (let i = 0; i < n; i++) f.call(BigInt(iterations[calls++]!));
      };
      expect(() => insnsPerRun(rangeOf(f, COUNT_DOWN.length, 'uneven'), uneven, 3)).toThrow(
        new InsnCountError('range uneven: 19 instructions for 3 runs and 62 for 6: not linear, so the runs differ'),
      );
    } finally {
      f.free();
    }
  });

  describe('native functions from cross-compiled shared libraries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'a64jit-insn-'));
    const fixtures = join(packageRoot, 'test', 'fixtures', 'natives');
    const build = (name: string, cc: string, args: string[]): string => {
      const out = join(dir, name);
      execFileSync(cc, [...args, '-shared', '-fPIC', '-o', out]);
      return out;
    };

    it('take start and size from the ELF symbol and match the hand-counted loops', () => {
      const lib = NativeLibrary.open(build('count-loops.so', 'aarch64-linux-gnu-gcc', [join(fixtures, 'count-loops.S')]));
      try {
        const down = lib.symbolRange('count_down');
        const sum = lib.symbolRange('sum_to');
        expect([down.size, sum.size]).toEqual([12, 28]);
        const countDown = new NativeFunction(down.start, 'uint64_t (uint64_t)');
        const sumTo = new NativeFunction(sum.start, 'uint64_t (uint64_t)');
        for (const n of [1n, 5n, 999n]) {
          expect(countInsns(down, () => countDown.call(n))).toBe(2n * n + 1n);
          expect(countInsns(sum, () => expect(sumTo.call(n)).toBe((n * (n + 1n)) / 2n))).toBe(3n * n + 4n);
        }
        expect(insnsPerRun(sum, (k) => {
          for (let i = 0; i < k; i++) sumTo.call(100n);
        }, 10)).toMatchObject({ perRun: 304n, fixed: 0n });
      } finally {
        lib.close();
      }
    });

    for (const [cc, args] of [
      ['aarch64-linux-gnu-gcc', ['-O2']],
      ['clang-22', ['--target=aarch64-linux-gnu', '-O2']],
    ] as const) {
      it(`count C compiled by ${cc} -O2 the same way: linear in its input, equal on every run`, () => {
        const lib = NativeLibrary.open(build(`count-c-${cc}.so`, cc, [...args, join(fixtures, 'count-c.c')]));
        try {
          const range = lib.symbolRange('fnv1a');
          const fnv = new NativeFunction(range.start, 'uint64_t (void *, uint64_t)');
          const data = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) & 0xff));
          const count = (n: number): bigint => countInsns(range, () => fnv.call(data, BigInt(n)));
          // multiples of 64 bytes: equal steps even if a compiler unrolled the loop
          const counts = [64, 128, 192, 256].map(count);
          const step = counts[1]! - counts[0]!;
          expect(step).toBeGreaterThanOrEqual(64n);
          expect([counts[2]! - counts[1]!, counts[3]! - counts[2]!]).toEqual([step, step]);
          expect([count(128), count(128)]).toEqual([counts[1], counts[1]]);
        } finally {
          lib.close();
        }
      });
    }
  });

  it('keeps threads apart: two workers counting their own code at the same time get exact counts', async () => {
    const runtime = pathToFileURL(join(packageRoot, 'dist', 'runtime', 'index.js')).href;
    const source = `
      import { parentPort, workerData } from 'node:worker_threads';
      import { InsnCounter, loadFunction } from ${JSON.stringify(runtime)};
      const f = loadFunction(new Uint8Array(workerData.code), 'uint64_t (uint64_t)');
      const c = InsnCounter.open({ start: f.address, size: workerData.code.length, name: 'worker' });
      for (let i = 0; i < workerData.calls; i++) f.call(BigInt(workerData.n));
      parentPort.postMessage(c.read().toString());
      c.close();
    `;
    const run = (n: number, calls: number): Promise<bigint> =>
      new Promise((resolve, reject) => {
        const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), { workerData: { code: [...COUNT_DOWN], n, calls } });
        w.once('message', (m: string) => resolve(BigInt(m)));
        w.once('error', reject);
      });
    const [a, b] = await Promise.all([run(1000, 300), run(777, 400)]);
    expect([a, b]).toEqual([300n * 2001n, 400n * 1555n]);
  });

  it('works in arm64 children too (each process its own counts file), and says so when the plugin is not loaded', () => {
    const node = sameArchNode();
    const script = `import(${JSON.stringify(pathToFileURL(join(packageRoot, 'dist', 'runtime', 'index.js')).href)}).then((r) => console.log(JSON.stringify(r.insnCountStatus())))`;
    const child = (env: NodeJS.ProcessEnv) => {
      const r = spawnSync(node.command, [...node.args, '-e', script], { encoding: 'utf8', env: { ...env, ...node.env } });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { available: boolean; file?: string; reason?: string };
    };
    const inherited = child(process.env);
    expect(inherited.available).toBe(true);
    expect(inherited.file).not.toBe((insnCountStatus() as { file: string }).file);
    const { QEMU_PLUGIN: _p, A64JIT_INSN_COUNT_DIR: _d, ...without } = process.env;
    const bare = child(without);
    expect(bare.available).toBe(false);
    expect(bare.reason).toMatch(/without the instruction-count plugin .*npm run setup/);
  });
});
