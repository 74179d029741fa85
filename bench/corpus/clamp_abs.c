/* Branchless-able arithmetic: absolute values, clamping and sign tests on signed bytes. */
#include "bench.h"

BENCH {
  s64 acc = 0;
  u64 neg = 0;
  for (u64 i = 0; i < len; i++) {
    s32 x = (s8)mem[i];
    s32 a = x < 0 ? -x : x;
    s32 c = x > 50 ? 50 : x < -50 ? -50 : x;
    neg += x < 0;
    acc += a * 3 + c;
  }
  return (u64)acc ^ (neg << 32);
}
