/*
 * Shared by every program of the codegen benchmark corpus (bench/corpus/README.md).
 *
 * Each file defines  u64 bench(u8 *mem, u64 len)  (BPF: R1 = mem, R2 = len) and compiles
 * unchanged three ways: clang-22 -target bpf -O2 (run by a64jit), and as native arm64 code
 * by clang-22 --target=aarch64-linux-gnu -O2 and aarch64-linux-gnu-gcc -O2 (the references).
 * Plain C only: no libc, no plain `char` (signed on BPF, unsigned on arm64), no signed
 * division (BPF before cpu v4 has none), no more than five arguments per function, at most
 * 512 bytes of locals per function (the BPF stack).
 */
#ifndef A64JIT_BENCH_H
#define A64JIT_BENCH_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#define NOINLINE __attribute__((noinline))
#define BENCH u64 bench(u8 *mem, u64 len)

static inline u32 rotl32(u32 x, unsigned r) { return (x << r) | (x >> (32 - r)); }
static inline u64 rotl64(u64 x, unsigned r) { return (x << r) | (x >> (64 - r)); }

/* Byte-wise reads, the way portable packet and hash code is written. */
static inline u16 rd16be(const u8 *p) { return (u16)((p[0] << 8) | p[1]); }
static inline u32 rd32be(const u8 *p) { return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3]; }
static inline u16 rd16le(const u8 *p) { return (u16)(p[0] | (p[1] << 8)); }
static inline u32 rd32le(const u8 *p) { return p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24); }
static inline u64 rd64le(const u8 *p) {
  return (u64)p[0] | ((u64)p[1] << 8) | ((u64)p[2] << 16) | ((u64)p[3] << 24) | ((u64)p[4] << 32) | ((u64)p[5] << 40) |
         ((u64)p[6] << 48) | ((u64)p[7] << 56);
}

#endif
