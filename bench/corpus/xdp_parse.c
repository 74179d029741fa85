/* An XDP-style parser: Ethernet, 802.1Q, IPv4/IPv6, TCP/UDP ports; per-class counters. */
#include "packets.h"

BENCH {
  u64 tcp = 0, udp = 0, other = 0, ports = 0;
  FOR_EACH_FRAME(mem, len, {
    if (n < 14) { other++; continue; }
    u32 proto = rd16be(p + 12);
    u64 off = 14;
    if (proto == ETH_P_8021Q) {
      if (n < 18) { other++; continue; }
      proto = rd16be(p + 16);
      off = 18;
    }
    u32 l4 = 0;
    if (proto == ETH_P_IP) {
      if (off + 20 > n) { other++; continue; }
      u32 ihl = (p[off] & 15) * 4;
      if (ihl < 20) { other++; continue; }
      l4 = p[off + 9];
      off += ihl;
    } else if (proto == ETH_P_IPV6) {
      if (off + 40 > n) { other++; continue; }
      l4 = p[off + 6];
      off += 40;
    } else {
      other++;
      continue;
    }
    if (off + 4 > n) { other++; continue; }
    u32 sport = rd16be(p + off), dport = rd16be(p + off + 2);
    if (l4 == IPPROTO_TCP) tcp++;
    else if (l4 == IPPROTO_UDP) udp++;
    else { other++; continue; }
    ports += sport ^ (dport << 16);
  })
  return (tcp << 48) ^ (udp << 32) ^ (other << 16) ^ ports;
}
