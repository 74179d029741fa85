/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320), bit by bit: a shift-and-xor loop. */
#include "bench.h"

BENCH {
  u32 crc = 0xffffffff;
  for (u64 i = 0; i < len; i++) {
    crc ^= mem[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
  }
  return ~crc;
}
