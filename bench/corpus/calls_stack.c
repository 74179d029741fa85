/* A callee that fills a caller's stack buffer through a pointer, then a reduction over it. */
#include "bench.h"

static NOINLINE void expand(u64 *out, const u8 *in, u64 n) {
  for (u64 i = 0; i < n; i++) out[i] = ((u64)in[i] << 32) | (in[i] * 2654435761u);
}

BENCH {
  u64 buf[16];
  u64 acc = 0;
  for (u64 i = 0; i + 16 <= len; i += 16) {
    expand(buf, mem + i, 16);
    for (int k = 0; k < 16; k++) acc = (acc >> 1) + buf[k];
  }
  return acc;
}
