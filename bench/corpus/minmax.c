/* Minimum, maximum and their positions over 16-bit words: compare-and-select in a loop. */
#include "bench.h"

BENCH {
  const u16 *w = (const u16 *)mem;
  u32 lo = 0xffff, hi = 0;
  u64 at_lo = 0, at_hi = 0, sum = 0;
  for (u64 i = 0; i < len / 2; i++) {
    u32 x = w[i];
    if (x < lo) { lo = x; at_lo = i; }
    if (x > hi) { hi = x; at_hi = i; }
    sum += x;
  }
  return ((u64)lo << 48) ^ ((u64)hi << 32) ^ (at_lo << 20) ^ (at_hi << 8) ^ sum;
}
