/* Twelve accumulators live across the loop: more than BPF's callee-saved registers hold. */
#include "bench.h"

BENCH {
  u64 a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8, i2 = 9, j = 10, k = 11, l = 12;
  for (u64 i = 0; i < len; i++) {
    u64 x = mem[i];
    a += x;
    b ^= a;
    c += b >> 1;
    d ^= c + x;
    e += d << 2;
    f ^= e;
    g += f >> 3;
    h ^= g + a;
    i2 += h;
    j ^= i2 >> 2;
    k += j ^ x;
    l ^= k + b;
  }
  return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i2 ^ j ^ k ^ l;
}
