import type { Signature } from '../types.js';
import { Rng, hashString, patternBytes } from '../values.js';

/** The argument and result patterns of a signature: a function of its id and the seed only. */
export function patternsFor(sig: Signature, seed: number): { values: Uint8Array[]; result: Uint8Array | undefined } {
  const rng = new Rng((hashString(sig.id) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
  const values = sig.params.map((t) => patternBytes(t, rng));
  const result = sig.result ? patternBytes(sig.result, rng) : undefined;
  return { values, result };
}
