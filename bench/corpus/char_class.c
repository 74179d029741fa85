/* A dense switch on the byte class (ranges and single values) where each case does its own
   work, as protocol decoders' per-character dispatch does. */
#include "bench.h"

BENCH {
  u64 ctl = 0, digits = 0, alpha = 0, space = 0, other = 0, value = 0;
  for (u64 i = 0; i < len; i++) {
    u32 c = mem[i];
    switch (c >> 3) {
    case 0: case 1: case 2: case 3: ctl += c; break;
    case 4: space++; value ^= c; break;
    case 6: case 7: digits++; value = value * 10 + (c & 7); break;
    case 8: case 9: case 10: case 11: alpha += c - 64; break;
    case 12: case 13: case 14: case 15: alpha += (c - 96) << 1; value += alpha; break;
    case 20: value = (value << 3) | (value >> 61); break;
    case 31: ctl ^= value; break;
    default: other++; break;
    }
  }
  return (ctl << 48) ^ (digits << 40) ^ (alpha << 24) ^ (space << 16) ^ other ^ value;
}
