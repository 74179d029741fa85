/* TEA block cipher (Wheeler and Needham), 32 cycles per 8-byte block, key from the input. */
#include "bench.h"

BENCH {
  u32 k0 = rd32le(mem), k1 = rd32le(mem + 4), k2 = rd32le(mem + 8), k3 = rd32le(mem + 12);
  u64 acc = 0;
  for (u64 i = 16; i + 8 <= len; i += 8) {
    u32 v0 = rd32le(mem + i), v1 = rd32le(mem + i + 4), sum = 0;
    for (int r = 0; r < 32; r++) {
      sum += 0x9e3779b9;
      v0 += ((v1 << 4) + k0) ^ (v1 + sum) ^ ((v1 >> 5) + k1);
      v1 += ((v0 << 4) + k2) ^ (v0 + sum) ^ ((v0 >> 5) + k3);
    }
    acc = (acc << 7 | acc >> 57) ^ (((u64)v1 << 32) | v0);
  }
  return acc;
}
