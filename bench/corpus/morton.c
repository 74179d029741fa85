/* Morton (Z-order) codes: interleave the bits of two 16-bit coordinates by spreading, hashed
   into a rotate-xor accumulator. */
#include "bench.h"

static inline u32 spread(u32 x) {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

BENCH {
  u64 acc = 0;
  const u16 *c = (const u16 *)mem;
  for (u64 i = 0; i + 1 < len / 2; i += 2) acc = rotl64(acc, 9) ^ (spread(c[i]) | (spread(c[i + 1]) << 1));
  return acc;
}
