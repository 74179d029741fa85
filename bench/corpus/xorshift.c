/* xorshift64* seeded from the input: shift-xor steps and a 64-bit multiply per number. */
#include "bench.h"

BENCH {
  u64 x = rd64le(mem) | 1;
  u64 acc = 0;
  for (u64 i = 0; i < len; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    acc += (x * 0x2545f4914f6cdd1dull) >> (mem[i] & 31);
  }
  return acc;
}
