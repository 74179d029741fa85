/* A lexer state machine: character classes and a switch on the state, counting tokens. */
#include "bench.h"

enum { START, IDENT, NUMBER, SPACE, PUNCT };

static inline int cls(u32 c) {
  if ((c | 32) >= 'a' && (c | 32) <= 'z') return IDENT;
  if (c >= '0' && c <= '9') return NUMBER;
  if (c == ' ' || c == '\t' || c == '\n' || c < 16) return SPACE;
  return PUNCT;
}

BENCH {
  u64 idents = 0, numbers = 0, puncts = 0, value = 0;
  int state = START;
  for (u64 i = 0; i < len; i++) {
    u32 c = mem[i] & 127;
    int k = cls(c);
    switch (state) {
    case IDENT: if (k == IDENT || k == NUMBER) continue; break;
    case NUMBER: if (k == NUMBER) { value = value * 10 + (c - '0'); continue; } break;
    default: break;
    }
    switch (k) {
    case IDENT: idents++; break;
    case NUMBER: numbers++; value += c - '0'; break;
    case PUNCT: puncts++; break;
    default: break;
    }
    state = k;
  }
  return (idents << 48) ^ (numbers << 32) ^ (puncts << 16) ^ value;
}
