/* Verify each IPv4 header checksum (RFC 791/1071): a loop over the header's 16-bit words. */
#include "packets.h"

BENCH {
  u64 good = 0, bad = 0, skipped = 0;
  FOR_EACH_FRAME(mem, len, {
    if (n < 34 || rd16be(p + 12) != ETH_P_IP) { skipped++; continue; }
    const u8 *ip = p + 14;
    u32 ihl = (ip[0] & 15) * 4;
    if (ihl < 20 || 14 + ihl > n) { skipped++; continue; }
    u32 sum = 0;
    for (u32 i = 0; i < ihl; i += 2) {
      sum += rd16be(ip + i);
      sum = (sum & 0xffff) + (sum >> 16); /* end-around carry at every step (csum16_add) */
    }
    if (sum == 0xffff) good++;
    else bad++;
  })
  return (good << 32) | (bad << 16) | skipped;
}
