/** Hard constants for the materialisation tests, shared by the host and the native test. */
import { rng } from './corpus.js';

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

function randomValues(seed: number, count: number): bigint[] {
  const r = rng(seed);
  const half = (): bigint => {
    // Bias towards 0x0000 and 0xffff halfwords, the interesting cases for MOVZ/MOVN choice.
    const x = r();
    if (x < 0.25) return 0n;
    if (x < 0.5) return 0xffffn;
    return BigInt(Math.floor(r() * 0x10000));
  };
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push(half() | (half() << 16n) | (half() << 32n) | (half() << 48n));
  for (let i = 0; i < count; i++) out.push(BigInt(Math.floor(r() * 2 ** 32)) | (BigInt(Math.floor(r() * 2 ** 32)) << 32n));
  return out;
}

export const CONSTANTS_64: readonly bigint[] = [
  0n, 1n, u64(-1n), 1n << 63n, (1n << 63n) - 1n, u64(-2n), 0xffffn, 0x10000n, 0xffffffffn, 0x100000000n,
  0x0000ffff0000ffffn, 0xffff0000ffff0000n, 0x12345678n, 0x1234567812345678n, 0x123456789abcdef0n, 0xfedcba9876543210n,
  0x5555555555555555n, 0xaaaaaaaaaaaaaaaan, 0x0f0f0f0f0f0f0f0fn, 0x00ff00ff00ff00ffn, 0x7ffffffffffffffen, 0x8000000000000001n,
  0x00000000ffff1234n, 0xffffffff00000000n, 0xffffffffffff1234n, 0x1234ffffffffffffn, 0x00ff00ff00ff1234n, 0x3ffff00000000n,
  0xfffffff00000ffffn, 0xdeadbeefn, 0xdeadbeef00000000n, 0x8000000080000000n, 0x0000000080000000n, 0xffffffff80000000n,
  0x1111111111111111n, 0x1111111111111112n, 0x1234000000000000n, 0x0000123400005678n, 0xffff1234ffff5678n,
  0x7f7f7f7f7f7f7f7fn, 0x0101010101010101n, 0xe0e0e0e0e0e0e0e0n, 0x00000000fffffffen, 0xfffffffe00000001n,
  ...randomValues(0xc0ffee, 40),
];

export const CONSTANTS_32: readonly bigint[] = [
  0n, 1n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0xffffn, 0x10000n, 0xffff0000n, 0x12345678n, 0xdeadbeefn, 0x55555555n,
  0xaaaaaaabn, 0xffff1234n, 0x1234ffffn, 0x00ff00ffn, 0xfffffffen, 0x0f0f0f0fn, 0x80000001n,
  ...randomValues(0xbeef, 10).map((v) => v & 0xffffffffn),
];
