/* Unsigned LEB128 varints (DWARF, protobuf): a byte loop with shifts and a continuation bit. */
#include "bench.h"

BENCH {
  u64 i = 0, count = 0, acc = 0;
  while (i < len) {
    u64 v = 0;
    u32 shift = 0;
    u32 b;
    do {
      b = mem[i++];
      v |= (u64)(b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) && i < len && shift < 63);
    acc ^= v + count;
    count++;
  }
  return acc ^ (count << 56);
}
