/* Floor of log2 by binary search over shifts (branchy), for each 32-bit word, hashed into a
   rotate-xor accumulator. */
#include "bench.h"

static inline u32 ilog2(u32 x) {
  u32 r = 0;
  if (x >> 16) { x >>= 16; r += 16; }
  if (x >> 8) { x >>= 8; r += 8; }
  if (x >> 4) { x >>= 4; r += 4; }
  if (x >> 2) { x >>= 2; r += 2; }
  if (x >> 1) r += 1;
  return r;
}

BENCH {
  u64 sum = 0;
  const u32 *w = (const u32 *)mem;
  for (u64 i = 0; i < len / 4; i++) sum = rotl64(sum, 5) ^ (ilog2(w[i] | 1) + i);
  return sum;
}
