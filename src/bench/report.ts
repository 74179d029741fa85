import type { ProgramMeasurement, VariantResult } from './measure.js';
import type { CompileFigures, VariantKind } from './variants.js';

/**
 * The results of a bench run as one JSON-ready object (`--json`; its JSON Schema is
 * BENCH_REPORT_SCHEMA in schema.ts, printed by `a64jit bench --schema`), and the same as a
 * text table (stdout by default) and a Markdown table (`--markdown`).
 */

export const REPORT_SCHEMA_ID = 'a64jit-bench/1';

export interface TimeFigures {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p5: number;
  readonly p95: number;
  readonly stddev: number;
  readonly ci95: readonly [number, number];
  /** ns per run of each sample */
  readonly samples: readonly number[];
}

export interface VariantReport {
  readonly label: string;
  readonly kind: VariantKind;
  readonly ok: boolean;
  readonly error: string | null;
  readonly r0: string | null;
  readonly runsPerSample: number;
  readonly nsPerRun: TimeFigures | null;
  readonly runsPerSecond: number | null;
  readonly noise: string | null;
  readonly insnsPerRun: number | null;
  readonly counters: Readonly<Record<string, number | null>> | null;
  readonly countersNote: string | null;
  readonly ratio: { readonly time: { readonly value: number; readonly ci95: readonly [number, number] } | null; readonly insns: number | null } | null;
  /** the compile figures of a JIT variant (each compiles its own code: -O0, another program) */
  readonly compile: CompileFigures | null;
}

export interface ProgramReport {
  readonly name: string;
  readonly source: string;
  readonly entry: string;
  readonly input: string;
  readonly expect: string | null;
  readonly ok: boolean;
  readonly error: string | null;
  readonly compile: CompileFigures | null;
  readonly loop: { readonly nsPerRun: number; readonly insnsPerRun: number | null } | null;
  readonly variants: readonly VariantReport[];
}

export interface BenchReport {
  readonly schema: typeof REPORT_SCHEMA_ID;
  readonly host: {
    readonly arch: string;
    readonly platform: string;
    readonly node: string;
    readonly emulated: boolean;
    readonly emulator: string | null;
    /** CNTFRQ_EL0 of the timer the run loop reads */
    readonly timerHz: number | null;
  };
  readonly settings: { readonly samples: number; readonly sampleMs: number; readonly warmupMs: number };
  /** which hardware counters counted, and why the others did not */
  readonly counters: string | null;
  /** why exact instruction counts are missing under emulation */
  readonly countsNote: string | null;
  readonly ok: boolean;
  readonly programs: readonly ProgramReport[];
}

