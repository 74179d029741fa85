/* Gray code round trip (encode x ^ (x >> 1), decode by a shift-xor prefix) on each word,
   hashed into a rotate-xor accumulator. */
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
    acc = rotl64(acc, 7) ^ ((g & 0xffff) + (u64)(b == w[i]));
  }
  return acc;
}
