/* Fibonacci numbers modulo a prime through small non-inlined arithmetic helpers. */
#include "bench.h"

static NOINLINE u64 add_mod(u64 a, u64 b) {
  u64 s = a + b;
  return s >= 1000000007 ? s - 1000000007 : s;
}
static NOINLINE u64 fib_step(u64 *a, u64 *b) {
  u64 n = add_mod(*a, *b);
  *a = *b;
  *b = n;
  return n;
}

BENCH {
  u64 acc = 0;
  for (u64 i = 0; i < len; i += 16) {
    u64 a = mem[i], b = mem[i] + 1;
    for (int k = 0; k < 12; k++) acc ^= fib_step(&a, &b);
  }
  return acc;
}
