/* 4x4 matrix products of 32-bit integers (matrices from the input), chained: 16 live sums. */
#include "bench.h"

BENCH {
  u32 acc[16];
  for (int i = 0; i < 16; i++) acc[i] = i == 0 || i == 5 || i == 10 || i == 15;
  for (u64 off = 0; off + 64 <= len; off += 64) {
    const u32 *m = (const u32 *)(mem + off);
    u32 r[16];
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++)
        r[4 * i + j] = acc[4 * i] * m[j] + acc[4 * i + 1] * m[4 + j] + acc[4 * i + 2] * m[8 + j] + acc[4 * i + 3] * m[12 + j];
    for (int i = 0; i < 16; i++) acc[i] = r[i] | 1;
  }
  u64 h = 0;
  for (int i = 0; i < 16; i++) h = h * 1000003 + acc[i];
  return h;
}
