/* A CityHash-style 64-bit hash: 16 bytes per step read as two little-endian words, multiplied,
   shifted and rotated into one running state (HashLen16 / ShiftMix). */
#include "bench.h"

static inline u64 shift_mix(u64 v) { return v ^ (v >> 47); }

BENCH {
  const u64 k2 = 0x9ae16a3b2f90404full, kmul = 0x9ddfea08eb382d69ull;
  u64 h = len * k2;
  u64 i = 0;
  for (; i + 16 <= len; i += 16) {
    u64 a = rd64le(mem + i) * k2, b = rd64le(mem + i + 8);
    u64 c = rotl64(b, 27) * kmul + a;
    u64 d = (h ^ c) * kmul;
    d ^= d >> 47;
    h = shift_mix((c ^ d) * kmul) * kmul + rotl64(a, 21);
  }
  for (; i < len; i++) h = (h ^ mem[i]) * kmul;
  return shift_mix(h) * k2;
}
