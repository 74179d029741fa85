/* Scans: first and last position of a byte, and how often each of four bytes occurs. */
#include "bench.h"

BENCH {
  u64 first = len, last = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (u64 i = 0; i < len; i++) {
    u32 b = mem[i];
    if (b == 0x42) {
      if (first == len) first = i;
      last = i;
    }
    c0 += b == 0;
    c1 += b == 0xff;
    c2 += b == 0x20;
    c3 += b == 0x0a;
  }
  return (first << 48) ^ (last << 32) ^ (c0 << 24) ^ (c1 << 16) ^ (c2 << 8) ^ c3;
}
