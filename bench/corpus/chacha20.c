/* One ChaCha20 block (RFC 8439 2.3) per 64 input bytes: 16 words of state, register pressure. */
#include "bench.h"

#define QR(a, b, c, d)                                                                                                 \
  a += b; d ^= a; d = rotl32(d, 16);                                                                                   \
  c += d; b ^= c; b = rotl32(b, 12);                                                                                   \
  a += b; d ^= a; d = rotl32(d, 8);                                                                                    \
  c += d; b ^= c; b = rotl32(b, 7);

BENCH {
  u32 acc = 0;
  for (u64 blk = 0; blk + 64 <= len; blk += 64) {
    const u8 *k = mem + blk;
    u32 x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
    u32 x4 = rd32le(k), x5 = rd32le(k + 4), x6 = rd32le(k + 8), x7 = rd32le(k + 12);
    u32 x8 = rd32le(k + 16), x9 = rd32le(k + 20), x10 = rd32le(k + 24), x11 = rd32le(k + 28);
    u32 x12 = (u32)blk, x13 = 0, x14 = rd32le(k + 32), x15 = rd32le(k + 36);
    for (int i = 0; i < 10; i++) {
      QR(x0, x4, x8, x12) QR(x1, x5, x9, x13) QR(x2, x6, x10, x14) QR(x3, x7, x11, x15)
      QR(x0, x5, x10, x15) QR(x1, x6, x11, x12) QR(x2, x7, x8, x13) QR(x3, x4, x9, x14)
    }
    acc ^= x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11 + x12 + x13 + x14 + x15;
  }
  return acc;
}
