/*
 * Packet programs read a trace: records of [u16 big-endian length][frame bytes], as
 * bench/corpus/README.md describes (the "packets" input). Frames are Ethernet II.
 */
#ifndef A64JIT_PACKETS_H
#define A64JIT_PACKETS_H
#include "bench.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_ARP 0x0806
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMP 1

/* Visit each frame: the body (the variadic part) sees p (frame start) and n (frame length). */
#define FOR_EACH_FRAME(mem, len, ...)                                                                                  \
  for (u64 at_ = 0; at_ + 2 <= (len);) {                                                                               \
    u64 n = rd16be((mem) + at_);                                                                                       \
    const u8 *p = (mem) + at_ + 2;                                                                                     \
    if (at_ + 2 + n > (len)) break;                                                                                    \
    at_ += 2 + n;                                                                                                      \
    __VA_ARGS__                                                                                                        \
  }

#endif
