/* A non-inlined mixing function per byte, keeping state in callee-saved registers. */
#include "bench.h"

static NOINLINE u64 mix(u64 h, u64 v) {
  h ^= v;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

BENCH {
  u64 h1 = 1, h2 = 2;
  for (u64 i = 0; i < len; i++) {
    h1 = mix(h1, mem[i]);
    if (mem[i] & 1) h2 = mix(h2, h1);
  }
  return h1 ^ h2;
}
