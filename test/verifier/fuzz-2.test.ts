import { describe, it } from 'vitest';
import { fuzzRange, fuzzTimeout, runFuzz } from './fuzz-run.js';

/**
 * The verifier's differential fuzz in CI, part 2 of 2 (two files so they run side by side):
 * 25,000 cases, of which at least 30% (7,500; in practice about 40%) are accepted and run.
 * Accepted programs never fail a sandbox check in the interpreter; the verifier never throws
 * anything but BpfVerifierError.
 */
const { first, count, minAccepted } = fuzzRange(25000, 25_000);

describe('verifier fuzz: accepted programs pass every sandbox check; only typed errors', () => {
  it(`${count} cases from seed ${first}`, () => runFuzz(first, count, minAccepted), fuzzTimeout(count));
});
