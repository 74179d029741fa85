/* Gray code round trip: encode with x ^ (x >> 1), decode with a shift-xor prefix. */
#include "bench.h"

BENCH {
  u64 acc = 0;
  const u32 *w = (const u32 *)mem;
  for (u64 i = 0; i < len / 4; i++) {
    u32 g = w[i] ^ (w[i] >> 1);
    u32 b = g;
    b ^= b >> 16;
    b ^= b >> 8;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    acc += (g & 0xffff) + (u64)(b == w[i]);
  }
  return acc;
}
