/* Three levels of bpf-to-bpf calls with four and five arguments per call. */
#include "bench.h"

static NOINLINE u64 leaf(u64 a, u64 b, u64 c, u64 d, u64 e) { return (a ^ (b << 1)) + (c ^ (d >> 1)) * e; }
static NOINLINE u64 mid(u64 a, u64 b, u64 c, u64 d) { return leaf(a, b, c, d, 3) ^ leaf(d, c, b, a, 5); }
static NOINLINE u64 top(u64 x, u64 y) { return mid(x, y, x + y, x ^ y) + 1; }

BENCH {
  u64 acc = 0;
  for (u64 i = 0; i + 2 <= len; i += 2) acc = top(acc, mem[i] | ((u64)mem[i + 1] << 8));
  return acc;
}
