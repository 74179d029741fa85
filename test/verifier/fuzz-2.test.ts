import { describe, it } from 'vitest';
import { fuzzRange, fuzzTimeout, runFuzz } from './fuzz-run.js';

/**
 * The verifier's differential fuzz in CI, part 2 of 2 (two files so they run side by side):
 * 11,000 cases (22,000 with part 1, at least the 20,000 the issue asks for), of which at least
 * 30% (3,300; in practice about 42%) are accepted and run.
 * Accepted programs never fail a sandbox check in the interpreter; the verifier never throws
 * anything but BpfVerifierError.
 */
const { first, count, minAccepted } = fuzzRange(11_000, 11_000);

describe('verifier fuzz: accepted programs pass every sandbox check; only typed errors', () => {
  it(`${count} cases from seed ${first}`, () => runFuzz(first, count, minAccepted), fuzzTimeout(count));
});
