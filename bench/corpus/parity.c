/* Parity of each 64-bit word by xor folding: shift-xor chains and a final mask. */
#include "bench.h"

BENCH {
  u64 bits = 0;
  const u64 *w = (const u64 *)mem;
  for (u64 i = 0; i < len / 8; i++) {
    u64 x = w[i];
    x ^= x >> 32;
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    bits = (bits << 1) | (bits >> 63) | (x & 1);
  }
  return bits;
}
