/* Fletcher-32 over little-endian 16-bit words, folded with end-around carries. */
#include "bench.h"

BENCH {
  u32 s1 = 0xffff, s2 = 0xffff;
  for (u64 i = 0; i + 1 < len; i += 2) {
    s1 += rd16le(mem + i);
    s2 += s1;
    s1 = (s1 & 0xffff) + (s1 >> 16);
    s2 = (s2 & 0xffff) + (s2 >> 16);
  }
  s1 = (s1 & 0xffff) + (s1 >> 16);
  s2 = (s2 & 0xffff) + (s2 >> 16);
  return (s2 << 16) | s1;
}
