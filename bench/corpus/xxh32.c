/* xxHash32: four accumulators over 16-byte stripes, little-endian words from bytes, rotates. */
#include "bench.h"

#define P1 2654435761u
#define P2 2246822519u
#define P3 3266489917u
#define P4 668265263u
#define P5 374761393u

static inline u32 round32(u32 acc, u32 input) { return rotl32(acc + input * P2, 13) * P1; }

BENCH {
  u32 seed = 0;
  u64 i = 0;
  u32 h;
  if (len >= 16) {
    u32 v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    for (; i + 16 <= len; i += 16) {
      v1 = round32(v1, rd32le(mem + i));
      v2 = round32(v2, rd32le(mem + i + 4));
      v3 = round32(v3, rd32le(mem + i + 8));
      v4 = round32(v4, rd32le(mem + i + 12));
    }
    h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
  } else {
    h = seed + P5;
  }
  h += (u32)len;
  for (; i + 4 <= len; i += 4) h = rotl32(h + rd32le(mem + i) * P3, 17) * P4;
  for (; i < len; i++) h = rotl32(h + mem[i] * P5, 11) * P1;
  h ^= h >> 15;
  h *= P2;
  h ^= h >> 13;
  h *= P3;
  h ^= h >> 16;
  return h;
}
