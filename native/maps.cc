// BPF maps in native memory, with the BPF helpers that use them (map_lookup_elem,
// map_update_elem, map_delete_elem, map_push/pop/peek_elem) as C functions of the BPF helper
// signature, which JIT code calls directly and the interpreter calls through N-API.
//
// Semantics follow the kernel's (kernel/bpf/arraymap.c, hashtab.c, lpm_trie.c,
// queue_stack_maps.c): flags BPF_ANY/BPF_NOEXIST/BPF_EXIST, -ENOENT, -EEXIST, -E2BIG when a
// hash map is full, -ENOSPC when an LPM trie is, LRU eviction instead of -E2BIG. Deliberate
// differences, documented in README: storage is always preallocated (BPF_F_NO_PREALLOC only
// changes nothing), the LRU is exact and common to all CPUs (the kernel's is approximate and
// BPF_F_NO_COMMON_LRU makes it per CPU), iteration order is a64jit's own, hashing is not
// seeded. Maps are not safe to use from two threads at once.

#include "bpf-runtime.h"

#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_set>

#include <sys/mman.h>

namespace a64jit {

namespace {

enum MapTypeId : uint32_t {
  kHash = 1, kArray = 2, kProgArray = 3, kPercpuHash = 5, kPercpuArray = 6,
  kLruHash = 9, kLruPercpuHash = 10, kLpmTrie = 11, kArrayOfMaps = 12, kHashOfMaps = 13,
  kQueue = 22, kStack = 23,
};
constexpr uint64_t kNoExist = 1, kExist = 2, kLock = 4;

thread_local uint32_t current_cpu = 0;

std::unordered_set<uint64_t>& Registry() {
  static std::unordered_set<uint64_t> live;
  return live;
}

uint32_t RoundUp8(uint32_t n) { return (n + 7u) & ~7u; }

// Zeroed, page-aligned memory that JavaScript can view (external ArrayBuffers).
void* AllocZeroed(size_t bytes) {
  if (bytes == 0) bytes = 1;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}
void FreeZeroed(void* p, size_t bytes) {
  if (p != nullptr) munmap(p, bytes == 0 ? 1 : bytes);
}

// ---------------------------------------------------------------- arrays (and per-CPU arrays)

bool IsPercpu(const Map* m) { return m->type == kPercpuArray || m->type == kPercpuHash || m->type == kLruPercpuHash; }

uint8_t* ArraySlot(Map* m, uint32_t index) { return m->store + static_cast<size_t>(index) * m->value_stride; }

void* ArrayLookup(Map* m, const void* key) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  if (index >= m->max_entries) return nullptr;
  uint8_t* p = ArraySlot(m, index);
  return IsPercpu(m) ? p + static_cast<size_t>(current_cpu % m->ncpus) * m->slot_size : p;
}

void* ArrayLookupUser(Map* m, const void* key) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  return index < m->max_entries ? ArraySlot(m, index) : nullptr;
}

int64_t ArrayCheck(Map* m, const void* key, uint64_t flags, uint32_t* index) {
  if ((flags & ~kLock) > kExist) return -kEINVAL;
  if (flags & kLock) return -kEINVAL;  // no bpf_spin_lock in values
  std::memcpy(index, key, 4);
  if (*index >= m->max_entries) return -kE2BIG;
  if (flags == kNoExist) return -kEEXIST;  // every element of an array exists
  return 0;
}

int64_t ArrayUpdate(Map* m, const void* key, const void* value, uint64_t flags) {
  uint32_t index;
  int64_t err = ArrayCheck(m, key, flags, &index);
  if (err != 0) return err;
  uint8_t* p = ArraySlot(m, index);
  if (IsPercpu(m)) p += static_cast<size_t>(current_cpu % m->ncpus) * m->slot_size;
  std::memcpy(p, value, m->value_size);
  return 0;
}

int64_t ArrayUpdateUser(Map* m, const void* key, const void* value, uint64_t flags) {
  uint32_t index;
  int64_t err = ArrayCheck(m, key, flags, &index);
  if (err != 0) return err;
  uint8_t* p = ArraySlot(m, index);
  if (!IsPercpu(m)) {
    std::memcpy(p, value, m->value_size);
    return 0;
  }
  // user space gives round_up(value_size, 8) bytes per CPU
  for (uint32_t c = 0; c < m->ncpus; c++) std::memcpy(p + c * m->slot_size, static_cast<const uint8_t*>(value) + c * m->slot_size, m->value_size);
  return 0;
}

int64_t ArrayDelete(Map*, const void*) { return -kEINVAL; }

