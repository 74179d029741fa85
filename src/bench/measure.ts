import { InsnCountError, insnCountStatus, insnsPerRun } from '../runtime/index.js';
import type { CounterFigures, CounterSet } from './counters.js';
import type { RunLoop } from './run-loop.js';
import { calibrateRuns, ratioOfMedians, summarize, noiseWarning, type Ratio, type Summary } from './stats.js';
import type { CompileFigures, Variant, VariantKind } from './variants.js';

/**
 * Measuring one program's variants: check every variant's result, warm up, pick the runs per
 * sample (adaptive N), then take the samples interleaved (A B C, A B C, ...) so drift of the
 * machine touches every variant alike; the run loop's own cost is sampled in the same rounds.
 * Under qemu the exact instructions per run come from the instruction-count plugin; on arm64
 * Linux the hardware counters per run come from perf_event_open.
 */

export interface MeasureOptions {
  /** samples per variant */
  readonly samples: number;
  /** the least wall-clock time of one sample (ns) */
  readonly sampleNs: number;
  /** warm-up time per variant before sampling (ns) */
  readonly warmupNs: number;
  /** running under qemu: wall clock is the emulator's */
  readonly emulated: boolean;
  /** R0 every run must return; without it, the first variant's R0 is what the others must match */
  readonly expect?: bigint;
  /** runs per sample, instead of calibrating */
  readonly repeat?: number;
  /** hardware counters (arm64 hardware) */
  readonly counters?: CounterSet;
  /** called after each sample, for a progress bar */
  readonly onSample?: () => void;
}

export interface VariantResult {
  readonly label: string;
  readonly kind: VariantKind;
  readonly ok: boolean;
  /** why the variant failed (wrong result, a run-time error) */
  readonly error?: string;
  /** R0 of the runs (the checked value) */
  readonly r0?: bigint;
  readonly runsPerSample: number;
  /** ns per run, one per sample */
  readonly samples: readonly number[];
  readonly time?: Summary;
  readonly noise?: string;
  /** exact executed instructions per run under qemu, in the variant's own code */
  readonly insnsPerRun?: bigint;
  readonly counters?: CounterFigures;
  readonly compile?: CompileFigures;
  /** against the first variant */
  readonly ratio?: { readonly time?: Ratio; readonly insns?: number };
}

export interface LoopCost {
  readonly runsPerSample: number;
  readonly samples: readonly number[];
  readonly time: Summary;
  /** the loop's own instructions per run (restores, call, count-down) under qemu */
  readonly insnsPerRun?: bigint;
}

