/* RC4: key schedule and keystream over a 256-byte state on the stack (indexed loads/stores). */
#include "bench.h"

BENCH {
  u8 s[256];
  for (u32 i = 0; i < 256; i++) s[i] = (u8)i;
  u32 j = 0;
  for (u32 i = 0; i < 256; i++) {
    j = (j + s[i] + mem[i & 15]) & 255;
    u8 t = s[i];
    s[i] = s[j];
    s[j] = t;
  }
  u32 i = 0;
  j = 0;
  u64 acc = 0;
  for (u64 n = 16; n < len; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]) & 255;
    u8 t = s[i];
    s[i] = s[j];
    s[j] = t;
    acc = acc * 131 + (mem[n] ^ s[(s[i] + s[j]) & 255]);
  }
  return acc;
}
