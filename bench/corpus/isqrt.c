/* Integer square root by the bit-by-bit method (no multiplies), for each 32-bit word. */
#include "bench.h"

static inline u32 isqrt(u32 n) {
  u32 res = 0, bit = 1u << 30;
  while (bit > n) bit >>= 2;
  while (bit) {
    if (n >= res + bit) {
      n -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  return res;
}

BENCH {
  u64 sum = 0;
  for (u64 i = 0; i + 4 <= len; i += 4) sum += isqrt(rd32le(mem + i));
  return sum;
}
