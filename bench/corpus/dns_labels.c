/* Length-prefixed label walking, as in DNS names: bounded loops, byte compares, case folding. */
#include "bench.h"

BENCH {
  u64 labels = 0, names = 0, h = 0;
  u64 i = 0;
  while (i < len) {
    u32 l = mem[i] & 63;
    i++;
    if (l == 0) {
      names++;
      h = h * 33 + labels;
      continue;
    }
    if (i + l > len) break;
    for (u32 k = 0; k < l; k++) {
      u32 c = mem[i + k];
      if (c >= 'A' && c <= 'Z') c += 32;
      h = (h ^ c) * 0x100000001b3ull;
    }
    i += l;
    labels++;
  }
  return h ^ (names << 48) ^ labels;
}
