/**
 * The conformance matrix: every registered direction over the corpus plus seeded random
 * signatures, on the current host.
 */
import { hostVariant, type Variant } from './classify.js';
import { corpus } from './corpus.js';
import { registerBuiltinDirections, registeredDirections, type DirectionContext, type DirectionRun } from './directions/index.js';
import { randomSignatures } from './random-signatures.js';
import type { Signature } from './types.js';

export interface MatrixOptions {
  readonly seed: number;
  /** number of random signatures added to the corpus */
  readonly count: number;
  /** direction ids to run (default: all registered) */
  readonly directions?: readonly string[];
  readonly variant?: Variant;
  readonly log?: (message: string) => void;
}

export interface MatrixReport {
  readonly variant: Variant;
  readonly seed: number;
  readonly signatures: number;
  readonly runs: readonly DirectionRun[];
  readonly unavailable: readonly { readonly id: string; readonly title: string; readonly reason: string }[];
  readonly totals: Totals;
}

export interface Totals {
  readonly passed: number;
  /** failures, the known ones included */
  readonly failed: number;
  readonly known: number;
  readonly skipped: number;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_COUNT = 700;

export function matrixSignatures(seed: number, count: number): Signature[] {
  return [...corpus(), ...randomSignatures(seed, count)];
}

export function totalsOf(runs: readonly DirectionRun[]): Totals {
  let passed = 0;
  let failed = 0;
  let known = 0;
  let skipped = 0;
  for (const r of runs) {
    for (const o of r.outcomes) {
      if (o.status === 'pass') passed++;
      else if (o.status === 'skipped') skipped++;
      else {
        failed++;
        if (o.status === 'known') known++;
      }
    }
  }
  return { passed, failed, known, skipped };
}

export async function runMatrix(options: MatrixOptions): Promise<MatrixReport> {
  registerBuiltinDirections();
  const variant = options.variant ?? hostVariant();
  const ctx: DirectionContext = { variant, seed: options.seed, ...(options.log ? { log: options.log } : {}) };
  const signatures = matrixSignatures(options.seed, options.count);
  const wanted = options.directions;
  const all = registeredDirections();
  if (wanted) {
    const unknown = wanted.filter((id) => !all.some((d) => d.id === id));
    if (unknown.length) throw new Error(`unknown direction(s): ${unknown.join(', ')} (known: ${all.map((d) => d.id).join(', ')})`);
  }
  const runs: DirectionRun[] = [];
  const unavailable: { id: string; title: string; reason: string }[] = [];
  for (const d of all) {
    if (wanted && !wanted.includes(d.id)) continue;
    const reason = d.unavailable(ctx);
    if (reason) {
      unavailable.push({ id: d.id, title: d.title, reason });
      continue;
    }
    options.log?.(`${d.id}: ${signatures.length} signatures`);
    runs.push(await d.run(signatures, ctx));
  }
  return { variant, seed: options.seed, signatures: signatures.length, runs, unavailable, totals: totalsOf(runs) };
}
