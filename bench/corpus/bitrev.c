/* Reverse the bits of each 32-bit word: swap halves, bytes, nibbles, pairs, bits (masks+shifts). */
#include "bench.h"

BENCH {
  u32 acc = 0;
  const u32 *w = (const u32 *)mem;
  for (u64 i = 0; i < len / 4; i++) {
    u32 x = w[i];
    x = ((x >> 1) & 0x55555555) | ((x & 0x55555555) << 1);
    x = ((x >> 2) & 0x33333333) | ((x & 0x33333333) << 2);
    x = ((x >> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
    x = ((x >> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
    x = (x >> 16) | (x << 16);
    acc = rotl32(acc, 5) ^ x;
  }
  return acc;
}
