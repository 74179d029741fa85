/* Dot product of two signed 16-bit vectors (the two halves of the input). */
#include "bench.h"

BENCH {
  const s16 *a = (const s16 *)mem;
  u64 n = len / 4;
  const s16 *b = a + n;
  s64 dot = 0;
  for (u64 i = 0; i < n; i++) dot += (s32)a[i] * b[i];
  return (u64)dot;
}
