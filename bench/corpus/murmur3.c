/* MurmurHash3 x86_32: little-endian words read byte by byte, 32-bit rotates and multiplies. */
#include "bench.h"

BENCH {
  u32 h = 0x9747b28c;
  const u32 c1 = 0xcc9e2d51, c2 = 0x1b873593;
  u64 blocks = len / 4;
  for (u64 i = 0; i < blocks; i++) {
    u32 k = rd32le(mem + 4 * i);
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = rotl32(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  u32 k = 0;
  const u8 *tail = mem + 4 * blocks;
  switch (len & 3) {
  case 3: k ^= tail[2] << 16; /* fall through */
  case 2: k ^= tail[1] << 8; /* fall through */
  case 1:
    k ^= tail[0];
    k *= c1;
    k = rotl32(k, 15);
    k *= c2;
    h ^= k;
  }
  h ^= (u32)len;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}