int64_t ArrayNextKey(Map* m, const void* key, void* next) {
  uint32_t index = 0;
  if (key != nullptr) std::memcpy(&index, key, 4);
  uint32_t n;
  if (key == nullptr || index >= m->max_entries) n = 0;
  else if (index == m->max_entries - 1) return -kENOENT;
  else n = index + 1;
  std::memcpy(next, &n, 4);
  return 0;
}

int64_t NoPush(Map*, const void*, uint64_t) { return -kEINVAL; }
int64_t NoPop(Map*, void*, bool) { return -kEINVAL; }

const MapOps kArrayOps = {ArrayLookup, ArrayUpdate, ArrayDelete, NoPush, NoPop, ArrayLookupUser, ArrayUpdateUser, ArrayNextKey};

// Arrays of references (prog arrays, arrays of maps): 8-byte addresses in the inline storage,
// set from JavaScript only. A BPF lookup of an array of maps gives the inner map itself.
void* RefArrayLookup(Map* m, const void* key) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  if (m->type != kArrayOfMaps || index >= m->max_entries) return nullptr;
  uint64_t ref;
  std::memcpy(&ref, m->store + static_cast<size_t>(index) * 8, 8);
  return reinterpret_cast<void*>(ref);
}
void* RefArrayLookupUser(Map* m, const void* key) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  return index < m->max_entries ? m->store + static_cast<size_t>(index) * 8 : nullptr;
}
int64_t RefFromBpf(Map*, const void*, const void*, uint64_t) { return -kEOPNOTSUPP; }
int64_t RefDeleteFromBpf(Map*, const void*) { return -kEOPNOTSUPP; }
int64_t RefUpdateUser(Map* m, const void* key, const void* value, uint64_t flags) {
  uint32_t index;
  if (flags > kExist) return -kEINVAL;
  std::memcpy(&index, key, 4);
  if (index >= m->max_entries) return -kE2BIG;
  std::memcpy(m->store + static_cast<size_t>(index) * 8, value, 8);
  return 0;
}
const MapOps kRefArrayOps = {RefArrayLookup, RefFromBpf, RefDeleteFromBpf, NoPush, NoPop, RefArrayLookupUser, RefUpdateUser, ArrayNextKey};

// ---------------------------------------------------------------- hash maps (and LRU, per-CPU)

constexpr uint32_t kNone = 0xffffffffu;

struct HashElem {
  uint32_t next;      // next in the bucket chain, or in the free list
  uint32_t hash;
  uint32_t lru_prev;  // LRU list, most recent first
  uint32_t lru_next;
  uint32_t used;
  uint32_t pad;
};

struct HashImpl {
  uint32_t nbuckets;  // power of two
  uint32_t count;
  uint32_t free_head;
  uint32_t lru_head;
  uint32_t lru_tail;
  uint32_t* buckets;  // first element index, kNone when empty
  HashElem* elems;
  uint8_t* keys;      // max_entries * key_size
  bool lru;
  bool inner_refs;    // hash of maps: the 8-byte value is an inner map's address
};

