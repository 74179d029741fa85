/* The Internet checksum (RFC 1071): ones'-complement sum of big-endian 16-bit words. */
#include "bench.h"

BENCH {
  u64 sum = 0;
  u64 i = 0;
  for (; i + 1 < len; i += 2) sum += rd16be(mem + i);
  if (i < len) sum += (u32)mem[i] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (u16)~sum;
}
