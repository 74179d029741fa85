/* The Internet checksum (RFC 1071) the way incremental code adds: every big-endian 16-bit
   word is added with its end-around carry folded at once (csum16_add), then complemented. */
#include "bench.h"

static inline u32 csum16_add(u32 sum, u32 v) {
  sum += v;
  return (sum & 0xffff) + (sum >> 16);
}

BENCH {
  u32 sum = 0;
  u64 i = 0;
  for (; i + 1 < len; i += 2) sum = csum16_add(sum, rd16be(mem + i));
  if (i < len) sum = csum16_add(sum, (u32)mem[i] << 8);
  return (u16)~sum;
}
