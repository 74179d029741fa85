/* Insertion sort of 48 bytes copied to the stack, then a positional checksum. */
#include "bench.h"

BENCH {
  u8 a[48];
  u64 n = len < 48 ? len : 48;
  for (u64 i = 0; i < n; i++) a[i] = mem[i] ^ (u8)(i * 37);
  for (u64 i = 1; i < n; i++) {
    u8 v = a[i];
    u64 j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
  u64 acc = 0;
  for (u64 i = 0; i < n; i++) acc = acc * 31 + a[i];
  return acc;
}
