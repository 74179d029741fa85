/* Absolute values, clamping and sign tests on signed bytes, folded into a running state
   (a first-order filter on the clamped samples). */
#include "bench.h"

BENCH {
  s64 state = 0;
  u64 neg = 0, acc = 0;
  for (u64 i = 0; i < len; i++) {
    s32 x = (s8)mem[i];
    s32 a = x < 0 ? -x : x;
    s32 c = x > 50 ? 50 : x < -50 ? -50 : x;
    neg += x < 0;
    state += ((s64)c * 16 - state) >> 2;
    acc = acc * 3 + (u64)a + (u64)state;
  }
  return acc ^ (neg << 32) ^ (u64)state;
}
