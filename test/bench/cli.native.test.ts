import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_REPORT_SCHEMA, type BenchReport } from '../../src/bench/index.js';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/runtime/index.js';
import { fakeIo } from '../cli/support.js';
import { validate } from '../support/json-schema.js';
import { allElements, parseXml } from '../support/xml.js';

// `a64jit bench`, in process on the arm64 Node: under qemu here (exact counts, emulated labels),
// natively on arm64 hardware (wall clock, counters where permitted).
const emulated = process.env.A64JIT_EMULATED === '1';
const FIXTURES = join(packageRoot, 'test', 'fixtures', 'bench');
const QUICK = ['--samples', '3', '--sample-ms', '5', '--warmup-ms', '1'];

async function bench(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = fakeIo();
  const status = await main(['bench', ...args, ...QUICK], io);
  return { status, stdout: io.stdout, stderr: io.stderr };
}

describe('a64jit bench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-bench-cli-'));

  it('times a clang-compiled object against -O0 and its own C built natively, with a JSON report that matches its schema', async () => {
    const object = join(dir, 'crc32.o');
    execFileSync('clang-22', ['-target', 'bpf', '-O2', '-c', join(FIXTURES, 'crc32.c'), '-o', object]);
    const r = await bench([object, '--size', '256', '--seed', '2', '--expect', '0xa96083d8', '--vs-O0', '--native', join(FIXTURES, 'crc32.c'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(validate(BENCH_REPORT_SCHEMA, report)).toEqual([]);
    expect(report.host).toMatchObject({ arch: 'arm64', emulated });
    const [jit, o0, native] = report.programs[0]!.variants;
    expect(jit).toMatchObject({ label: 'jit', ok: true, r0: '0xa96083d8', compile: { optimized: true, unoptimized: null } });
    expect(o0).toMatchObject({ label: 'jit -O0', kind: 'jit-O0', ok: true, r0: '0xa96083d8', compile: { optimized: false, unoptimized: null } });
    expect(o0!.compile!.codeBytes).not.toBe(jit!.compile!.codeBytes);
    expect(native).toMatchObject({ label: 'native clang-22 -O2', kind: 'native', ok: true, r0: '0xa96083d8' });
    expect(report.programs[0]!.compile).toMatchObject({ bpfInsns: expect.any(Number), codeBytes: expect.any(Number), verifyMs: null });
    if (emulated) {
      expect(report.host.emulator).toBe('qemu-aarch64');
      expect(jit!.insnsPerRun).toBeGreaterThan(256 * 8); // eight shift steps per byte
      expect(native!.ratio!.insns).toBeCloseTo(native!.insnsPerRun! / jit!.insnsPerRun!, 12);
      expect(o0!.insnsPerRun).toBeGreaterThan(jit!.insnsPerRun!); // the optimizer's work, counted exactly
      expect(report.counters).toMatch(/not present under qemu-aarch64/);
      // exact: the same figures on a second run
      const again = JSON.parse((await bench([object, '--size', '256', '--seed', '2', '--vs-O0', '--native', join(FIXTURES, 'crc32.c'), '--json'])).stdout) as BenchReport;
      expect(again.programs[0]!.variants.map((v) => v.insnsPerRun)).toEqual([jit!.insnsPerRun, o0!.insnsPerRun, native!.insnsPerRun]);
      expect(report.programs[0]!.loop!.insnsPerRun).toBeGreaterThan(0);
    } else {
      expect(report.counters).toMatch(/^hardware counters: /);
    }
  });

  it('runs an XDP program with a map through the object API: its context built around the packet, JIT and interpreter agree', async () => {
    // Ethernet + IPv4 + TCP to port 80: xdp_filter drops it (XDP_DROP = 1) and counts the verdict
    const packet = '000000000000000000000000' + '0800' + '45000028000000004006' + '00000a0000010a000002' + '30390050' + '00'.repeat(16);
    const r = await bench([join(packageRoot, 'test', 'fixtures', 'programs', 'xdp_filter.c'), '--entry', 'xdp_filter', '--mem', packet, '--interp', '--expect', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(validate(BENCH_REPORT_SCHEMA, report)).toEqual([]);
    expect(report.programs[0]!.variants.map((v) => [v.label, v.ok, v.r0])).toEqual([
      ['jit', true, '0x1'],
      ['interpreter', true, '0x1'],
    ]);
    if (emulated) expect(report.programs[0]!.variants[0]!.insnsPerRun).toBeGreaterThan(10);
    // the JIT options reach the object API: blinded, and -O0 beside the optimized code
    const blind = JSON.parse((await bench([join(packageRoot, 'test', 'fixtures', 'programs', 'xdp_filter.c'), '--entry', 'xdp_filter', '--mem', packet, '--blind', '--vs-O0', '--expect', '1', '--json'])).stdout) as BenchReport;
    expect(blind.programs[0]!.variants.map((v) => [v.label, v.ok, v.r0, v.compile!.optimized])).toEqual([
      ['jit', true, '0x1', true],
      ['jit -O0', true, '0x1', false],
    ]);
    // blinding adds instructions: more BPF slots than the unblinded program compiled above
    expect(blind.programs[0]!.compile!.bpfInsns).toBeGreaterThan(report.programs[0]!.compile!.bpfInsns);
  });

  it('runs a suite: a wrong expected result fails its row and the exit code, the other rows pass', async () => {
    const manifest = JSON.parse(readFileSync(join(FIXTURES, 'suite.json'), 'utf8')) as { name: string; source: string; expect?: string }[];
    const wrong = manifest.map((e) => ({ ...e, source: join(FIXTURES, e.source), ...(e.name === 'popcount' ? { expect: '0x7cb' } : {}) }));
    const file = join(dir, 'wrong.json');
    writeFileSync(file, JSON.stringify(wrong));
    const r = await bench([file, '--interp']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^popcount +jit +FAIL: returned 0x7ca, expected 0x7cb$/m);
    expect(r.stdout).toMatch(/^ +interpreter +FAIL: returned 0x7ca, expected 0x7cb$/m);
    expect(r.stdout).toMatch(/^crc32 +jit +0xa96083d8 /m);
    expect(r.stdout).toMatch(/^3 of 4 programs passed, 1 FAILED$/m);
    if (emulated) expect(r.stdout).toMatch(/wall-clock figures are the EMULATOR's speed/);
  });

  it('draws the suite against native C as an SVG with one bar per program, and prints Markdown', async () => {
    const svg = join(dir, 'chart.svg');
    const r = await bench([FIXTURES, '--vs-native', '--svg', svg, '--markdown']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\| program \| variant \| R0 \|/m);
    const root = parseXml(readFileSync(svg, 'utf8'));
    const bars = allElements(root).filter((e) => e.name === 'rect' && e.attributes.class === 'bar');
    expect(bars.map((b) => b.attributes['data-program'])).toEqual(['fnv1a', 'crc32', 'popcount', 'checksum']);
    expect(bars.every((b) => Number(b.attributes['data-value']) > 0)).toBe(true);
  });

  it('refuses what it cannot do, with the usage (exit 2) or the file (exit 1)', async () => {
    expect((await bench([FIXTURES, '--mem', '00'])).stderr).toMatch(/--mem is for one program; a suite's entries say it themselves/);
    expect((await bench([join(FIXTURES, 'crc32.c'), '--json', '--markdown'])).status).toBe(2);
    expect((await bench([join(FIXTURES, 'crc32.c'), '-O0', '--vs-O0'])).stderr).toMatch(/-O0 and --vs-O0 exclude each other/);
    const missing = await bench([join(dir, 'nope.json')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^a64jit bench: .*nope\.json: no such file or directory$/m);
    const broken = join(dir, 'broken.c');
    writeFileSync(broken, 'unsigned long long bench(unsigned char *m, unsigned long long n) { return syntax error; }\n');
    const r = await bench([broken]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^broken +- +FAIL: .*broken\.c: compiling to BPF: clang-22 failed \(exit 1\)/m);
  });
});
