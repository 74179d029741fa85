/* 5-tuple extraction (big-endian fields from bytes) and a jhash_3words-style mix per flow. */
#include "packets.h"

static inline u32 mix3(u32 a, u32 b, u32 c) {
  c ^= b; c -= rotl32(b, 14);
  a ^= c; a -= rotl32(c, 11);
  b ^= a; b -= rotl32(a, 25);
  c ^= b; c -= rotl32(b, 16);
  a ^= c; a -= rotl32(c, 4);
  b ^= a; b -= rotl32(a, 14);
  c ^= b; c -= rotl32(b, 24);
  return c;
}

BENCH {
  u64 acc = 0;
  FOR_EACH_FRAME(mem, len, {
    if (n < 38 || rd16be(p + 12) != ETH_P_IP) continue;
    const u8 *ip = p + 14;
    u32 ihl = (ip[0] & 15) * 4;
    u32 proto = ip[9];
    if (ihl < 20 || 14 + ihl + 4 > n || (proto != IPPROTO_TCP && proto != IPPROTO_UDP)) continue;
    u32 saddr = rd32be(ip + 12), daddr = rd32be(ip + 16);
    u32 ports = rd32be(ip + ihl);
    u32 h = mix3(saddr, daddr, ports ^ (proto << 24));
    acc = acc * 31 + (h & 1023);
  })
  return acc;
}
