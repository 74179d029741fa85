/* Rebuild 64-bit little-endian words from bytes (micro_read_u64_le): a byte-load ladder. */
#include "bench.h"

BENCH {
  u64 sum = 0;
  for (u64 i = 0; i + 8 <= len; i += 8) sum += rd64le(mem + i) ^ (sum >> 3);
  return sum;
}
