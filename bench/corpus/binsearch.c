/* Binary search: a sorted table on the stack (prefix sums of bytes), searched for 64 keys. */
#include "bench.h"

BENCH {
  u32 t[100];
  u32 s = 0;
  for (int i = 0; i < 100; i++) {
    s += mem[i] + 1;
    t[i] = s;
  }
  u64 found = 0, pos = 0;
  for (u64 k = 0; k < 64; k++) {
    u32 key = rd32le(mem + 100 + 4 * k) % (s + 1);
    u32 lo = 0, hi = 100;
    while (lo < hi) {
      u32 mid = (lo + hi) >> 1;
      if (t[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    pos += lo;
    found += lo < 100 && t[lo] == key;
  }
  return (found << 32) | pos;
}
