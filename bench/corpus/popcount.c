/* Population count the SWAR way on 64-bit words read byte by byte. */
#include "bench.h"

BENCH {
  u64 total = 0;
  for (u64 i = 0; i + 8 <= len; i += 8) {
    u64 x = rd64le(mem + i);
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    total += (x * 0x0101010101010101ull) >> 56;
  }
  return total;
}
