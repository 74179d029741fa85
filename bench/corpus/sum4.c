/* Four accumulators over 32-bit words, each folded differently and each feeding the next
   (the mixing is what keeps it scalar: no lane is independent of the others). */
#include "bench.h"

BENCH {
  const u32 *w = (const u32 *)mem;
  u64 n = len / 4, s0 = 1, s1 = 2, s2 = 3, s3 = 4, i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += w[i];
    s1 ^= w[i + 1] + (s0 >> 7);
    s2 += w[i + 2] ^ s1;
    s3 = ((s3 << 5) | (s3 >> 59)) + w[i + 3] + s2;
  }
  for (; i < n; i++) s0 = ((s0 << 3) | (s0 >> 61)) ^ w[i];
  return s0 + (s1 << 1) + (s2 << 2) + (s3 << 3);
}