export interface ProgramMeasurement {
  readonly variants: readonly VariantResult[];
  /** the run loop's cost per run, measured with an empty target */
  readonly loop?: LoopCost;
  /** why exact counts are missing under emulation (plugin not loaded) */
  readonly countsNote?: string;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Batches of growing size until `budgetNs` of them has run. */
function warmUp(batch: (n: number) => number, budgetNs: number): void {
  let spent = 0;
  for (let n = 1; spent < budgetNs; n = Math.min(n * 2, 1 << 20)) spent += Math.max(batch(n), 1);
}

export function measureProgram(variants: readonly Variant[], options: MeasureOptions): ProgramMeasurement {
  if (variants.length === 0) throw new RangeError('measureProgram: no variants');
  const expected: { value?: bigint } = options.expect === undefined ? {} : { value: options.expect };
  const failures = new Map<Variant, string>();
  const results = new Map<Variant, { r0: bigint }>();

  // 1. Results first: a wrong R0 fails the variant before any time is spent on it.
  for (const v of variants) {
    try {
      const { r0 } = v.batch(1);
      if (expected.value === undefined) expected.value = r0;
      if (r0 !== expected.value) {
        const whose = options.expect === undefined ? `the ${variants[0]!.label} result` : 'expected';
        failures.set(v, `returned ${hex(r0)}, ${whose} ${hex(expected.value)}`);
      } else {
        results.set(v, { r0 });
      }
    } catch (e) {
      failures.set(v, `${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  const live = variants.filter((v) => !failures.has(v));
  const loopOf = live.find((v) => v.overhead)?.overhead;

  // 2. Warm-up and runs per sample.
  const runs = new Map<Variant | RunLoop, number>();
  for (const v of live) {
    warmUp((n) => v.batch(n).ns, options.warmupNs);
    runs.set(v, options.repeat ?? calibrateRuns((n) => v.batch(n).ns, options.sampleNs));
  }
  if (loopOf) {
    const first = live.find((v) => v.overhead === loopOf)!;
    runs.set(loopOf, runs.get(first)!);
  }

  // 3. Interleaved samples, each result checked again.
  const samples = new Map<Variant | RunLoop, number[]>(
    [...live, ...(loopOf ? [loopOf] : [])].map((v) => [v, []]),
  );
  for (let s = 0; s < options.samples; s++) {
    for (const v of live) {
      if (failures.has(v)) continue;
      const n = runs.get(v)!;
      const sample = v.batch(n);
      if (sample.r0 !== expected.value) failures.set(v, `sample ${s + 1}: returned ${hex(sample.r0)}, expected ${hex(expected.value!)}`);
      samples.get(v)!.push(sample.ns / n);
      options.onSample?.();
    }
    if (loopOf) {
      const n = runs.get(loopOf)!;
      samples.get(loopOf)!.push(loopOf.run(n).ns / n);
    }
  }

  // 4. Exact counts under qemu, hardware counters on hardware.
  const counting = options.emulated ? insnCountStatus() : undefined;
  const countsNote = counting && !counting.available ? `no exact instruction counts: ${counting.reason}` : undefined;
  const exact = (range: Variant['range'], batch: (n: number) => void): bigint | undefined => {
    if (!counting?.available || !range) return undefined;
    try {
      return insnsPerRun(range, batch, 4).perRun;
    } catch (e) {
      if (e instanceof InsnCountError) return undefined;
      throw e;
    }
  };

  const base = live[0];
  const out: VariantResult[] = variants.map((v) => {
    const error = failures.get(v);
    const xs = samples.get(v) ?? [];
    if (error !== undefined || xs.length === 0) {
      return { label: v.label, kind: v.kind, ok: false, error: error ?? 'no samples', runsPerSample: runs.get(v) ?? 0, samples: xs, ...(v.compile ? { compile: v.compile } : {}) };
    }
    const time = summarize(xs);
    const noise = options.emulated ? undefined : noiseWarning(time);
    const insns = exact(v.range, (n) => void v.batch(n));
    const counters = options.counters?.available ? options.counters.perRun((n) => void v.batch(n), runs.get(v)!) : undefined;
    return {
      label: v.label,
      kind: v.kind,
      ok: true,
      r0: results.get(v)!.r0,
      runsPerSample: runs.get(v)!,
      samples: xs,
      time,
      ...(noise ? { noise } : {}),
      ...(insns === undefined ? {} : { insnsPerRun: insns }),
      ...(counters ? { counters } : {}),
      ...(v.compile ? { compile: v.compile } : {}),
    };
  });

  // 5. Ratios against the first variant that ran.
  const baseResult = out.find((r) => r.ok && base && r.label === base.label);
  const withRatios = out.map((r) => {
    if (!r.ok || !baseResult || r === baseResult) return r;
    const time = ratioOfMedians(r.samples, baseResult.samples);
    const insns = r.insnsPerRun !== undefined && baseResult.insnsPerRun !== undefined && baseResult.insnsPerRun > 0n ? Number(r.insnsPerRun) / Number(baseResult.insnsPerRun) : undefined;
    return { ...r, ratio: { time, ...(insns === undefined ? {} : { insns }) } };
  });

  let loop: LoopCost | undefined;
  if (loopOf && samples.get(loopOf)!.length > 0) {
    const xs = samples.get(loopOf)!;
    const insns = exact(loopOf.range, (n) => void loopOf.run(n));
    loop = { runsPerSample: runs.get(loopOf)!, samples: xs, time: summarize(xs), ...(insns === undefined ? {} : { insnsPerRun: insns }) };
  }
  return { variants: withRatios, ...(loop ? { loop } : {}), ...(countsNote ? { countsNote } : {}) };
}
