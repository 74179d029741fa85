// Native BPF runtime shared by native/maps.cc and native/helpers.cc: the map header JIT code
// and src/runtime/maps/layout.ts rely on, and the per-thread run state (current CPU, random
// state, printk output).
//
// Why C in the addon and not AArch64 from the project's assembler: the map data structures
// (hash chains, LRU lists, LPM matching, ring buffer positions) and the helpers (checksums,
// printf-style formatting, fault-safe copies through syscalls) are ordinary data-structure
// and libc code that a C compiler gets right and fast on every arm64 host; JIT code reaches
// them with one BLR and no JavaScript, and the interpreter calls the very same functions,
// so both engines agree on eviction order, error codes and iteration order by construction.
// Only the array lookup is worth emitting inline (array_map_gen_lookup), and it is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace a64jit {

// errno values as BPF helpers return them (negated).
enum : int64_t {
  kEPERM = 1, kENOENT = 2, kE2BIG = 7, kEAGAIN = 11, kENOMEM = 12, kEACCES = 13, kEFAULT = 14,
  kEBUSY = 16, kEEXIST = 17, kEINVAL = 22, kENOSPC = 28, kEOPNOTSUPP = 95, kENOTSUPP = 524,
};

struct Map;

// One family's operations. BPF-side calls see one CPU's slot of per-CPU values; the "user"
// calls (from JavaScript) see every CPU's slot, as the bpf() syscall does.
struct MapOps {
  void* (*lookup)(Map* m, const void* key);
  int64_t (*update)(Map* m, const void* key, const void* value, uint64_t flags);
  int64_t (*remove)(Map* m, const void* key);
  int64_t (*push)(Map* m, const void* value, uint64_t flags);
  int64_t (*pop)(Map* m, void* value, bool peek);
  // user space: the value (all CPUs' slots for per-CPU maps), no LRU touch
  void* (*lookup_user)(Map* m, const void* key);
  int64_t (*update_user)(Map* m, const void* key, const void* value, uint64_t flags);
  // user space iteration: the key after `key` (nullptr: the first); 0 or -ENOENT at the end
  int64_t (*next_key)(Map* m, const void* key, void* next);
};

// Every native map starts with this header. The layout is fixed: JIT code reads max_entries
// (tail calls) and the inline storage (array lookups, prog arrays) at these offsets, and
// src/runtime/maps/layout.ts mirrors them (checked at load time against mapLayout()).
struct Map {
  uint32_t type;         // 0   BPF_MAP_TYPE_*
  uint32_t key_size;     // 4
  uint32_t value_size;   // 8
  uint32_t max_entries;  // 12
  uint32_t flags;        // 16
  uint32_t ncpus;        // 20  CPUs of per-CPU maps (1 otherwise)
  uint32_t slot_size;    // 24  bytes of one value slot: round_up(value_size, 8)
  uint32_t value_stride; // 28  bytes per element's values: slot_size * ncpus for per-CPU maps
  const MapOps* ops;     // 32
  uint8_t* store;        // 40  the values (arrays: the inline storage at offset 64)
  uint64_t store_bytes;  // 48
  void* impl;            // 56  family state
  // 64: inline storage of arrays, prog arrays and arrays of maps
};
constexpr size_t kMapHeaderSize = 64;
static_assert(offsetof(Map, max_entries) == 12, "layout.ts MAP_MAX_ENTRIES");
static_assert(offsetof(Map, ops) == 32, "layout");
static_assert(offsetof(Map, store) == 40, "layout.ts MAP_STORE");
static_assert(sizeof(Map) == kMapHeaderSize, "layout.ts MAP_HEADER_SIZE");

// Per-thread run state: which CPU a run is on, the bpf_get_prandom_u32 state.
uint32_t CurrentCpu();
void SetCurrentCpu(uint32_t cpu);

// A copy from an address that may be unmapped, never faulting (process_vm_readv on this
// process, or a pipe write when that syscall is missing, as under qemu-user). 0 or -EFAULT.
int64_t SafeCopy(void* dst, const void* src, size_t n);

// The map behind a BPF map pointer; nullptr when it is not a live map of this addon.
Map* LiveMap(uint64_t address);
void RegisterLiveMap(Map* m);
void UnregisterLiveMap(Map* m);

}  // namespace a64jit
