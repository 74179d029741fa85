/* djb2 (h * 33 + c) and sdbm (c + (h << 6) + (h << 16) - h) side by side: shifted adds. */
#include "bench.h"

BENCH {
  u32 h = 5381;
  u64 s = 0;
  for (u64 i = 0; i < len; i++) {
    h = (h << 5) + h + mem[i];
    s = mem[i] + (s << 6) + (s << 16) - s;
  }
  return ((u64)h << 32) ^ s;
}