// FNV-1a, then a final avalanche: a64jit's own hash (iteration order is not the kernel's).
uint32_t HashKey(const void* key, uint32_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(key);
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

HashImpl* H(Map* m) { return static_cast<HashImpl*>(m->impl); }
uint8_t* KeyOf(Map* m, uint32_t e) { return H(m)->keys + static_cast<size_t>(e) * m->key_size; }
uint8_t* ValuesOf(Map* m, uint32_t e) { return m->store + static_cast<size_t>(e) * m->value_stride; }

uint32_t HashFind(Map* m, const void* key, uint32_t hash) {
  HashImpl* h = H(m);
  for (uint32_t e = h->buckets[hash & (h->nbuckets - 1)]; e != kNone; e = h->elems[e].next) {
    if (h->elems[e].hash == hash && std::memcmp(KeyOf(m, e), key, m->key_size) == 0) return e;
  }
  return kNone;
}

void LruUnlink(HashImpl* h, uint32_t e) {
  HashElem& x = h->elems[e];
  if (x.lru_prev != kNone) h->elems[x.lru_prev].lru_next = x.lru_next; else h->lru_head = x.lru_next;
  if (x.lru_next != kNone) h->elems[x.lru_next].lru_prev = x.lru_prev; else h->lru_tail = x.lru_prev;
  x.lru_prev = x.lru_next = kNone;
}
void LruPushFront(HashImpl* h, uint32_t e) {
  HashElem& x = h->elems[e];
  x.lru_prev = kNone;
  x.lru_next = h->lru_head;
  if (h->lru_head != kNone) h->elems[h->lru_head].lru_prev = e; else h->lru_tail = e;
  h->lru_head = e;
}
void Touch(HashImpl* h, uint32_t e) {
  if (!h->lru || h->lru_head == e) return;
  LruUnlink(h, e);
  LruPushFront(h, e);
}

void HashUnlink(Map* m, uint32_t e) {
  HashImpl* h = H(m);
  uint32_t* link = &h->buckets[h->elems[e].hash & (h->nbuckets - 1)];
  while (*link != e) link = &h->elems[*link].next;
  *link = h->elems[e].next;
  if (h->lru) LruUnlink(h, e);
  h->elems[e].used = 0;
  h->elems[e].next = h->free_head;
  h->free_head = e;
  h->count--;
}

void* HashLookup(Map* m, const void* key) {
  uint32_t e = HashFind(m, key, HashKey(key, m->key_size));
  if (e == kNone) return nullptr;
  Touch(H(m), e);
  uint8_t* v = ValuesOf(m, e);
  if (H(m)->inner_refs) {
    uint64_t ref;
    std::memcpy(&ref, v, 8);
    return reinterpret_cast<void*>(ref);
  }
  return IsPercpu(m) ? v + static_cast<size_t>(current_cpu % m->ncpus) * m->slot_size : v;
}

void* HashLookupUser(Map* m, const void* key) {
  uint32_t e = HashFind(m, key, HashKey(key, m->key_size));
  return e == kNone ? nullptr : ValuesOf(m, e);
}

// The element for `key`, making one when needed: -EEXIST/-ENOENT by flags, -E2BIG when full
// (an LRU map evicts its least recently used element instead). *fresh says it is new.
int64_t HashSlot(Map* m, const void* key, uint64_t flags, uint32_t* out, bool* fresh) {
  if ((flags & ~kLock) > kExist || (flags & kLock)) return -kEINVAL;
  HashImpl* h = H(m);
  uint32_t hash = HashKey(key, m->key_size);
  uint32_t e = HashFind(m, key, hash);
  if (e != kNone) {
    if (flags == kNoExist) return -kEEXIST;
    *out = e;
    *fresh = false;
    return 0;
  }
  if (flags == kExist) return -kENOENT;
  if (h->count >= m->max_entries) {
    if (!h->lru || h->lru_tail == kNone) return -kE2BIG;
    HashUnlink(m, h->lru_tail);
  }
  e = h->free_head;
  h->free_head = h->elems[e].next;
  HashElem& x = h->elems[e];
  x.used = 1;
  x.hash = hash;
  std::memcpy(KeyOf(m, e), key, m->key_size);
  uint32_t* bucket = &h->buckets[hash & (h->nbuckets - 1)];
  x.next = *bucket;
  *bucket = e;
  x.lru_prev = x.lru_next = kNone;
  if (h->lru) LruPushFront(h, e);
  h->count++;
  std::memset(ValuesOf(m, e), 0, m->value_stride);
  *out = e;
  *fresh = true;
  return 0;
}

int64_t HashUpdate(Map* m, const void* key, const void* value, uint64_t flags) {
  uint32_t e;
  bool fresh;
  int64_t err = HashSlot(m, key, flags, &e, &fresh);
  if (err != 0) return err;
  Touch(H(m), e);
  uint8_t* v = ValuesOf(m, e);
  // From BPF, a per-CPU update sets this CPU's slot (a new element's other slots are zero).
  if (IsPercpu(m)) v += static_cast<size_t>(current_cpu % m->ncpus) * m->slot_size;
  std::memcpy(v, value, m->value_size);
  return 0;
}

int64_t HashUpdateUser(Map* m, const void* key, const void* value, uint64_t flags) {
  uint32_t e;
  bool fresh;
  int64_t err = HashSlot(m, key, flags, &e, &fresh);
  if (err != 0) return err;
  uint8_t* v = ValuesOf(m, e);
  if (H(m)->inner_refs) {
    std::memcpy(v, value, 8);
  } else if (IsPercpu(m)) {
    for (uint32_t c = 0; c < m->ncpus; c++) std::memcpy(v + c * m->slot_size, static_cast<const uint8_t*>(value) + c * m->slot_size, m->value_size);
  } else {
    std::memcpy(v, value, m->value_size);
  }
  return 0;
}

int64_t HashDelete(Map* m, const void* key) {
  uint32_t e = HashFind(m, key, HashKey(key, m->key_size));
  if (e == kNone) return -kENOENT;
  HashUnlink(m, e);
  return 0;
}

int64_t HashNextKey(Map* m, const void* key, void* next) {
  HashImpl* h = H(m);
  uint32_t bucket = 0;
  if (key != nullptr) {
    uint32_t hash = HashKey(key, m->key_size);
    uint32_t e = HashFind(m, key, hash);
    if (e != kNone) {
      if (h->elems[e].next != kNone) {
        std::memcpy(next, KeyOf(m, h->elems[e].next), m->key_size);
        return 0;
      }
      bucket = (hash & (h->nbuckets - 1)) + 1;
    }
    // a key that is not in the map restarts from the first, as the kernel does
  }
  for (; bucket < h->nbuckets; bucket++) {
    if (h->buckets[bucket] != kNone) {
      std::memcpy(next, KeyOf(m, h->buckets[bucket]), m->key_size);
      return 0;
    }
  }
  return -kENOENT;
}

int64_t RefHashFromBpf(Map*, const void*, const void*, uint64_t) { return -kEOPNOTSUPP; }

const MapOps kHashOps = {HashLookup, HashUpdate, HashDelete, NoPush, NoPop, HashLookupUser, HashUpdateUser, HashNextKey};
const MapOps kRefHashOps = {HashLookup, RefHashFromBpf, RefDeleteFromBpf, NoPush, NoPop, HashLookupUser, HashUpdateUser, HashNextKey};

// ---------------------------------------------------------------- LPM trie
// Entries in slots, matched by scanning: the longest stored prefix that matches wins. Keys
// are struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[]; }; an entry's identity is its
// prefix length and the first prefixlen bits of its data (trailing bits are stored as given).

struct LpmImpl {
  uint8_t* keys;  // max_entries * key_size
  uint8_t* used;
  uint32_t count;
};
LpmImpl* L(Map* m) { return static_cast<LpmImpl*>(m->impl); }

bool PrefixMatch(const uint8_t* a, const uint8_t* b, uint32_t bits) {
  uint32_t bytes = bits / 8;
  if (std::memcmp(a, b, bytes) != 0) return false;
  uint32_t rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

uint32_t PrefixLen(const void* key) {
  uint32_t n;
  std::memcpy(&n, key, 4);
  return n;
}

// The entry matching `key`: exactly (same prefix length, same prefix) or longest-prefix.
uint32_t LpmFind(Map* m, const void* key, bool exact) {
  LpmImpl* l = L(m);
  const uint8_t* kd = static_cast<const uint8_t*>(key) + 4;
  uint32_t want = PrefixLen(key);
  uint32_t best = kNone;
  uint32_t best_len = 0;
  for (uint32_t i = 0; i < m->max_entries; i++) {
    if (!l->used[i]) continue;
    const uint8_t* e = l->keys + static_cast<size_t>(i) * m->key_size;
    uint32_t len = PrefixLen(e);
    if (exact ? len != want : len > want) continue;
    if (!PrefixMatch(e + 4, kd, len)) continue;
    if (exact) return i;
    if (best == kNone || len > best_len) {
      best = i;
      best_len = len;
    }
  }
  return best;
}

void* LpmLookup(Map* m, const void* key) {
  if (PrefixLen(key) > (m->key_size - 4) * 8) return nullptr;
  uint32_t i = LpmFind(m, key, false);
  return i == kNone ? nullptr : m->store + static_cast<size_t>(i) * m->value_stride;
}

int64_t LpmUpdate(Map* m, const void* key, const void* value, uint64_t flags) {
  if (flags > kExist) return -kEINVAL;
  if (PrefixLen(key) > (m->key_size - 4) * 8) return -kEINVAL;
  LpmImpl* l = L(m);
  uint32_t i = LpmFind(m, key, true);
  if (i != kNone) {
    if (flags == kNoExist) return -kEEXIST;
  } else {
    if (flags == kExist) return -kENOENT;
    if (l->count >= m->max_entries) return -kENOSPC;
    for (i = 0; l->used[i]; i++) {
    }
    l->used[i] = 1;
    l->count++;
  }
  std::memcpy(l->keys + static_cast<size_t>(i) * m->key_size, key, m->key_size);
  std::memcpy(m->store + static_cast<size_t>(i) * m->value_stride, value, m->value_size);
  return 0;
}

int64_t LpmDelete(Map* m, const void* key) {
  if (PrefixLen(key) > (m->key_size - 4) * 8) return -kEINVAL;
  uint32_t i = LpmFind(m, key, true);
  if (i == kNone) return -kENOENT;
  L(m)->used[i] = 0;
  L(m)->count--;
  std::memset(m->store + static_cast<size_t>(i) * m->value_stride, 0, m->value_stride);
  return 0;
}

int64_t LpmNextKey(Map* m, const void* key, void* next) {
  LpmImpl* l = L(m);
  uint32_t from = 0;
  if (key != nullptr) {
    uint32_t i = LpmFind(m, key, true);
    if (i != kNone) from = i + 1;
  }
  for (uint32_t i = from; i < m->max_entries; i++) {
    if (l->used[i]) {
      std::memcpy(next, l->keys + static_cast<size_t>(i) * m->key_size, m->key_size);
      return 0;
    }
  }
  return -kENOENT;
}

void* LpmLookupUser(Map* m, const void* key) { return LpmLookup(m, key); }

const MapOps kLpmOps = {LpmLookup, LpmUpdate, LpmDelete, NoPush, NoPop, LpmLookupUser, LpmUpdate, LpmNextKey};

// ---------------------------------------------------------------- queue and stack

struct QueueImpl {
  uint32_t head;   // oldest element
  uint32_t count;
};
QueueImpl* Q(Map* m) { return static_cast<QueueImpl*>(m->impl); }
uint8_t* QSlot(Map* m, uint32_t i) { return m->store + static_cast<size_t>(i % m->max_entries) * m->value_stride; }

int64_t QueuePush(Map* m, const void* value, uint64_t flags) {
  if ((flags & kNoExist) || flags > kExist) return -kEINVAL;
  QueueImpl* q = Q(m);
  if (q->count == m->max_entries) {
    if (!(flags & kExist)) return -kE2BIG;
    // BPF_EXIST: make room by dropping the oldest element
    q->head = (q->head + 1) % m->max_entries;
    q->count--;
  }
  std::memcpy(QSlot(m, q->head + q->count), value, m->value_size);
  q->count++;
  return 0;
}

int64_t QueuePop(Map* m, void* value, bool peek) {
  QueueImpl* q = Q(m);
  if (q->count == 0) {
    std::memset(value, 0, m->value_size);
    return -kENOENT;
  }
  uint32_t at = m->type == kQueue ? q->head : q->head + q->count - 1;
  std::memcpy(value, QSlot(m, at), m->value_size);
  if (!peek) {
    if (m->type == kQueue) q->head = (q->head + 1) % m->max_entries;
    q->count--;
  }
  return 0;
}

void* NoLookup(Map*, const void*) { return nullptr; }
int64_t NoUpdate(Map*, const void*, const void*, uint64_t) { return -kEINVAL; }
int64_t NoDelete(Map*, const void*) { return -kEINVAL; }
int64_t NoNextKey(Map*, const void*, void*) { return -kEINVAL; }

const MapOps kQueueOps = {NoLookup, NoUpdate, NoDelete, QueuePush, QueuePop, NoLookup, NoUpdate, NoNextKey};

}  // namespace

uint32_t CurrentCpu() { return current_cpu; }
void SetCurrentCpu(uint32_t cpu) { current_cpu = cpu; }

Map* LiveMap(uint64_t address) {
  return Registry().count(address) != 0 ? reinterpret_cast<Map*>(address) : nullptr;
}
void RegisterLiveMap(Map* m) { Registry().insert(reinterpret_cast<uint64_t>(m)); }
void UnregisterLiveMap(Map* m) { Registry().erase(reinterpret_cast<uint64_t>(m)); }

// ---------------------------------------------------------------- the helpers (BPF signature)

extern "C" {

uint64_t a64jit_map_lookup_elem(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t) {
  Map* m = reinterpret_cast<Map*>(map);
  return reinterpret_cast<uint64_t>(m->ops->lookup(m, reinterpret_cast<const void*>(key)));
}
uint64_t a64jit_map_update_elem(uint64_t map, uint64_t key, uint64_t value, uint64_t flags, uint64_t) {
  Map* m = reinterpret_cast<Map*>(map);
  return static_cast<uint64_t>(m->ops->update(m, reinterpret_cast<const void*>(key), reinterpret_cast<const void*>(value), flags));
}
uint64_t a64jit_map_delete_elem(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t) {
  Map* m = reinterpret_cast<Map*>(map);
  return static_cast<uint64_t>(m->ops->remove(m, reinterpret_cast<const void*>(key)));
}
uint64_t a64jit_map_push_elem(uint64_t map, uint64_t value, uint64_t flags, uint64_t, uint64_t) {
  Map* m = reinterpret_cast<Map*>(map);
  return static_cast<uint64_t>(m->ops->push(m, reinterpret_cast<const void*>(value), flags));
}
uint64_t a64jit_map_pop_elem(uint64_t map, uint64_t value, uint64_t, uint64_t, uint64_t) {
  Map* m = reinterpret_cast<Map*>(map);
  return static_cast<uint64_t>(m->ops->pop(m, reinterpret_cast<void*>(value), false));
}
uint64_t a64jit_map_peek_elem(uint64_t map, uint64_t value, uint64_t, uint64_t, uint64_t) {
  Map* m = reinterpret_cast<Map*>(map);
  return static_cast<uint64_t>(m->ops->pop(m, reinterpret_cast<void*>(value), true));
}

}  // extern "C"

// ---------------------------------------------------------------- JavaScript side

namespace {

// Memory a map owns; freed when the handle is gone and no storage view is left (each
// external ArrayBuffer over the storage holds a reference).
struct MapBlock {
  Map* map = nullptr;
  size_t map_bytes = 0;  // header + inline storage (one mapping)
  uint8_t* separate = nullptr;  // values outside the header mapping
  size_t separate_bytes = 0;
  void* impl_mem = nullptr;
  size_t impl_bytes = 0;
  int refs = 1;
  bool closed = false;
};

void Release(MapBlock* b) {
  if (--b->refs > 0) return;
  Registry().erase(reinterpret_cast<uint64_t>(b->map));
  FreeZeroed(b->separate, b->separate_bytes);
  FreeZeroed(b->impl_mem, b->impl_bytes);
  FreeZeroed(b->map, b->map_bytes);
  delete b;
}

void ThrowCode(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.ThrowAsJavaScriptException();
}

uint32_t U32(const Napi::Object& o, const char* name) { return o.Get(name).As<Napi::Number>().Uint32Value(); }

class MapHandle : public Napi::ObjectWrap<MapHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeMap",
                       {
                           InstanceAccessor<&MapHandle::Address>("address"),
                           InstanceMethod<&MapHandle::Storage>("storage"),
                           InstanceMethod<&MapHandle::Keys>("keyStorage"),
                           InstanceMethod<&MapHandle::Lookup>("lookup"),
                           InstanceMethod<&MapHandle::Update>("update"),
                           InstanceMethod<&MapHandle::Delete>("delete"),
                           InstanceMethod<&MapHandle::NextKey>("nextKey"),
                           InstanceMethod<&MapHandle::Push>("push"),
                           InstanceMethod<&MapHandle::Pop>("pop"),
                           InstanceMethod<&MapHandle::Count>("count"),
                           InstanceMethod<&MapHandle::Close>("close"),
                       });
  }

  // new NativeMap({ type, keySize, valueSize, maxEntries, flags, cpus }): the description was
  // checked by src/bpf/maps.ts; this only refuses what would break the storage.
  explicit MapHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MapHandle>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      ThrowCode(env, "NativeMap(desc): desc must be an object", "ERR_A64JIT_ARGUMENT");
      return;
    }
    Napi::Object d = info[0].As<Napi::Object>();
    uint32_t type = U32(d, "type"), key = U32(d, "keySize"), value = U32(d, "valueSize"), max = U32(d, "maxEntries");
    uint32_t flags = U32(d, "flags"), cpus = U32(d, "cpus");
    if (max == 0 || cpus == 0 || cpus > 1024) {
      ThrowCode(env, "NativeMap: max_entries and cpus must be positive (cpus at most 1024)", "ERR_A64JIT_ARGUMENT");
      return;
    }
    block_ = new MapBlock();
    Map header{};
    header.type = type;
    header.key_size = key;
    header.value_size = value;
    header.max_entries = max;
    header.flags = flags;
    header.ncpus = 1;
    header.slot_size = RoundUp8(value);
    header.value_stride = header.slot_size;
    const MapOps* ops = nullptr;
    size_t inline_bytes = 0, separate_bytes = 0, impl_bytes = 0;
    switch (type) {
      case kArray:
      case kPercpuArray:
        if (type == kPercpuArray) {
          header.ncpus = cpus;
          header.value_stride = header.slot_size * cpus;
        }
        inline_bytes = static_cast<size_t>(header.value_stride) * max;
        ops = &kArrayOps;
        break;
      case kProgArray:
      case kArrayOfMaps:
        inline_bytes = static_cast<size_t>(8) * max;
        ops = &kRefArrayOps;
        break;
      case kHash:
      case kPercpuHash:
      case kLruHash:
      case kLruPercpuHash:
      case kHashOfMaps: {
        if (type == kPercpuHash || type == kLruPercpuHash) {
          header.ncpus = cpus;
          header.value_stride = header.slot_size * cpus;
        }
        if (type == kHashOfMaps) header.slot_size = header.value_stride = 8;
        separate_bytes = static_cast<size_t>(header.value_stride) * max;
        uint32_t nb = 1;
        while (nb < max && nb < (1u << 31)) nb <<= 1;
        impl_bytes = sizeof(HashImpl) + sizeof(uint32_t) * nb + sizeof(HashElem) * max + static_cast<size_t>(key) * max;
        ops = type == kHashOfMaps ? &kRefHashOps : &kHashOps;
        break;
      }
      case kLpmTrie:
        separate_bytes = static_cast<size_t>(header.value_stride) * max;
        impl_bytes = sizeof(LpmImpl) + static_cast<size_t>(key) * max + max;
        ops = &kLpmOps;
        break;
      case kQueue:
      case kStack:
        separate_bytes = static_cast<size_t>(header.value_stride) * max;
        impl_bytes = sizeof(QueueImpl);
        ops = &kQueueOps;
        break;
      default:
        delete block_;
        block_ = nullptr;
        ThrowCode(env, "NativeMap: map type " + std::to_string(type) + " has no storage here (ring buffers and perf event arrays: native/output-maps.cc)", "ERR_A64JIT_ARGUMENT");
        return;
    }
    block_->map_bytes = kMapHeaderSize + inline_bytes;
    block_->map = static_cast<Map*>(AllocZeroed(block_->map_bytes));
    block_->separate_bytes = separate_bytes;
    block_->separate = separate_bytes ? static_cast<uint8_t*>(AllocZeroed(separate_bytes)) : nullptr;
    block_->impl_bytes = impl_bytes;
    block_->impl_mem = impl_bytes ? AllocZeroed(impl_bytes) : nullptr;
    if (block_->map == nullptr || (separate_bytes && block_->separate == nullptr) || (impl_bytes && block_->impl_mem == nullptr)) {
      Release(block_);
      block_ = nullptr;
      ThrowCode(env, "NativeMap: out of memory for the map's storage", "ERR_A64JIT_NOMEM");
      return;
    }
    Map* m = block_->map;
    *m = header;
    m->ops = ops;
    m->store = inline_bytes ? reinterpret_cast<uint8_t*>(m) + kMapHeaderSize : block_->separate;
    m->store_bytes = inline_bytes ? inline_bytes : separate_bytes;
    uint8_t* impl = static_cast<uint8_t*>(block_->impl_mem);
    if (ops == &kHashOps || ops == &kRefHashOps) {
      HashImpl* h = reinterpret_cast<HashImpl*>(impl);
      uint32_t nb = 1;
      while (nb < max && nb < (1u << 31)) nb <<= 1;
      h->nbuckets = nb;
      h->buckets = reinterpret_cast<uint32_t*>(impl + sizeof(HashImpl));
      h->elems = reinterpret_cast<HashElem*>(impl + sizeof(HashImpl) + sizeof(uint32_t) * nb);
      h->keys = reinterpret_cast<uint8_t*>(h->elems + max);
      h->lru = type == kLruHash || type == kLruPercpuHash;
      h->inner_refs = type == kHashOfMaps;
      for (uint32_t i = 0; i < nb; i++) h->buckets[i] = kNone;
      for (uint32_t i = 0; i < max; i++) h->elems[i].next = i + 1 < max ? i + 1 : kNone;
      h->free_head = 0;
      h->lru_head = h->lru_tail = kNone;
    } else if (ops == &kLpmOps) {
      LpmImpl* l = reinterpret_cast<LpmImpl*>(impl);
      l->keys = impl + sizeof(LpmImpl);
      l->used = l->keys + static_cast<size_t>(key) * max;
    }
    m->impl = impl;
    Registry().insert(reinterpret_cast<uint64_t>(m));
  }

  ~MapHandle() override {
    if (block_ != nullptr) Release(block_);
  }

 private:
  Map* Live(Napi::Env env) {
    if (block_ == nullptr || block_->closed) {
      ThrowCode(env, "the map was closed", "ERR_A64JIT_FREED");
      return nullptr;
    }
    return block_->map;
  }

  // A byte argument of exactly `n` bytes (or absent when `optional`).
  const uint8_t* Bytes(const Napi::CallbackInfo& info, size_t i, size_t n, const char* what, bool optional = false) {
    Napi::Env env = info.Env();
    if (optional && (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined())) return nullptr;
    if (info.Length() <= i || !info[i].IsTypedArray()) {
      ThrowCode(env, std::string(what) + " must be a Uint8Array", "ERR_A64JIT_ARGUMENT");
      return nullptr;
    }
    Napi::TypedArray a = info[i].As<Napi::TypedArray>();
    if (a.ByteLength() != n) {
      ThrowCode(env, std::string(what) + " must be " + std::to_string(n) + " bytes, is " + std::to_string(a.ByteLength()), "ERR_A64JIT_ARGUMENT");
      return nullptr;
    }
    return static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  }

  size_t UserValueSize(const Map* m) const {
    if (m->type == kProgArray || m->type == kArrayOfMaps || m->type == kHashOfMaps) return 8;
    return IsPercpu(m) ? static_cast<size_t>(m->slot_size) * m->ncpus : m->value_size;
  }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    Map* m = Live(info.Env());
    if (m == nullptr) return info.Env().Undefined();
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m)));
  }

  Napi::Value View(Napi::Env env, void* data, size_t bytes) {
    block_->refs++;
    return Napi::ArrayBuffer::New(env, data, bytes, [](Napi::Env, void*, MapBlock* b) { Release(b); }, block_);
  }

  // storage(): the values (arrays: the whole array; hash maps: every element's slot, used or
  // not), as an ArrayBuffer over the native memory JIT code writes.
  Napi::Value Storage(const Napi::CallbackInfo& info) {
    Map* m = Live(info.Env());
    if (m == nullptr) return info.Env().Undefined();
    return View(info.Env(), m->store, m->store_bytes);
  }

  // keyStorage(): hash maps' key slots (for a region a program may read, never needed by BPF).
  Napi::Value Keys(const Napi::CallbackInfo& info) {
    Map* m = Live(info.Env());
    if (m == nullptr) return info.Env().Undefined();
    if (m->ops != &kHashOps && m->ops != &kRefHashOps) return info.Env().Null();
    return View(info.Env(), H(m)->keys, static_cast<size_t>(m->key_size) * m->max_entries);
  }

  // lookup(key): byte offset of the value in storage() (all CPUs' slots), or -1.
  Napi::Value Lookup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Map* m = Live(env);
    if (m == nullptr) return env.Undefined();
    const uint8_t* key = Bytes(info, 0, m->key_size, "key");
    if (key == nullptr) return env.Undefined();
    void* v = m->ops->lookup_user(m, key);
    if (v == nullptr) return Napi::Number::New(env, -1);
    return Napi::Number::New(env, static_cast<double>(static_cast<uint8_t*>(v) - m->store));
  }

  // update(key, value, flags): 0 or a negative errno, like the syscall.
  Napi::Value Update(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Map* m = Live(env);
    if (m == nullptr) return env.Undefined();
    const uint8_t* key = Bytes(info, 0, m->key_size, "key");
    if (key == nullptr) return env.Undefined();
    const uint8_t* value = Bytes(info, 1, UserValueSize(m), "value");
    if (value == nullptr) return env.Undefined();
    uint64_t flags = info.Length() > 2 ? static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()) : 0;
    return Napi::Number::New(env, static_cast<double>(m->ops->update_user(m, key, value, flags)));
  }

  Napi::Value Delete(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Map* m = Live(env);
    if (m == nullptr) return env.Undefined();
    const uint8_t* key = Bytes(info, 0, m->key_size, "key");
    if (key == nullptr) return env.Undefined();
    if (m->type == kProgArray || m->type == kArrayOfMaps) {
      uint32_t index;
      std::memcpy(&index, key, 4);
      if (index >= m->max_entries) return Napi::Number::New(env, -kE2BIG);
      std::memset(m->store + static_cast<size_t>(index) * 8, 0, 8);
      return Napi::Number::New(env, 0);
    }
    return Napi::Number::New(env, static_cast<double>(m->ops->remove(m, key)));
  }

  // nextKey(key | null): the next key, or null at the end.
  Napi::Value NextKey(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Map* m = Live(env);
    if (m == nullptr) return env.Undefined();
    const uint8_t* key = Bytes(info, 0, m->key_size, "key", true);
    if (env.IsExceptionPending()) return env.Undefined();
    Napi::Buffer<uint8_t> next = Napi::Buffer<uint8_t>::New(env, m->key_size);
    int64_t r = m->ops->next_key(m, key, next.Data());
    if (r == -kENOENT) return env.Null();
    if (r != 0) {
      ThrowCode(env, "this map type cannot be iterated", "ERR_A64JIT_ARGUMENT");
      return env.Undefined();
    }
    return next;
  }

  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Map* m = Live(env);
    if (m == nullptr) return env.Undefined();
    const uint8_t* value = Bytes(info, 0, m->value_size, "value");
    if (value == nullptr) return env.Undefined();
    uint64_t flags = info.Length() > 1 ? static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()) : 0;
    return Napi::Number::New(env, static_cast<double>(m->ops->push(m, value, flags)));
  }

  // pop(peek): the value, or null when empty.
  Napi::Value Pop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Map* m = Live(env);
    if (m == nullptr) return env.Undefined();
    bool peek = info.Length() > 0 && info[0].ToBoolean().Value();
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, m->value_size);
    int64_t r = m->ops->pop(m, out.Data(), peek);
    if (r == -kENOENT) return env.Null();
    if (r != 0) {
      ThrowCode(env, "this map type has no pop/peek", "ERR_A64JIT_ARGUMENT");
      return env.Undefined();
    }
    return out;
  }

  Napi::Value Count(const Napi::CallbackInfo& info) {
    Map* m = Live(info.Env());
    if (m == nullptr) return info.Env().Undefined();
    uint32_t n = m->max_entries;
    if (m->ops == &kHashOps || m->ops == &kRefHashOps) n = H(m)->count;
    else if (m->ops == &kLpmOps) n = L(m)->count;
    else if (m->ops == &kQueueOps) n = Q(m)->count;
    return Napi::Number::New(info.Env(), n);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (block_ != nullptr && !block_->closed) {
      block_->closed = true;
      Release(block_);
      block_ = nullptr;
    }
    return info.Env().Undefined();
  }

  MapBlock* block_ = nullptr;
};

}  // namespace

void RegisterMaps(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeMap", MapHandle::Define(env));
}

}  // namespace a64jit
