/* Byte swaps written with shifts and masks (as portable ntohl/be64toh code is). */
#include "bench.h"

static inline u32 swap32(u32 x) { return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24); }
static inline u64 swap64(u64 x) { return ((u64)swap32((u32)x) << 32) | swap32((u32)(x >> 32)); }

BENCH {
  u64 acc = 0;
  const u64 *w = (const u64 *)mem;
  for (u64 i = 0; i < len / 8; i++) acc = (acc + swap64(w[i])) ^ swap32((u32)acc);
  return acc;
}
