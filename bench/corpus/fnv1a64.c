/* FNV-1a, 64 bits. */
#include "bench.h"

BENCH {
  u64 h = 14695981039346656037ull;
  for (u64 i = 0; i < len; i++) h = (h ^ mem[i]) * 1099511628211ull;
  return h;
}
