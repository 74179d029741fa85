import { describe, expect, it } from 'vitest';
import {
  bootstrapInterval,
  calibrateRuns,
  median,
  noiseWarning,
  quantile,
  ratioOfMedians,
  runsForTarget,
  seededRandom,
  summarize,
} from '../../src/bench/stats.js';

/** Normal samples by Box-Muller from the seeded generator. */
function normal(seed: number, n: number, mean: number, sd: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe('quantiles (type 7: linear between closest ranks, as R and NumPy)', () => {
  const oneTo20 = Array.from({ length: 20 }, (_, i) => i + 1);
  it('match the hand-computed values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile(oneTo20, 0.05)).toBeCloseTo(1.95, 12); // h = 19 * 0.05 = 0.95
    expect(quantile(oneTo20, 0.95)).toBeCloseTo(19.05, 12);
    expect(quantile(oneTo20, 0)).toBe(1);
    expect(quantile(oneTo20, 1)).toBe(20);
    expect(quantile([7], 0.3)).toBe(7);
  });
  it('refuse what has no quantile', () => {
    expect(() => median([])).toThrow(/no samples/);
    expect(() => quantile([1, 2], 1.5)).toThrow(/\[0, 1\]/);
    expect(() => median([1, NaN])).toThrow(/finite/);
  });
});

describe('summaries', () => {
  it('give min, max, mean, median, p5, p95 and the sample standard deviation', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s).toMatchObject({ n: 8, min: 2, max: 9, mean: 5, median: 4.5 });
    expect(s.stddev).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.p5).toBeCloseTo(2 + 0.35 * 2, 12); // h = 7 * 0.05 = 0.35, between 2 and 4
    expect(s.p95).toBeCloseTo(7 + 0.65 * 2, 12); // h = 6.65, between 7 and 9
  });

  it('give a zero-width interval for identical samples (exact counts) and no noise warning', () => {
    const s = summarize(Array(10).fill(1234));
    expect(s.ci95).toEqual([1234, 1234]);
    expect(s.stddev).toBe(0);
    expect(noiseWarning(s)).toBeUndefined();
  });

  it('are reproducible: the same samples and seed give the same interval', () => {
    const xs = normal(7, 30, 100, 5);
    expect(summarize(xs).ci95).toEqual(summarize(xs).ci95);
    expect(summarize(xs, { seed: 2 }).ci95).toEqual(summarize(xs, { seed: 2 }).ci95);
  });

  it("the median's 95% bootstrap interval covers the true median about 95% of the time", () => {
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const [lo, hi] = bootstrapInterval(normal(1000 + t, 40, 50, 4), median, { resamples: 500, seed: t });
      if (lo <= 50 && 50 <= hi) covered++;
    }
    // the percentile bootstrap of a median is slightly conservative for small n
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThanOrEqual(1);
  });

  it('narrow as samples grow', () => {
    const width = (n: number) => {
      const [lo, hi] = summarize(normal(3, n, 10, 1)).ci95;
      return hi - lo;
    };
    expect(width(400)).toBeLessThan(width(25) / 2);
  });
});

describe('noise warnings', () => {
  it('stay quiet for a tight spread and fire for a bimodal one, saying by how much', () => {
    expect(noiseWarning(summarize(normal(5, 30, 100, 0.5)))).toBeUndefined();
    const bimodal = [...normal(6, 15, 100, 0.5), ...normal(8, 15, 130, 0.5)];
    expect(noiseWarning(summarize(bimodal))).toMatch(/^noisy: p5\.\.p95 spans \d+\.\d% of the median, the median's 95% interval is \+-\d+\.\d%/);
  });
});

describe('ratios of two variants', () => {
  it('are exact for exactly proportional samples', () => {
    const b = normal(9, 20, 10, 1);
    const r = ratioOfMedians(b.map((x) => 2 * x), b);
    expect(r.ratio).toBeCloseTo(2, 12);
    expect(r.ci95[0]).toBeCloseTo(2, 12);
    expect(r.ci95[1]).toBeCloseTo(2, 12);
  });

  it('pair interleaved samples, so drift shared by a pair cancels', () => {
    // the machine slows down by up to 50% over the run; A always costs 1.5x B at that moment
    const drift = Array.from({ length: 30 }, (_, i) => 1 + i / 60);
    const jitter = normal(11, 60, 0, 0.002);
    const b = drift.map((d, i) => 100 * d * (1 + jitter[i]!));
    const a = drift.map((d, i) => 150 * d * (1 + jitter[30 + i]!));
    const r = ratioOfMedians(a, b);
    expect(r.ratio).toBeCloseTo(1.5, 1);
    expect(r.ci95[1] - r.ci95[0]).toBeLessThan(0.03);
    expect(r.ci95[0]).toBeLessThan(1.5 * 1.01);
    expect(r.ci95[1]).toBeGreaterThan(1.5 * 0.99);
  });

  it('need paired samples and a non-zero denominator', () => {
    expect(() => ratioOfMedians([1, 2], [1])).toThrow(/equal counts/);
    expect(() => ratioOfMedians([1, 2], [0, 0])).toThrow(/denominator/);
  });
});

describe('runs per sample (adaptive N)', () => {
  it('reach the target time with a power of two', () => {
    expect(runsForTarget(1, 100, 1_000_000)).toBe(16_384); // 10,000 runs wanted
    expect(runsForTarget(1024, 1_000_000, 1_000_000)).toBe(1024);
    expect(runsForTarget(4, 40_000_000, 1_000_000)).toBe(1); // one run is already longer
    expect(runsForTarget(1, 0, 1_000_000, 4096)).toBe(4096); // a clock that did not move
  });

  it('calibrate by doubling until a batch is long enough to extrapolate from', () => {
    const calls: number[] = [];
    const n = calibrateRuns((k) => {
      calls.push(k);
      return k * 250; // 250 ns per run
    }, 50_000_000);
    expect(n).toBe(262_144); // 200,000 wanted
    expect(calls).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]);
    expect(calibrateRuns(() => 0, 1e6, 64)).toBe(64);
  });
});
