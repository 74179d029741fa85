// Maps whose data goes to user space: BPF_MAP_TYPE_RINGBUF (bpf_ringbuf_output/reserve/
// submit/discard/query) and BPF_MAP_TYPE_PERF_EVENT_ARRAY (bpf_perf_event_output), with the
// JavaScript side that consumes their records.
//
// The ring buffer follows kernel/bpf/ringbuf.c: records of an 8-byte header (len with the
// BUSY and DISCARD bits, and the page offset of the record from the map's first page) then
// the data, rounded up to 8; a reservation fails when the producer would get more than
// size - 1 bytes ahead of the consumer. The kernel maps the data pages twice so a record that
// wraps is contiguous; here the data area is allocated twice as large for the same effect
// (a wrapping record's tail lies in the second half, which only it uses).

#include "bpf-runtime.h"

#include <napi.h>

#include <cstring>
#include <string>
#include <vector>

#include <sys/mman.h>

namespace a64jit {

namespace {

constexpr uint32_t kRingbufType = 27;
constexpr uint32_t kPerfEventArrayType = 4;
constexpr uint32_t kBusy = 1u << 31;
constexpr uint32_t kDiscard = 1u << 30;
constexpr uint32_t kHeader = 8;
constexpr size_t kPage = 4096;
constexpr uint64_t kWakeupFlags = 1 | 2;  // BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP
constexpr uint64_t kIndexMask = 0xffffffffull;
constexpr uint64_t kCurrentCpu = 0xffffffffull;
constexpr uint64_t kCtxLenMask = 0xfffffull << 32;

struct RingbufImpl {
  uint64_t consumer_pos;
  uint64_t producer_pos;
  uint64_t mask;
};

// First page: the map header, then the ring's positions; the data area follows.
struct RingbufBlock {
  Map map;
  RingbufImpl ring;
};
static_assert(sizeof(RingbufBlock) <= kPage, "ring buffer header fits one page");

RingbufImpl* R(Map* m) { return static_cast<RingbufImpl*>(m->impl); }
uint32_t LoadLen(const uint8_t* hdr) {
  uint32_t v;
  std::memcpy(&v, hdr, 4);
  return v;
}

uint8_t* Reserve(Map* m, uint64_t size) {
  RingbufImpl* r = R(m);
  if (size > (1u << 28)) return nullptr;
  uint64_t len = (size + kHeader + 7) & ~7ull;
  if (len > r->mask + 1) return nullptr;
  uint64_t prod = r->producer_pos;
  if (prod + len - r->consumer_pos > r->mask) return nullptr;
  uint8_t* hdr = m->store + (prod & r->mask);
  uint32_t word = static_cast<uint32_t>(size) | kBusy;
  uint32_t pg_off = static_cast<uint32_t>((hdr - reinterpret_cast<uint8_t*>(m)) / kPage);
  std::memcpy(hdr, &word, 4);
  std::memcpy(hdr + 4, &pg_off, 4);
  r->producer_pos = prod + len;
  return hdr + kHeader;
}

void Commit(uint64_t sample, bool discard) {
  uint8_t* hdr = reinterpret_cast<uint8_t*>(sample) - kHeader;
  uint32_t len = LoadLen(hdr) & ~kBusy;
  if (discard) len |= kDiscard;
  std::memcpy(hdr, &len, 4);
}

// Perf event arrays: every CPU's buffer is open; records queue here until JavaScript takes
// them (cpu, size, bytes). A full buffer drops the record with -ENOSPC and counts it lost.
struct PerfImpl {
  std::vector<uint8_t> records;
  uint64_t lost = 0;
  size_t capacity = 0;
};
PerfImpl* P(Map* m) { return static_cast<PerfImpl*>(m->impl); }

int64_t PerfOutput(Map* m, uint64_t flags, const void* data, uint64_t size, const uint8_t* extra, uint64_t extra_size) {
  uint64_t index = flags & kIndexMask;
  if (index == kCurrentCpu) index = CurrentCpu();
  if (index >= m->max_entries) return -kE2BIG;
  PerfImpl* p = P(m);
  uint64_t total = size + extra_size;
  if (total > 0xffffffffull) return -kE2BIG;
  size_t need = 8 + ((total + 7) & ~7ull);
  if (p->records.size() + need > p->capacity) {
    p->lost++;
    return -kENOSPC;
  }
  size_t at = p->records.size();
  p->records.resize(at + need);
  uint32_t head[2] = {static_cast<uint32_t>(index), static_cast<uint32_t>(total)};
  std::memcpy(p->records.data() + at, head, 8);
  if (size > 0) std::memcpy(p->records.data() + at + 8, data, size);
  if (extra_size > 0) std::memcpy(p->records.data() + at + 8 + size, extra, extra_size);
  return 0;
}

// The data of the internal sk_buff / xdp_buff (src/bpf/program-types skb.ts and xdp.ts).
struct PacketView {
  uint64_t data;
  uint64_t data_end;
};

}  // namespace

extern "C" {

uint64_t a64jit_ringbuf_output(uint64_t map, uint64_t data, uint64_t size, uint64_t flags, uint64_t) {
  if (flags & ~kWakeupFlags) return static_cast<uint64_t>(-kEINVAL);
  Map* m = reinterpret_cast<Map*>(map);
  uint8_t* rec = Reserve(m, size);
  if (rec == nullptr) return static_cast<uint64_t>(-kEAGAIN);
  if (size > 0) std::memcpy(rec, reinterpret_cast<const void*>(data), size);
  Commit(reinterpret_cast<uint64_t>(rec), false);
  return 0;
}
uint64_t a64jit_ringbuf_reserve(uint64_t map, uint64_t size, uint64_t flags, uint64_t, uint64_t) {
  if (flags != 0) return 0;
  return reinterpret_cast<uint64_t>(Reserve(reinterpret_cast<Map*>(map), size));
}
uint64_t a64jit_ringbuf_submit(uint64_t sample, uint64_t, uint64_t, uint64_t, uint64_t) {
  Commit(sample, false);
  return 0;
}
uint64_t a64jit_ringbuf_discard(uint64_t sample, uint64_t, uint64_t, uint64_t, uint64_t) {
  Commit(sample, true);
  return 0;
}
uint64_t a64jit_ringbuf_query(uint64_t map, uint64_t flags, uint64_t, uint64_t, uint64_t) {
  RingbufImpl* r = R(reinterpret_cast<Map*>(map));
  switch (flags) {
    case 0: return r->producer_pos - r->consumer_pos;  // BPF_RB_AVAIL_DATA
    case 1: return r->mask + 1;                        // BPF_RB_RING_SIZE
    case 2: return r->consumer_pos;                    // BPF_RB_CONS_POS
    case 3: return r->producer_pos;                    // BPF_RB_PROD_POS
    default: return 0;
  }
}

// bpf_perf_event_output for tracing and plain programs: the data alone.
uint64_t a64jit_perf_event_output(uint64_t, uint64_t map, uint64_t flags, uint64_t data, uint64_t size) {
  if (flags & ~kIndexMask) return static_cast<uint64_t>(-kEINVAL);
  return static_cast<uint64_t>(PerfOutput(reinterpret_cast<Map*>(map), flags, reinterpret_cast<const void*>(data), size, nullptr, 0));
}
// bpf_skb_event_output / bpf_xdp_event_output: BPF_F_CTXLEN_MASK bytes of the packet follow
// the data (both internal structs start with data, data_end).
uint64_t a64jit_perf_event_output_packet(uint64_t ctx, uint64_t map, uint64_t flags, uint64_t data, uint64_t size) {
  if (flags & ~(kIndexMask | kCtxLenMask)) return static_cast<uint64_t>(-kEINVAL);
  const PacketView* pkt = reinterpret_cast<const PacketView*>(ctx);
  uint64_t extra = (flags & kCtxLenMask) >> 32;
  if (extra > pkt->data_end - pkt->data) return static_cast<uint64_t>(-kEFAULT);
  return static_cast<uint64_t>(PerfOutput(reinterpret_cast<Map*>(map), flags & kIndexMask, reinterpret_cast<const void*>(data), size, reinterpret_cast<const uint8_t*>(pkt->data), extra));
}

}  // extern "C"

namespace {

void ThrowCode(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.ThrowAsJavaScriptException();
}

// new NativeOutputMap({ type: 27 | 4, maxEntries, perfCapacity? })
class OutputMap : public Napi::ObjectWrap<OutputMap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeOutputMap",
                       {
                           InstanceAccessor<&OutputMap::Address>("address"),
                           InstanceMethod<&OutputMap::Data>("data"),
                           InstanceMethod<&OutputMap::Consume>("consume"),
                           InstanceMethod<&OutputMap::Positions>("positions"),
                           InstanceMethod<&OutputMap::Lost>("lost"),
                           InstanceMethod<&OutputMap::Close>("close"),
                       });
  }

  explicit OutputMap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OutputMap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      ThrowCode(env, "NativeOutputMap(desc): desc must be an object", "ERR_A64JIT_ARGUMENT");
      return;
    }
    Napi::Object d = info[0].As<Napi::Object>();
    type_ = d.Get("type").As<Napi::Number>().Uint32Value();
    uint32_t max = d.Get("maxEntries").As<Napi::Number>().Uint32Value();
    if (type_ == kRingbufType) {
      if (max < kPage || (max & (max - 1)) != 0) {
        ThrowCode(env, "NativeOutputMap: a ring buffer's size must be a power-of-2 multiple of 4096", "ERR_A64JIT_ARGUMENT");
        return;
      }
      bytes_ = kPage + 2 * static_cast<size_t>(max);
      void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) {
        ThrowCode(env, "NativeOutputMap: out of memory for the ring buffer", "ERR_A64JIT_NOMEM");
        return;
      }
      RingbufBlock* b = static_cast<RingbufBlock*>(p);
      map_ = &b->map;
      map_->type = kRingbufType;
      map_->max_entries = max;
      map_->ncpus = 1;
      map_->store = static_cast<uint8_t*>(p) + kPage;
      map_->store_bytes = 2 * static_cast<uint64_t>(max);
      map_->impl = &b->ring;
      b->ring.mask = max - 1;
    } else if (type_ == kPerfEventArrayType) {
      if (max == 0) {
        ThrowCode(env, "NativeOutputMap: max_entries must be positive", "ERR_A64JIT_ARGUMENT");
        return;
      }
      map_ = new Map{};
      map_->type = kPerfEventArrayType;
      map_->key_size = map_->value_size = 4;
      map_->max_entries = max;
      map_->ncpus = 1;
      PerfImpl* p = new PerfImpl();
      Napi::Value cap = d.Get("perfCapacity");
      p->capacity = cap.IsNumber() ? static_cast<size_t>(cap.As<Napi::Number>().Int64Value()) : (4u << 20);
      map_->impl = p;
    } else {
      ThrowCode(env, "NativeOutputMap: type must be ringbuf (27) or perf_event_array (4)", "ERR_A64JIT_ARGUMENT");
      return;
    }
    RegisterLiveMap(map_);
    block_ = new Block{map_, type_, bytes_, 1};
  }

  ~OutputMap() override { Free(); }

 private:
  // The memory stays until the handle is gone and no data() view is left.
  struct Block {
    Map* map;
    uint32_t type;
    size_t bytes;
    int refs;
  };
  static void Release(Block* b) {
    if (--b->refs > 0) return;
    UnregisterLiveMap(b->map);
    if (b->type == kRingbufType) {
      munmap(b->map, b->bytes);
    } else {
      delete P(b->map);
      delete b->map;
    }
    delete b;
  }
  void Free() {
    if (block_ == nullptr) return;
    Release(block_);
    block_ = nullptr;
    map_ = nullptr;
  }

  bool Live(Napi::Env env) {
    if (map_ != nullptr) return true;
    ThrowCode(env, "the map was closed", "ERR_A64JIT_FREED");
    return false;
  }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    if (!Live(info.Env())) return info.Env().Undefined();
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(map_)));
  }

  // data(): the ring's data area (both halves) as an ArrayBuffer over the native memory, for
  // the interpreter's address space. Perf event arrays have none.
  Napi::Value Data(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    if (type_ != kRingbufType) return env.Null();
    block_->refs++;
    return Napi::ArrayBuffer::New(env, map_->store, map_->store_bytes, [](Napi::Env, void*, Block* b) { Release(b); }, block_);
  }

  // consume(max?): the committed records, oldest first, as Buffers (discarded ones skipped);
  // perf event arrays give { cpu, data } objects. Stops at a record still being written.
  Napi::Value Consume(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    uint32_t max = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0xffffffffu;
    Napi::Array out = Napi::Array::New(env);
    uint32_t n = 0;
    if (type_ == kRingbufType) {
      RingbufImpl* r = R(map_);
      while (n < max && r->consumer_pos < r->producer_pos) {
        uint8_t* hdr = map_->store + (r->consumer_pos & r->mask);
        uint32_t word = LoadLen(hdr);
        if (word & kBusy) break;
        uint32_t len = word & ~(kBusy | kDiscard);
        if (!(word & kDiscard)) out.Set(n++, Napi::Buffer<uint8_t>::Copy(env, hdr + kHeader, len));
        r->consumer_pos += (len + kHeader + 7) & ~7ull;
      }
      return out;
    }
    PerfImpl* p = P(map_);
    size_t at = 0;
    while (n < max && at < p->records.size()) {
      uint32_t head[2];
      std::memcpy(head, p->records.data() + at, 8);
      Napi::Object rec = Napi::Object::New(env);
      rec.Set("cpu", Napi::Number::New(env, head[0]));
      rec.Set("data", Napi::Buffer<uint8_t>::Copy(env, p->records.data() + at + 8, head[1]));
      out.Set(n++, rec);
      at += 8 + ((head[1] + 7ull) & ~7ull);
    }
    p->records.erase(p->records.begin(), p->records.begin() + static_cast<std::ptrdiff_t>(at));
    return out;
  }

  Napi::Value Positions(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    if (type_ == kRingbufType) {
      o.Set("consumer", Napi::BigInt::New(env, R(map_)->consumer_pos));
      o.Set("producer", Napi::BigInt::New(env, R(map_)->producer_pos));
    } else {
      o.Set("pending", Napi::Number::New(env, static_cast<double>(P(map_)->records.size())));
    }
    return o;
  }

  Napi::Value Lost(const Napi::CallbackInfo& info) {
    if (!Live(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), type_ == kPerfEventArrayType ? static_cast<double>(P(map_)->lost) : 0);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Free();
    return info.Env().Undefined();
  }

  Map* map_ = nullptr;
  uint32_t type_ = 0;
  size_t bytes_ = 0;
  Block* block_ = nullptr;
};

}  // namespace

void RegisterOutputMaps(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeOutputMap", OutputMap::Define(env));
}

}  // namespace a64jit
