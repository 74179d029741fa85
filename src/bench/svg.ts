import { figure, type BenchReport } from './report.js';

/**
 * `--svg chart.svg`: a horizontal bar chart of a bench report, written by hand (plain SVG 1.1,
 * no scripts, no external references). With comparisons, one bar per program and compared
 * variant: its ratio to the program's first variant (exact instruction counts under qemu,
 * else the median time, with the 95% interval as an error bar) and a line at 1. Without
 * comparisons, one bar per program: instructions per run under qemu, else ns per run.
 * Every bar is a <rect class="bar" data-program=... data-variant=... data-value=...>.
 */

interface Bar {
  readonly program: string;
  readonly variant: string;
  readonly value: number;
  readonly interval?: readonly [number, number];
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

function bars(report: BenchReport): { bars: Bar[]; metric: string; ratio: boolean } {
  const emulated = report.host.emulated;
  const compared = report.programs.some((p) => p.variants.some((v) => v.ok && v.ratio));
  const out: Bar[] = [];
  if (compared) {
    const useInsns = emulated && report.programs.every((p) => p.variants.every((v) => !v.ok || !v.ratio || v.ratio.insns !== null));
    for (const p of report.programs) {
      for (const v of p.variants) {
        if (!v.ok || !v.ratio) continue;
        if (useInsns && v.ratio.insns !== null) out.push({ program: p.name, variant: v.label, value: v.ratio.insns });
        else if (v.ratio.time) out.push({ program: p.name, variant: v.label, value: v.ratio.time.value, interval: v.ratio.time.ci95 });
      }
    }
    const base = report.programs.find((p) => p.variants[0])?.variants[0]?.label ?? 'the first variant';
    return { bars: out, metric: `${useInsns ? 'executed instructions (exact under qemu: no error bars)' : emulated ? 'time under emulation (emulator speed), 95% interval' : 'time, 95% interval'} relative to ${base}`, ratio: true };
  }
  const useInsns = emulated && report.programs.every((p) => p.variants.every((v) => !v.ok || v.insnsPerRun !== null));
  for (const p of report.programs) {
    const v = p.variants[0];
    if (!v?.ok || !v.nsPerRun) continue;
    if (useInsns) out.push({ program: p.name, variant: v.label, value: v.insnsPerRun! });
    else out.push({ program: p.name, variant: v.label, value: v.nsPerRun.median, interval: v.nsPerRun.ci95 });
  }
  return { bars: out, metric: useInsns ? 'instructions per run (exact, under qemu)' : `ns per run${emulated ? ' (emulator speed)' : ''}, median and 95% interval`, ratio: false };
}

/** A round step for about `count` ticks over [0, max], and the decimals that show it. */
function tickStep(max: number, count: number): { step: number; decimals: number } {
  const raw = max / count;
  const exponent = Math.floor(Math.log10(raw));
  const m = [1, 2, 2.5, 5, 10].find((k) => k * 10 ** exponent >= raw) ?? 10;
  return { step: m * 10 ** exponent, decimals: Math.max(0, -exponent + (m === 2.5 ? 1 : 0)) };
}

const tickText = (v: number, decimals: number): string => (v >= 1000 ? figure(v) : v.toFixed(decimals));

export function renderChart(report: BenchReport, title = 'a64jit bench'): string {
  const { bars: data, metric, ratio } = bars(report);
  const multi = new Set(data.map((b) => b.variant)).size > 1;
  const label = (b: Bar) => (multi ? `${b.program} / ${b.variant}` : b.program);
  const left = Math.min(320, 16 + 7 * Math.max(8, ...data.map((b) => label(b).length)));
  const plot = 520;
  const rowH = 22;
  const top = 64;
  const width = left + plot + 90;
  const height = top + Math.max(1, data.length) * rowH + 44;
  const max = Math.max(ratio ? 1 : 0, ...data.map((b) => Math.max(b.value, b.interval?.[1] ?? 0))) * 1.05 || 1;
  const x = (v: number) => left + (Math.max(0, v) / max) * plot;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${escape(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`);
  const where = report.host.emulated ? `arm64 under ${report.host.emulator ?? 'emulation'}` : `${report.host.platform}-${report.host.arch}`;
  out.push(`<text x="${left}" y="40" fill="#444444">${escape(`${metric}; ${where}`)}</text>`);
  const { step, decimals } = tickStep(max, 6);
  for (let k = 0; k * step <= max + 1e-9; k++) {
    const t = k * step;
    const tx = x(t).toFixed(1);
    out.push(`<line class="grid" x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${top + data.length * rowH}" stroke="#dddddd"/>`);
    out.push(`<text x="${tx}" y="${top + data.length * rowH + 16}" text-anchor="middle" fill="#444444">${escape(tickText(t, decimals))}</text>`);
  }
  data.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(label(b))}</text>`);
    const w = (x(b.value) - left).toFixed(1);
    const fill = ratio ? (b.value <= 1 ? '#3b7dd8' : '#d8743b') : '#3b7dd8';
    out.push(
      `<rect class="bar" data-program="${escape(b.program)}" data-variant="${escape(b.variant)}" data-value="${b.value}" x="${left}" y="${y + 4}" width="${w}" height="${rowH - 8}" fill="${fill}"/>`,
    );
    if (b.interval) {
      const [lo, hi] = b.interval;
      const cy = (y + rowH / 2).toFixed(1);
      out.push(`<line class="error" x1="${x(lo).toFixed(1)}" y1="${cy}" x2="${x(hi).toFixed(1)}" y2="${cy}" stroke="#222222" stroke-width="1.5"/>`);
      for (const v of [lo, hi]) out.push(`<line class="error" x1="${x(v).toFixed(1)}" y1="${y + 7}" x2="${x(v).toFixed(1)}" y2="${y + rowH - 7}" stroke="#222222" stroke-width="1.5"/>`);
    }
    out.push(`<text x="${(Math.max(x(b.value), b.interval ? x(b.interval[1]) : 0) + 6).toFixed(1)}" y="${y + 15}" fill="#222222">${escape(ratio ? `${b.value.toFixed(2)}x` : figure(b.value))}</text>`);
  });
  if (ratio) {
    const one = x(1).toFixed(1);
    out.push(`<line class="reference" x1="${one}" y1="${top - 6}" x2="${one}" y2="${top + data.length * rowH}" stroke="#222222" stroke-dasharray="4 3"/>`);
  }
  if (data.length === 0) out.push(`<text x="${left}" y="${top + 15}" fill="#aa0000">no program ran</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
