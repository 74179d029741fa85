/* Adler-32 (RFC 1950) with the modulo taken every 256 bytes, as zlib defers it. */
#include "bench.h"

BENCH {
  u32 a = 1, b = 0;
  u64 i = 0;
  while (i < len) {
    u64 end = i + 256 < len ? i + 256 : len;
    for (; i < end; i++) {
      a += mem[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((u64)b << 16) | a;
}
