/* Jenkins' one-at-a-time hash: shifts, adds and xors on one register. */
#include "bench.h"

BENCH {
  u32 h = 0;
  for (u64 i = 0; i < len; i++) {
    h += mem[i];
    h += h << 10;
    h ^= h >> 6;
  }
  h += h << 3;
  h ^= h >> 11;
  h += h << 15;
  return h;
}
