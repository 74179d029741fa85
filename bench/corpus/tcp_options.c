/* Walk TCP options (RFC 9293 3.2): a bounded loop with a switch on the option kind. */
#include "packets.h"

BENCH {
  u64 mss = 0, wscale = 0, sack = 0, ts = 0, unknown = 0;
  FOR_EACH_FRAME(mem, len, {
    if (n < 54 || rd16be(p + 12) != ETH_P_IP || p[23] != IPPROTO_TCP) continue;
    u32 ihl = (p[14] & 15) * 4;
    u64 tcp = 14 + ihl;
    if (ihl < 20 || tcp + 20 > n) continue;
    u64 doff = (p[tcp + 12] >> 4) * 4;
    if (doff < 20 || tcp + doff > n) continue;
    u64 end = tcp + doff;
    u64 o = tcp + 20;
    for (int guard = 0; guard < 40 && o < end; guard++) {
      u32 kind = p[o];
      if (kind == 0) break;
      if (kind == 1) { o++; continue; }
      if (o + 1 >= end) break;
      u32 olen = p[o + 1];
      if (olen < 2 || o + olen > end) break;
      switch (kind) {
      case 2: if (olen == 4) mss += rd16be(p + o + 2); break;
      case 3: if (olen == 3) wscale += p[o + 2]; break;
      case 4: sack++; break;
      case 8: if (olen == 10) ts ^= rd32be(p + o + 2); break;
      default: unknown++; break;
      }
      o += olen;
    }
  })
  return (mss << 40) ^ (wscale << 32) ^ (sack << 24) ^ ts ^ (unknown << 56);
}
