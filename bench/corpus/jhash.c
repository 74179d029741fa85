/* Bob Jenkins' lookup3 hashword (the kernel's jhash2) over little-endian words: 32-bit rotates. */
#include "bench.h"

#define rot(x, k) rotl32(x, k)
#define mix(a, b, c)                                                                                                   \
  {                                                                                                                    \
    a -= c; a ^= rot(c, 4); c += b;                                                                                    \
    b -= a; b ^= rot(a, 6); a += c;                                                                                    \
    c -= b; c ^= rot(b, 8); b += a;                                                                                    \
    a -= c; a ^= rot(c, 16); c += b;                                                                                   \
    b -= a; b ^= rot(a, 19); a += c;                                                                                   \
    c -= b; c ^= rot(b, 4); b += a;                                                                                    \
  }
#define final(a, b, c)                                                                                                 \
  {                                                                                                                    \
    c ^= b; c -= rot(b, 14);                                                                                           \
    a ^= c; a -= rot(c, 11);                                                                                           \
    b ^= a; b -= rot(a, 25);                                                                                           \
    c ^= b; c -= rot(b, 16);                                                                                           \
    a ^= c; a -= rot(c, 4);                                                                                            \
    b ^= a; b -= rot(a, 14);                                                                                           \
    c ^= b; c -= rot(b, 24);                                                                                           \
  }

BENCH {
  u64 words = len / 4;
  u32 a, b, c;
  a = b = c = 0xdeadbeef + ((u32)words << 2) + 0x12345;
  u64 i = 0;
  while (words - i > 3) {
    a += rd32le(mem + 4 * i);
    b += rd32le(mem + 4 * i + 4);
    c += rd32le(mem + 4 * i + 8);
    mix(a, b, c);
    i += 3;
  }
  switch (words - i) {
  case 3: c += rd32le(mem + 4 * i + 8); /* fall through */
  case 2: b += rd32le(mem + 4 * i + 4); /* fall through */
  case 1:
    a += rd32le(mem + 4 * i);
    final(a, b, c);
  }
  return c;
}
