/* Fixed 16-byte records with mixed fields: u16 LE, u32 BE, u64 LE, flags byte, bitfields. */
#include "bench.h"

BENCH {
  u64 acc = 0;
  for (u64 i = 0; i + 16 <= len; i += 16) {
    const u8 *r = mem + i;
    u32 kind = rd16le(r);
    u32 id = rd32be(r + 2);
    u64 value = rd64le(r + 6);
    u32 flags = r[14];
    u32 prio = (flags >> 4) & 7;
    if (flags & 1) value = ~value;
    acc += (value >> prio) ^ id ^ ((u64)kind << 40) ^ (r[15] & 0x3f);
  }
  return acc;
}
