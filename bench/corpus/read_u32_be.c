/* Big-endian 32-bit fields from bytes (network order): ladders that need a byte reverse. */
#include "bench.h"

BENCH {
  u64 sum = 0;
  for (u64 i = 0; i + 4 <= len; i += 4) sum = sum * 3 + rd32be(mem + i);
  return sum;
}
