/* A first-match access-control list on the stack: masked address and port-range tests. */
#include "packets.h"

struct rule {
  u32 addr, mask;
  u16 lo, hi;
  u8 proto, action;
};

BENCH {
  struct rule rules[8] = {
      {0x0a000000, 0xff000000, 0, 65535, IPPROTO_TCP, 1}, {0xc0a80000, 0xffff0000, 80, 80, IPPROTO_TCP, 2},
      {0xc0a80100, 0xffffff00, 53, 53, IPPROTO_UDP, 3},   {0x08080808, 0xffffffff, 0, 1023, IPPROTO_UDP, 4},
      {0xac100000, 0xfff00000, 1024, 65535, 0, 5},        {0x7f000000, 0xff000000, 0, 65535, 0, 6},
      {0x00000000, 0x80000000, 443, 443, IPPROTO_TCP, 7}, {0x00000000, 0x00000000, 0, 65535, 0, 8},
  };
  u64 hits = 0;
  FOR_EACH_FRAME(mem, len, {
    if (n < 38 || rd16be(p + 12) != ETH_P_IP) continue;
    const u8 *ip = p + 14;
    u32 ihl = (ip[0] & 15) * 4;
    if (ihl < 20 || 14 + ihl + 4 > n) continue;
    u32 daddr = rd32be(ip + 16);
    u32 dport = rd16be(ip + ihl + 2);
    u32 proto = ip[9];
    u32 action = 0;
    for (int r = 0; r < 8; r++) {
      if ((daddr & rules[r].mask) != rules[r].addr) continue;
      if (rules[r].proto && rules[r].proto != proto) continue;
      if (dport < rules[r].lo || dport > rules[r].hi) continue;
      action = rules[r].action;
      break;
    }
    hits = hits * 9 + action;
  })
  return hits;
}
