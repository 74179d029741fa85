/**
 * Benchmark inputs: the bytes a suite entry's `input` names. `{ "hex": "..." }` is the bytes
 * written out (whitespace allowed); `{ "size": N, "seed": S }` is N pseudo-random bytes: the
 * little-endian bytes of successive splitmix64 outputs (Steele, Lea & Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014) from state S, the last output cut to fit.
 * Anyone who needs the same bytes (a C reference, another tool) can regenerate them from this.
 */

const MASK = (1n << 64n) - 1n;

/** The splitmix64 stream from `seed` (the first output is for state seed + golden gamma). */
export function* splitmix64(seed: bigint): Generator<bigint, never> {
  let state = BigInt.asUintN(64, seed);
  for (;;) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    yield z ^ (z >> 31n);
  }
}

/** `size` bytes from the splitmix64 stream of `seed`. */
export function seededBytes(size: number, seed: bigint | number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const stream = splitmix64(BigInt(seed));
  let at = 0;
  for (; at + 8 <= size; at += 8) view.setBigUint64(at, stream.next().value, true);
  if (at < size) {
    const last = stream.next().value;
    for (let i = 0; at < size; at++, i++) out[at] = Number((last >> BigInt(8 * i)) & 0xffn);
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
