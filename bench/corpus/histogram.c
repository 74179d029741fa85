/* A 64-bucket histogram on the stack, then a weighted checksum of the buckets. */
#include "bench.h"

BENCH {
  u32 h[64];
  for (int i = 0; i < 64; i++) h[i] = 0;
  for (u64 i = 0; i < len; i++) h[mem[i] >> 2]++;
  u64 acc = 0;
  for (int i = 0; i < 64; i++) acc = acc * 7 + h[i] * (i + 1);
  return acc;
}
