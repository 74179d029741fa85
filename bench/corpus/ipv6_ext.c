/* Follow an IPv6 extension-header chain (hop-by-hop, routing, fragment, dest opts) to L4. */
#include "packets.h"

BENCH {
  u64 acc = 0;
  FOR_EACH_FRAME(mem, len, {
    if (n < 54 || rd16be(p + 12) != ETH_P_IPV6) continue;
    u32 next = p[20];
    u64 off = 54;
    int depth = 0;
    while (depth < 8) {
      if (next == 0 || next == 43 || next == 60) {
        if (off + 8 > n) break;
        next = p[off];
        off += (p[off + 1] + 1) * 8;
      } else if (next == 44) {
        if (off + 8 > n) break;
        next = p[off];
        off += 8;
      } else {
        break;
      }
      depth++;
    }
    acc = (acc << 5) ^ (acc >> 59) ^ (next << 8) ^ off ^ depth;
  })
  return acc;
}
