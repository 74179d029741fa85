/* A fixed-point dot product of two signed 16-bit vectors (the input's two halves) that
   saturates at every step, as DSP code does: the clamp makes each step depend on the last. */
#include "bench.h"

#define LIMIT 0x3fffffffll

BENCH {
  const s16 *a = (const s16 *)mem;
  u64 n = len / 4;
  const s16 *b = a + n;
  s64 dot = 0;
  for (u64 i = 0; i < n; i++) {
    dot += (s32)a[i] * b[i];
    if (dot > LIMIT) dot = LIMIT;
    else if (dot < -LIMIT) dot = -LIMIT;
  }
  return (u64)dot;
}
