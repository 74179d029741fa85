/* A leaf function called in a loop: Euclid's gcd of pairs of 16-bit words (bpf-to-bpf calls). */
#include "bench.h"

static NOINLINE u64 gcd(u64 a, u64 b) {
  while (b) {
    u64 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

BENCH {
  u64 acc = 0;
  for (u64 i = 0; i + 4 <= len; i += 4) acc += gcd(rd16le(mem + i) | 1, rd16le(mem + i + 2) | 1);
  return acc;
}
