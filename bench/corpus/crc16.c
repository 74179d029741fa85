/* CRC-16/CCITT-FALSE (polynomial 0x1021, MSB first), bit by bit. */
#include "bench.h"

BENCH {
  u32 crc = 0xffff;
  for (u64 i = 0; i < len; i++) {
    crc ^= (u32)mem[i] << 8;
    for (int k = 0; k < 8; k++) crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
