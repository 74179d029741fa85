/* Sum of 32-bit words into four independent accumulators (direct word loads). */
#include "bench.h"

BENCH {
  const u32 *w = (const u32 *)mem;
  u64 n = len / 4, s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += w[i];
    s1 += w[i + 1];
    s2 += w[i + 2];
    s3 += w[i + 3];
  }
  for (; i < n; i++) s0 += w[i];
  return s0 + (s1 << 1) + (s2 << 2) + (s3 << 3);
}
