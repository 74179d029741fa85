/**
 * Statistics of benchmark samples, as pure functions (no clock, no I/O): quantiles, a summary
 * with a percentile-bootstrap confidence interval of the median, ratios of two variants with
 * a paired bootstrap interval, the noise rule, and how many runs make a sample long enough.
 * Randomness comes from a seeded generator, so every figure is reproducible from its samples.
 */

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sortedCopy(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

function requireSamples(xs: readonly number[], what: string): void {
  if (xs.length === 0) throw new RangeError(`${what}: no samples`);
  if (xs.some((x) => !Number.isFinite(x))) throw new RangeError(`${what}: samples must be finite numbers`);
}

/**
 * The q-quantile (0 <= q <= 1) of sorted samples, by linear interpolation between the closest
 * ranks (Hyndman & Fan type 7, the default of R and NumPy): h = (n - 1) q.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  requireSamples(sorted, 'quantile');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function quantile(xs: readonly number[], q: number): number {
  return quantileSorted(sortedCopy(xs), q);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export interface BootstrapOptions {
  /** resamples drawn (default 2000) */
  readonly resamples?: number;
  /** coverage of the interval (default 0.95) */
  readonly confidence?: number;
  /** seed of the resampling (default 1) */
  readonly seed?: number;
}

/**
 * Percentile bootstrap interval (Efron): resample the samples with replacement, take the
 * statistic of each resample, and return the (1-c)/2 and (1+c)/2 quantiles of those.
 */
export function bootstrapInterval(xs: readonly number[], statistic: (resample: readonly number[]) => number, options: BootstrapOptions = {}): readonly [number, number] {
  requireSamples(xs, 'bootstrap');
  const { resamples = 2000, confidence = 0.95, seed = 1 } = options;
  const random = seededRandom(seed);
  const stats: number[] = [];
  const resample = new Array<number>(xs.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < xs.length; i++) resample[i] = xs[Math.floor(random() * xs.length)]!;
    stats.push(statistic(resample));
  }
  stats.sort((a, b) => a - b);
  return [quantileSorted(stats, (1 - confidence) / 2), quantileSorted(stats, (1 + confidence) / 2)];
}

export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly median: number;
  readonly p5: number;
  readonly p95: number;
  /** sample standard deviation (n - 1); 0 for one sample */
  readonly stddev: number;
  /** 95% bootstrap confidence interval of the median */
  readonly ci95: readonly [number, number];
}

export function summarize(xs: readonly number[], options: BootstrapOptions = {}): Summary {
  requireSamples(xs, 'summarize');
  const sorted = sortedCopy(xs);
  const n = sorted.length;
  const mean = sorted.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? sorted.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  return {
    n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mean,
    median: quantileSorted(sorted, 0.5),
    p5: quantileSorted(sorted, 0.05),
    p95: quantileSorted(sorted, 0.95),
    stddev: Math.sqrt(variance),
    ci95: bootstrapInterval(sorted, median, options),
  };
}

export interface Ratio {
  /** median(a) / median(b) */
  readonly ratio: number;
  /** 95% paired-bootstrap interval of the ratio of medians */
  readonly ci95: readonly [number, number];
}

/**
 * The ratio of two variants' medians. Samples taken interleaved (a1 b1 a2 b2 ...) are pairs:
 * the bootstrap resamples pair indices, so drift that moved both members of a pair cancels.
 */
export function ratioOfMedians(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): Ratio {
  requireSamples(a, 'ratio');
  requireSamples(b, 'ratio');
  if (a.length !== b.length) throw new RangeError(`ratio: paired samples need equal counts (${a.length} and ${b.length})`);
  const mb = median(b);
  if (mb === 0) throw new RangeError('ratio: the denominator median is 0');
  const { resamples = 2000, confidence = 0.95, seed = 1 } = options;
  const random = seededRandom(seed);
  const ratios: number[] = [];
  const ra = new Array<number>(a.length);
  const rb = new Array<number>(b.length);
  for (let k = 0; k < resamples; k++) {
    for (let i = 0; i < a.length; i++) {
      const j = Math.floor(random() * a.length);
      ra[i] = a[j]!;
      rb[i] = b[j]!;
    }
    const d = median(rb);
    ratios.push(d === 0 ? Infinity : median(ra) / d);
  }
  ratios.sort((x, y) => x - y);
  return { ratio: median(a) / mb, ci95: [quantileSorted(ratios, (1 - confidence) / 2), quantileSorted(ratios, (1 + confidence) / 2)] };
}

/** The spread above which a result is flagged as measured on a noisy machine. */
export const NOISE_LIMITS = {
  /** (p95 - p5) / median */
  spread: 0.1,
  /** half the width of the median's 95% interval, / median */
  ciHalfWidth: 0.02,
} as const;

/**
 * A warning when the samples say the machine was noisy (other load, frequency changes,
 * migrations between cores), else undefined. Only relative figures, so any unit works.
 */
export function noiseWarning(s: Summary): string | undefined {
  if (s.median <= 0 || s.n < 3) return undefined;
  const spread = (s.p95 - s.p5) / s.median;
  const half = (s.ci95[1] - s.ci95[0]) / 2 / s.median;
  const reasons: string[] = [];
  if (spread > NOISE_LIMITS.spread) reasons.push(`p5..p95 spans ${(spread * 100).toFixed(1)}% of the median`);
  if (half > NOISE_LIMITS.ciHalfWidth) reasons.push(`the median's 95% interval is +-${(half * 100).toFixed(1)}%`);
  return reasons.length === 0 ? undefined : `noisy: ${reasons.join(', ')} (limits ${NOISE_LIMITS.spread * 100}% and +-${NOISE_LIMITS.ciHalfWidth * 100}%)`;
}

/**
 * Runs per sample so that one sample takes at least `targetNs`, from a calibration batch of
 * `runs` runs that took `elapsedNs`: the next power of two at or above the estimate (powers of
 * two keep the N / 2N count differences exact), within [1, maxRuns].
 */
export function runsForTarget(runs: number, elapsedNs: number, targetNs: number, maxRuns = 2 ** 30): number {
  if (!(runs >= 1) || !(targetNs > 0)) throw new RangeError('runsForTarget: runs >= 1 and targetNs > 0');
  const perRun = elapsedNs > 0 ? elapsedNs / runs : 0;
  const wanted = perRun > 0 ? Math.ceil(targetNs / perRun) : maxRuns;
  let n = 1;
  while (n < wanted && n < maxRuns) n *= 2;
  return Math.min(n, maxRuns);
}

/**
 * Adaptive N: measure(n) runs n times and returns the elapsed ns; n doubles from 1 until a
 * batch takes at least a sixteenth of the target, then runsForTarget extrapolates from it.
 */
export function calibrateRuns(measure: (n: number) => number, targetNs: number, maxRuns = 2 ** 30): number {
  let n = 1;
  for (;;) {
    const elapsed = measure(n);
    if (elapsed >= targetNs / 16 || n >= maxRuns) return runsForTarget(n, elapsed, targetNs, maxRuns);
    n *= 2;
  }
}
