/* Classify bytes with a dense switch (ranges and single values), as protocol decoders do. */
#include "bench.h"

BENCH {
  u64 score = 0;
  for (u64 i = 0; i < len; i++) {
    u32 w;
    switch (mem[i] >> 3) {
    case 0: case 1: w = 1; break;
    case 4: w = 7; break;
    case 5: case 6: case 7: w = 3; break;
    case 8: case 9: case 10: case 11: w = 11; break;
    case 12: w = 2; break;
    case 13: case 14: case 15: w = 5; break;
    case 20: w = 13; break;
    case 31: w = 17; break;
    default: w = 0; break;
    }
    score = score * 3 + w;
  }
  return score;
}
