import { describe, expect, it } from 'vitest';
import { BENCH_REPORT_SCHEMA, formatMarkdown, formatTable, measureProgram, renderChart, seededRandom, type BenchReport, type Variant } from '../../src/bench/index.js';
import { programReport, progressLine, REPORT_SCHEMA_ID } from '../../src/bench/report.js';
import { validate } from '../support/json-schema.js';
import { allElements, parseXml } from '../support/xml.js';

// Measurement, reports and charts on synthetic variants: everything but the machine code, so
// it runs on any host. The run loop itself is tested in run-loop.native.test.ts.

/** A variant whose runs cost `nsPerRun` (with seeded jitter) and return `r0`; it logs its batches. */
function fake(label: string, nsPerRun: number, r0: bigint, log: string[], seed = 1): Variant {
  const random = seededRandom(seed);
  return {
    label,
    kind: label === 'jit' ? 'jit' : 'native',
    batch: (n) => {
      log.push(`${label}:${n}`);
      return { ns: n * nsPerRun * (1 + 0.01 * random()), r0 };
    },
    compile: label === 'jit' ? { bpfInsns: 12, codeBytes: 96, compileMs: 0.5, verifyMs: null, optimized: true, unoptimized: null } : undefined,
    free: () => {},
  } as Variant;
}

const options = { samples: 8, sampleNs: 1_000_000, warmupNs: 100_000, emulated: false } as const;

function report(programs: BenchReport['programs'], emulated = false): BenchReport {
  return {
    schema: REPORT_SCHEMA_ID,
    host: { arch: 'arm64', platform: 'linux', node: 'v22.0.0', emulated, emulator: emulated ? 'qemu-aarch64' : null, timerHz: 24_000_000 },
    settings: { samples: 8, sampleMs: 1, warmupMs: 0.1 },
    counters: 'hardware counters: counting instructions, cycles',
    countsNote: null,
    ok: programs.every((p) => p.ok),
    programs,
  };
}

describe('measuring variants', () => {
  it('checks results, calibrates runs per sample to a power of two, samples interleaved, and gives ratios to the first variant', () => {
    const log: string[] = [];
    const m = measureProgram([fake('jit', 100, 42n, log), fake('native', 50, 42n, log, 2)], { ...options, expect: 42n });
    const [jit, native] = m.variants;
    expect(jit).toMatchObject({ ok: true, r0: 42n, runsPerSample: 16_384 }); // 1 ms / 100 ns = 10,000 runs wanted
    expect(native).toMatchObject({ ok: true, runsPerSample: 32_768 });
    expect(jit!.samples).toHaveLength(8);
    expect(jit!.time!.median).toBeGreaterThan(100);
    expect(jit!.time!.median).toBeLessThan(101);
    expect(native!.ratio!.time!.ratio).toBeCloseTo(0.5, 2);
    expect(native!.ratio!.time!.ci95[0]).toBeLessThanOrEqual(native!.ratio!.time!.ratio);
    // the sampling phase alternates jit, native, jit, native ...
    const sampling = log.slice(-16).map((l) => l.split(':')[0]);
    expect(sampling).toEqual(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 'jit' : 'native')));
  });

  it('fails a variant whose result differs from the expected one, or from the first variant without one', () => {
    const log: string[] = [];
    const wrong = measureProgram([fake('jit', 100, 42n, log), fake('native', 50, 41n, log)], { ...options, expect: 42n });
    expect(wrong.variants[1]).toMatchObject({ ok: false, error: 'returned 0x29, expected 0x2a', samples: [] });
    expect(wrong.variants[0]!.ok).toBe(true);
    const both = measureProgram([fake('jit', 100, 7n, log), fake('native', 50, 7n, log)], { ...options, expect: 8n });
    expect(both.variants.map((v) => v.ok)).toEqual([false, false]);
    const disagree = measureProgram([fake('jit', 100, 7n, log), fake('native', 50, 9n, log)], options);
    expect(disagree.variants[1]!.error).toBe('returned 0x9, the jit result 0x7');
  });

  it('takes a fixed runs per sample when the entry says so', () => {
    const m = measureProgram([fake('jit', 100, 1n, [])], { ...options, repeat: 1000 });
    expect(m.variants[0]!.runsPerSample).toBe(1000);
  });
});

