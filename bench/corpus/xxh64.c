/* xxHash64: four 64-bit accumulators, 64-bit little-endian reads from bytes, 64-bit rotates. */
#include "bench.h"

#define P1 11400714785074694791ull
#define P2 14029467366897019727ull
#define P3 1609587929392839161ull
#define P4 9650029242287828579ull
#define P5 2870177450012600261ull

static inline u64 round64(u64 acc, u64 input) { return rotl64(acc + input * P2, 31) * P1; }
static inline u64 merge64(u64 acc, u64 v) { return (acc ^ round64(0, v)) * P1 + P4; }

BENCH {
  u64 i = 0;
  u64 h;
  if (len >= 32) {
    u64 v1 = P1 + P2, v2 = P2, v3 = 0, v4 = 0 - P1;
    for (; i + 32 <= len; i += 32) {
      v1 = round64(v1, rd64le(mem + i));
      v2 = round64(v2, rd64le(mem + i + 8));
      v3 = round64(v3, rd64le(mem + i + 16));
      v4 = round64(v4, rd64le(mem + i + 24));
    }
    h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
    h = merge64(h, v1);
    h = merge64(h, v2);
    h = merge64(h, v3);
    h = merge64(h, v4);
  } else {
    h = P5;
  }
  h += len;
  for (; i + 8 <= len; i += 8) h = rotl64(h ^ round64(0, rd64le(mem + i)), 27) * P1 + P4;
  for (; i < len; i++) h = rotl64(h ^ (mem[i] * P5), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}
