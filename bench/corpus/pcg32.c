/* PCG32 (XSH-RR): 64-bit LCG step, xorshift, variable 32-bit rotate. */
#include "bench.h"

BENCH {
  u64 state = rd64le(mem), inc = rd64le(mem + 8) | 1;
  u32 acc = 0;
  for (u64 i = 0; i < len; i++) {
    u64 old = state;
    state = old * 6364136223846793005ull + inc;
    u32 xorshifted = (u32)(((old >> 18) ^ old) >> 27);
    u32 rot = (u32)(old >> 59);
    acc += ((xorshifted >> rot) | (xorshifted << ((0 - rot) & 31))) ^ mem[i];
  }
  return acc;
}
