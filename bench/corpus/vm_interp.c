/* A tiny stack-free bytecode VM: switch dispatch on 8 opcodes over the input bytes. */
#include "bench.h"

BENCH {
  u64 a = 1, b = 2, c = 3;
  for (u64 pc = 0; pc + 1 < len; pc += 2) {
    u32 op = mem[pc] & 7, arg = mem[pc + 1];
    switch (op) {
    case 0: a += arg; break;
    case 1: b ^= a + arg; break;
    case 2: c = c * 3 + b; break;
    case 3: a = (a << (arg & 7)) | (a >> (64 - (arg & 7) - 1)); break;
    case 4: if (a > b) c += arg; else c -= arg; break;
    case 5: b = b - c + arg; break;
    case 6: a ^= c >> 3; break;
    default: c += a & b; break;
    }
  }
  return a ^ (b << 1) ^ (c << 2);
}
