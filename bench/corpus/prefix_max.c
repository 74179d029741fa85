/* Running maximum and prefix sums of 16-bit words, with an overflow-safe average. */
#include "bench.h"

BENCH {
  const u16 *w = (const u16 *)mem;
  u64 best = 0, run = 0, sum = 0, n = len / 2;
  for (u64 i = 0; i < n; i++) {
    run = run + w[i] > 0x3ffff ? w[i] : run + w[i];
    if (run > best) best = run;
    sum += w[i];
  }
  return (best << 32) | (n ? sum / n : 0);
}
