/* FNV-1a, 32 bits: xor a byte, multiply by the FNV prime. */
#include "bench.h"

BENCH {
  u32 h = 2166136261u;
  for (u64 i = 0; i < len; i++) h = (h ^ mem[i]) * 16777619u;
  return h;
}