describe('the report', () => {
  const log: string[] = [];
  const good = programReport(
    { name: 'crc32', source: 'crc32.c', entry: 'bench', input: '256 bytes, seed 2', expect: 0xc8cd6a3n },
    measureProgram([fake('jit', 100, 0xc8cd6a3n, log), fake('native clang-22 -O2', 40, 0xc8cd6a3n, log)], options),
  );
  const wrong = programReport(
    { name: 'sum', source: 'sum.c', entry: 'bench', input: 'none', expect: 1n },
    measureProgram([fake('jit', 100, 2n, log), fake('native clang-22 -O2', 40, 2n, log)], { ...options, expect: 1n }),
  );
  const broken = programReport({ name: 'bad', source: 'bad.c', entry: 'bench', input: 'none' }, { error: 'bad.c: compiling to BPF: clang-22 failed (exit 1)' });

  it('matches its JSON Schema, also after a JSON round trip, and the validator catches what does not', () => {
    const r = JSON.parse(JSON.stringify(report([good, wrong, broken]))) as BenchReport;
    expect(validate(BENCH_REPORT_SCHEMA, r)).toEqual([]);
    expect(r.ok).toBe(false);
    expect(r.programs.map((p) => p.ok)).toEqual([true, false, false]);
    expect(r.programs[0]!.variants.map((v) => v.compile)).toEqual([{ bpfInsns: 12, codeBytes: 96, compileMs: 0.5, verifyMs: null, optimized: true, unoptimized: null }, null]);
    const missing = JSON.parse(JSON.stringify(r)) as { programs: { variants: { r0?: string }[] }[] };
    delete missing.programs[0]!.variants[0]!.r0;
    expect(validate(BENCH_REPORT_SCHEMA, missing)).toEqual(["$.programs[0].variants[0]: missing 'r0'"]);
    expect(validate(BENCH_REPORT_SCHEMA, { ...r, schema: 'other' })).toEqual(['$.schema: is "other", expected "a64jit-bench/1"']);
    expect(validate(BENCH_REPORT_SCHEMA, { ...r, extra: 1 })).toEqual(["$: unexpected 'extra'"]);
  });

  it('prints a table: per variant R0, ns/run with its interval, runs/s, ratios and compile figures; failures as FAIL rows', () => {
    const text = formatTable(report([good, wrong, broken]));
    expect(text).toMatch(/^a64jit bench: linux-arm64 \(Node v22\.0\.0\), native$/m);
    expect(text).toMatch(/^program +variant +R0 +ns\/run \[95% CI\] +runs\/s +ratio \(time\) +BPF insns +code bytes +compile ms$/m);
    expect(text).toMatch(/^crc32 +jit +0xc8cd6a3 +10\d\.?\d* \[10\d.*\] +9,9\d\d,\d\d\d +1\.00 +12 +96 +0\.500$/m);
    expect(text).toMatch(/^ +native clang-22 -O2 +0xc8cd6a3 .* 0\.4\d \[0\.\d\d, 0\.\d\d\]$/m);
    expect(text).toMatch(/^sum +jit +FAIL: returned 0x2, expected 0x1$/m);
    expect(text).toMatch(/^bad +- +FAIL: bad\.c: compiling to BPF: clang-22 failed \(exit 1\)$/m);
    expect(text).toMatch(/^1 of 3 programs passed, 2 FAILED$/m);
  });

  it('labels emulated wall clock as emulator speed and shows the exact counts column', () => {
    const text = formatTable(report([good], true));
    expect(text).toMatch(/wall-clock figures are the EMULATOR's speed/);
    expect(text).toMatch(/insns\/run +ns\/run, emulated \[95% CI\]/);
  });

  it('prints the same table as Markdown', () => {
    const md = formatMarkdown(report([good, wrong]));
    const lines = md.split('\n');
    const header = lines.findIndex((l) => l.startsWith('| program |'));
    expect(lines[header + 1]).toMatch(/^\| --- \| --- \|( ---: \|)+$/);
    const cells = (l: string) => l.split(/(?<!\\)\|/).length;
    expect(lines.slice(header, header + 6).filter((l) => l.startsWith('|')).map(cells)).toEqual(Array(6).fill(cells(lines[header]!)));
  });

  it('draws an SVG that parses, with one bar per program, error bars and the line at 1', () => {
    const svg = renderChart(report([good, wrong, { ...good, name: 'a<b&"c"' }]), 'suite & co');
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    const bars = allElements(root).filter((e) => e.name === 'rect' && e.attributes.class === 'bar');
    expect(bars.map((b) => b.attributes['data-program'])).toEqual(['crc32', 'a<b&"c"']); // 'sum' failed: no bar
    expect(Number(bars[0]!.attributes['data-value'])).toBeCloseTo(good.variants[1]!.ratio!.time!.value, 12);
    expect(allElements(root).filter((e) => e.attributes.class === 'error')).toHaveLength(2 * 3);
    expect(allElements(root).filter((e) => e.attributes.class === 'reference')).toHaveLength(1);
    expect(allElements(root).find((e) => e.name === 'title')!.text).toBe('suite & co');
  });

  it('charts per-run figures when nothing is compared: one bar per program', () => {
    const single = (p: typeof good) => ({ ...p, variants: p.variants.slice(0, 1) });
    const root = parseXml(renderChart(report([single(good), { ...single(good), name: 'other' }])));
    const bars = allElements(root).filter((e) => e.attributes.class === 'bar');
    expect(bars.map((b) => b.attributes['data-program'])).toEqual(['crc32', 'other']);
    expect(Number(bars[0]!.attributes['data-value'])).toBe(good.variants[0]!.nsPerRun!.median);
  });

  it('shows progress as a bar that fits the terminal', () => {
    expect(progressLine(0.5, 'crc32', 60)).toBe(`[${'#'.repeat(15)}${'.'.repeat(15)}]  50%  crc32`);
    expect(progressLine(2, 'x', 40)).toMatch(/^\[#{10}\] 100%  x$/);
    expect(progressLine(0.1, 'a'.repeat(100), 50).length).toBe(49);
  });
});
