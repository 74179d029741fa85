/**
 * Benchmark inputs: the bytes a suite entry's `input` names. `{ "hex": "..." }` is the bytes
 * written out (whitespace allowed); `{ "size": N, "seed": S }` is N pseudo-random bytes: the
 * little-endian bytes of successive xorshift32 outputs (Marsaglia, "Xorshift RNGs", J. Stat.
 * Software 8(14), 2003: shifts 13, 17, 5) from state S (S = 0, which xorshift cannot leave, is
 * 0x9e3779b9), the last output cut to fit. This is the generator the corpus's expected results
 * were computed with (bench/corpus, scripts/bench-codegen.mjs); anyone who needs the same bytes
 * (a C reference, another tool) can regenerate them from this.
 */

/** The largest seed: the state is 32 bits. */
export const MAX_SEED = 0xffff_ffff;

/** The xorshift32 stream from `seed` (the first output is one step from the seed). */
export function* xorshift32(seed: number): Generator<number, never> {
  let x = seed >>> 0 || 0x9e3779b9;
  for (;;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x;
  }
}

/** `size` bytes from the xorshift32 stream of `seed` (0..MAX_SEED). */
export function seededBytes(size: number, seed: number): Uint8Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed ${seed} is outside 0..${MAX_SEED}`);
  const out = new Uint8Array(size);
  const stream = xorshift32(seed);
  for (let at = 0; at < size; at += 4) {
    const x = stream.next().value;
    for (let k = 0; k < 4 && at + k < size; k++) out[at + k] = (x >>> (8 * k)) & 0xff;
  }
  return out;
}

/** Hex digits, whitespace between byte pairs allowed: '01 02 0a' or '01020a'. */
export function hexBytes(text: string): Uint8Array | string {
  const digits = text.replace(/\s+/g, '');
  if (digits.length % 2 !== 0) return `${digits.length} hex digits: not whole bytes`;
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) return `'${bad[0]}' is not a hex digit`;
  return Uint8Array.from({ length: digits.length / 2 }, (_, i) => parseInt(digits.slice(2 * i, 2 * i + 2), 16));
}
