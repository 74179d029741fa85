/** Text rendering of a matrix report: a table per direction, failures, known defects, totals. */
import type { DirectionRun, SignatureOutcome } from './directions/direction.js';
import type { MatrixReport } from './matrix.js';

function pad(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
}

const group = (o: SignatureOutcome): string => (o.id.startsWith('rand-') ? 'random' : 'corpus');

function table(run: DirectionRun): string[] {
  const rows = ['corpus', 'random'].map((g) => {
    const os = run.outcomes.filter((o) => group(o) === g);
    const n = (s: SignatureOutcome['status']) => os.filter((o) => o.status === s).length;
    return [g, os.length, n('pass'), n('fail') + n('known'), n('known'), n('skipped')] as const;
  });
  const total = ['total', ...[1, 2, 3, 4, 5].map((i) => rows.reduce((s, r) => s + (r[i] as number), 0))];
  const widths = [8, 10, 7, 7, 6, 8];
  return [
    pad(['', 'signatures', 'passed', 'failed', 'known', 'skipped'], widths),
    ...rows.map((r) => pad(r, widths)),
    pad(total, widths),
  ];
}

export function formatOutcome(o: SignatureOutcome): string[] {
  const head = `${o.status === 'known' ? `KNOWN ${o.known}` : 'FAIL'} ${o.id}: ${o.signature}${o.reason ? ` -- ${o.reason}` : ''}`;
  return [
    head,
    ...o.mismatches.map((m) => `    ${m.what}: expected at ${m.expected}, ${m.found} (expected ${m.expectedBytes}, got ${m.actualBytes || 'nothing'})`),
  ];
}

export interface FormatOptions {
  /** how many failures to print in full per direction (default: all) */
  readonly maxFailures?: number;
}

export function formatReport(r: MatrixReport, options: FormatOptions = {}): string {
  const lines: string[] = [`AAPCS64 conformance matrix: variant ${r.variant}, seed ${r.seed}, ${r.signatures} signatures`];
  for (const run of r.runs) {
    lines.push('', `== ${run.title} (${run.id}) ==`, ...table(run).map((l) => `  ${l}`));
    for (const n of run.notes) lines.push(`  note: ${n}`);
    const bad = run.outcomes.filter((o) => o.status === 'fail' || o.status === 'known');
    const shown = bad.slice(0, options.maxFailures ?? bad.length);
    for (const o of shown) lines.push(...formatOutcome(o).map((l) => `  ${l}`));
    if (shown.length < bad.length) lines.push(`  ... ${bad.length - shown.length} more failures (--json lists all)`);
    const skippedReasons = new Map<string, number>();
    for (const o of run.outcomes) if (o.status === 'skipped') skippedReasons.set(o.reason ?? '', (skippedReasons.get(o.reason ?? '') ?? 0) + 1);
    for (const [reason, n] of skippedReasons) lines.push(`  skipped ${n}: ${reason}`);
    for (const d of run.knownDefects) {
      lines.push(`  known defect ${d.id}: ${d.title}`, `    ${d.description}`, '    minimal reproduction:', ...d.reproduction.split('\n').map((l) => `      ${l}`));
    }
  }
  for (const u of r.unavailable) lines.push('', `== ${u.title} (${u.id}) == not run: ${u.reason}`);
  const t = r.totals;
  lines.push('');
  if (t.known) lines.push(`${t.known} of the failures are known third-party defects (listed above); ${t.skipped} skipped`);
  else if (t.skipped) lines.push(`${t.skipped} skipped`);
  lines.push(`${t.passed} passed, ${t.failed} failed`);
  return `${lines.join('\n')}\n`;
}
