import { expect } from 'vitest';
import { Rng } from '../../src/bpf/program-generator.js';
import { checkCase, fuzzCase } from './fuzz-support.js';

/**
 * One range of the verifier's differential fuzz (fuzz-support.ts): every case verified, every
 * accepted one run in the interpreter. Fails on the first 10 problems (each names its seed),
 * or when fewer than `minAccepted` cases were accepted and run.
 */
export function runFuzz(first: number, count: number, minAccepted: number): void {
  const problems: string[] = [];
  let accepted = 0;
  let rejected = 0;
  let sandboxRan = 0;
  const start = Date.now();
  for (let seed = first; seed < first + count && problems.length < 10; seed++) {
    const c = fuzzCase(seed);
    const outcome = checkCase(c.insns, c.options, c.memSize, new Rng(seed));
    if (outcome.kind === 'accepted') accepted++;
    else if (outcome.kind === 'rejected') {
      rejected++;
      if (outcome.sandboxRan) sandboxRan++;
    }
    else if (outcome.kind === 'verifier-crash') problems.push(`seed ${seed}: the verifier threw ${outcome.error instanceof Error ? `${outcome.error.name}: ${outcome.error.message}` : String(outcome.error)}`);
    else problems.push(`seed ${seed}: accepted, then ${outcome.why}`);
  }
  console.log(`verifier fuzz, seeds ${first}..${first + count - 1}: ${accepted} accepted and run, ${rejected} rejected (${sandboxRan} of them accepted in sandbox mode and run with its checks), ${problems.length} problems, ${((Date.now() - start) / 1000).toFixed(1)} s`);
  expect(problems).toEqual([]);
  expect(accepted).toBeGreaterThanOrEqual(minAccepted);
}

/** The range a fuzz file runs: its own, or the one `npm run fuzz:verifier` gives through the environment. */
export function fuzzRange(defaultFirst: number, defaultCount: number): { first: number; count: number; minAccepted: number } {
  const count = Number(process.env.A64JIT_VERIFIER_FUZZ_CASES ?? defaultCount);
  const first = Number(process.env.A64JIT_VERIFIER_FUZZ_SEED ?? defaultFirst);
  return { first, count, minAccepted: Math.floor(count * 0.3) };
}

/** A case takes about 4 ms of CPU; allow 60 ms each for a loaded machine (11,000: 11 minutes). */
export function fuzzTimeout(count: number): number {
  return Math.max(60_000, count * 60);
}
