import type { Signature } from '../types.js';
import { Rng, hashString, patternBytes } from '../values.js';

/**
 * The argument and result patterns of a signature: a function of its id, the seed and the
 * direction only. Each direction gets its own patterns so that stale stack contents from another
 * direction's run of the same signature can never pass for a correctly placed argument.
 */
export function patternsFor(sig: Signature, seed: number, direction: string): { values: Uint8Array[]; result: Uint8Array | undefined } {
  const rng = new Rng((hashString(`${direction}\u0000${sig.id}`) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
  const values = sig.params.map((t) => patternBytes(t, rng));
  const result = sig.result ? patternBytes(sig.result, rng) : undefined;
  return { values, result };
}