export interface ProgramInfo {
  readonly name: string;
  readonly source: string;
  readonly entry: string;
  readonly input: string;
  readonly expect?: bigint;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function variantReport(v: VariantResult): VariantReport {
  const t = v.time;
  return {
    label: v.label,
    kind: v.kind,
    ok: v.ok,
    error: v.error ?? null,
    r0: v.r0 === undefined ? null : hex(v.r0),
    runsPerSample: v.runsPerSample,
    nsPerRun: t ? { median: t.median, min: t.min, max: t.max, mean: t.mean, p5: t.p5, p95: t.p95, stddev: t.stddev, ci95: t.ci95, samples: v.samples } : null,
    runsPerSecond: t && t.median > 0 ? 1e9 / t.median : null,
    noise: v.noise ?? null,
    insnsPerRun: v.insnsPerRun === undefined ? null : Number(v.insnsPerRun),
    counters: v.counters ? v.counters.perRun : null,
    countersNote: v.counters?.note ?? null,
    ratio: v.ratio ? { time: v.ratio.time ? { value: v.ratio.time.ratio, ci95: v.ratio.time.ci95 } : null, insns: v.ratio.insns ?? null } : null,
    compile: v.compile ?? null,
  };
}

/** One program's row group; `error` is a failure before anything ran (a compile error). */
export function programReport(info: ProgramInfo, m: ProgramMeasurement | { readonly error: string }): ProgramReport {
  const common = { name: info.name, source: info.source, entry: info.entry, input: info.input, expect: info.expect === undefined ? null : hex(info.expect) };
  if ('error' in m) return { ...common, ok: false, error: m.error, compile: null, loop: null, variants: [] };
  const failed = m.variants.filter((v) => !v.ok);
  return {
    ...common,
    ok: failed.length === 0,
    error: failed.length === 0 ? null : failed.map((v) => `${v.label}: ${v.error}`).join('; '),
    compile: m.variants.find((v) => v.compile)?.compile ?? null,
    loop: m.loop ? { nsPerRun: m.loop.time.median, insnsPerRun: m.loop.insnsPerRun === undefined ? null : Number(m.loop.insnsPerRun) } : null,
    variants: m.variants.map(variantReport),
  };
}

// ---------------------------------------------------------------------------------------------
// Text and Markdown

const group = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 3 significant digits, grouped: 1,234 / 56.7 / 0.891. */
export function figure(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return group(n);
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

const ratioText = (r: VariantReport['ratio'], which: 'time' | 'insns'): string => {
  if (!r) return '1.00';
  if (which === 'insns') return r.insns === null ? '-' : r.insns.toFixed(2);
  return r.time === null ? '-' : `${r.time.value.toFixed(2)} [${r.time.ci95[0].toFixed(2)}, ${r.time.ci95[1].toFixed(2)}]`;
};

interface Row {
  readonly cells: readonly string[];
}

function columns(report: BenchReport): readonly string[] {
  const cols = ['program', 'variant', 'R0', ...(report.host.emulated ? ['insns/run'] : []), report.host.emulated ? 'ns/run, emulated [95% CI]' : 'ns/run [95% CI]', 'runs/s'];
  const counters = report.programs.flatMap((p) => p.variants).find((v) => v.counters)?.counters;
  if (counters) for (const name of Object.keys(counters)) cols.push(`${name}/run`);
  cols.push(...(report.host.emulated ? ['ratio (insns)'] : []), 'ratio (time)', 'BPF insns', 'code bytes', 'compile ms');
  return cols;
}

function rows(report: BenchReport): Row[] {
  const out: Row[] = [];
  const counterNames = Object.keys(report.programs.flatMap((p) => p.variants).find((v) => v.counters)?.counters ?? {});
  for (const p of report.programs) {
    if (p.variants.length === 0) {
      out.push({ cells: [p.name, '-', `FAIL: ${p.error}`] });
      continue;
    }
    p.variants.forEach((v, i) => {
      const first = i === 0;
      if (!v.ok) {
        out.push({ cells: [first ? p.name : '', v.label, `FAIL: ${v.error}`] });
        return;
      }
      const t = v.nsPerRun!;
      out.push({
        cells: [
          first ? p.name : '',
          v.label,
          v.r0 ?? '',
          ...(report.host.emulated ? [v.insnsPerRun === null ? '-' : group(v.insnsPerRun)] : []),
          `${figure(t.median)} [${figure(t.ci95[0])}, ${figure(t.ci95[1])}]${v.noise ? ' (noisy)' : ''}`,
          v.runsPerSecond === null ? '-' : group(v.runsPerSecond),
          ...counterNames.map((c) => (v.counters?.[c] == null ? '-' : figure(v.counters[c]!))),
          ...(report.host.emulated ? [ratioText(v.ratio, 'insns')] : []),
          ratioText(v.ratio, 'time'),
          v.compile ? group(v.compile.bpfInsns) : '',
          v.compile ? group(v.compile.codeBytes) : '',
          v.compile ? figure(v.compile.compileMs) : '',
        ],
      });
    });
  }
  return out;
}

/** What the figures mean on this host, one line each. */
export function headerLines(report: BenchReport): string[] {
  const h = report.host;
  const lines = [
    h.emulated
      ? `a64jit bench: arm64 under ${h.emulator ?? 'an emulator'} (Node ${h.node}): wall-clock figures are the EMULATOR's speed, not the hardware's; the exact instruction counts (insns/run, counted by the qemu plugin in each variant's own code) are the figures to compare`
      : `a64jit bench: ${h.platform}-${h.arch} (Node ${h.node}), native`,
    `timer: CNTVCT_EL0${h.timerHz ? ` at ${figure(h.timerHz / 1e6)} MHz` : ''}; ${report.settings.samples} samples of at least ${report.settings.sampleMs} ms per variant after ${report.settings.warmupMs} ms of warm-up, interleaved`,
  ];
  const loops = report.programs.filter((p) => p.loop);
  if (loops.length > 0) {
    const l = loops[0]!.loop!;
    lines.push(`run loop's own cost per run (restore, call, count-down; empty target): ${figure(l.nsPerRun)} ns${l.insnsPerRun === null ? '' : `, ${l.insnsPerRun} instructions`}${loops.length > 1 ? ` (${loops[0]!.name}; per program in --json)` : ''}, included in ns/run`);
  }
  if (report.counters) lines.push(report.counters);
  if (report.countsNote) lines.push(report.countsNote);
  return lines;
}

function noteLines(report: BenchReport): string[] {
  const notes: string[] = [];
  for (const p of report.programs) for (const v of p.variants) if (v.noise) notes.push(`${p.name} / ${v.label}: ${v.noise}`);
  return notes;
}

function summaryLine(report: BenchReport): string {
  const failed = report.programs.filter((p) => !p.ok).length;
  return `${report.programs.length - failed} of ${report.programs.length} programs passed${failed > 0 ? `, ${failed} FAILED` : ''}`;
}

export function formatTable(report: BenchReport): string {
  const cols = columns(report);
  const body = rows(report);
  const width = cols.map((c, i) => Math.max(c.length, ...body.map((r) => (r.cells.length === 3 && i === 2 ? 0 : (r.cells[i] ?? '').length))));
  const line = (cells: readonly string[]) =>
    cells.length === 3 && cells[2]!.startsWith('FAIL')
      ? `${cells[0]!.padEnd(width[0]!)}  ${cells[1]!.padEnd(width[1]!)}  ${cells[2]}`
      : cells.map((c, i) => (i < 2 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ').trimEnd();
  return [...headerLines(report), '', line(cols), ...body.map((r) => line(r.cells)), '', ...noteLines(report), summaryLine(report), ''].join('\n');
}

const md = (s: string): string => s.replace(/\|/g, '\\|');

export function formatMarkdown(report: BenchReport): string {
  const cols = columns(report);
  const body = rows(report).map((r) => (r.cells.length === 3 ? [...r.cells, ...Array(cols.length - 3).fill('')] : r.cells));
  return [
    ...headerLines(report).map((l) => `${md(l)}  `),
    '',
    `| ${cols.map(md).join(' | ')} |`,
    `| ${cols.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((cells) => `| ${cells.map(md).join(' | ')} |`),
    '',
    ...noteLines(report).map((l) => `- ${md(l)}`),
    summaryLine(report),
    '',
  ].join('\n');
}

/** One line of the progress bar (stderr on a terminal): `[#####.....]  45%  crc32`. */
export function progressLine(fraction: number, what: string, columns = 80): string {
  const f = Math.min(1, Math.max(0, fraction));
  const bar = Math.max(10, Math.min(40, columns - 30));
  const filled = Math.round(f * bar);
  const text = `[${'#'.repeat(filled)}${'.'.repeat(bar - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%  ${what}`;
  return text.length > columns - 1 ? text.slice(0, columns - 1) : text;
}
