// a64jit native addon: executable memory and host facts (this file); hardware counters for
// benchmarks in perf.cc; fault containment in fault.cc.
//
// A CodeRegion is a page-rounded private mapping that is never writable and executable at the
// same moment. Linux: mmap RW -> write -> mprotect RX -> __builtin___clear_cache. macOS arm64:
// MAP_JIT mapping, pthread_jit_write_protect_np(0/1) around writes (a per-thread mode V8 also
// uses, so execute mode is restored before returning to JS), sys_icache_invalidate on seal.
// Every failure is a JS exception naming the operation (and errno); nothing aborts the process.

#define NAPI_VERSION 8
#include <napi.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "fault.h"

#if defined(__APPLE__)
#include <libkern/OSCacheControl.h>
#include <pthread.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

#if defined(__linux__)
#include <sys/auxv.h>
#endif

namespace a64jit {
// BPF maps and helpers (native/maps.cc, native/output-maps.cc, native/helpers.cc).
void RegisterMaps(Napi::Env env, Napi::Object exports);
void RegisterOutputMaps(Napi::Env env, Napi::Object exports);
void RegisterHelpers(Napi::Env env, Napi::Object exports);
// Hardware counters for benchmarks (native/perf.cc).
void RegisterPerf(Napi::Env env, Napi::Object exports);
}  // namespace a64jit

namespace {

#if defined(__APPLE__) && defined(__aarch64__)
constexpr bool kAppleJit = true;
#else
constexpr bool kAppleJit = false;
#endif

std::string ErrnoText(const char* operation, int err) {
  return std::string(operation) + " failed: " + std::strerror(err) + " (errno " + std::to_string(err) + ")";
}

size_t PageSize() {
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<size_t>(page) : 4096;
}

// Makes [start, start+len) visible to instruction fetch after data writes (ARM ARM B2.4.4:
// writes by data accesses are not coherent with instruction fetch without maintenance).
void FlushInstructionCache(void* start, size_t len) {
#if defined(__APPLE__)
  sys_icache_invalidate(start, len);
#else
  char* begin = static_cast<char*>(start);
  __builtin___clear_cache(begin, begin + len);
#endif
}

// Every live mapping of every thread's code regions, so that a call through a bare address can
// tell whether the region behind it is still there (liveCodeAt).
std::mutex g_live_mutex;
std::map<uintptr_t, size_t> g_live;  // base -> size

void TrackLive(void* base, size_t size) {
  std::lock_guard<std::mutex> lock(g_live_mutex);
  g_live[reinterpret_cast<uintptr_t>(base)] = size;
}

void UntrackLive(void* base) {
  std::lock_guard<std::mutex> lock(g_live_mutex);
  g_live.erase(reinterpret_cast<uintptr_t>(base));
}

class CodeRegion : public Napi::ObjectWrap<CodeRegion> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CodeRegion",
                       {
                           InstanceMethod<&CodeRegion::Write>("write"),
                           InstanceMethod<&CodeRegion::Read>("read"),
                           InstanceMethod<&CodeRegion::Seal>("seal"),
                           InstanceMethod<&CodeRegion::Unseal>("unseal"),
                           InstanceMethod<&CodeRegion::Free>("free"),
                           InstanceAccessor<&CodeRegion::Address>("address"),
                           InstanceAccessor<&CodeRegion::Size>("size"),
                           InstanceAccessor<&CodeRegion::State>("state"),
                       });
  }

  explicit CodeRegion(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CodeRegion>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) {
      Throw(env, "CodeRegion(size): size must be a number", "ERR_A64JIT_ARGUMENT");
      return;
    }
    double requested = info[0].As<Napi::Number>().DoubleValue();
    // 1 GiB is far beyond any program; the bound keeps a typo from exhausting address space.
    if (!(requested >= 1 && requested <= (1u << 30)) || requested != static_cast<double>(static_cast<uint64_t>(requested))) {
      Throw(env, "alloc: size must be an integer from 1 to 1073741824 bytes, got " + Napi::Number::New(env, requested).ToString().Utf8Value(),
            "ERR_A64JIT_ARGUMENT");
      return;
    }
    const size_t page = PageSize();
    size_ = (static_cast<size_t>(requested) + page - 1) / page * page;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    int prot = PROT_READ | PROT_WRITE;
#if defined(__APPLE__) && defined(__aarch64__)
    // Hardened-runtime rule: a MAP_JIT region is mapped RWX once; the per-thread write-protect
    // switch then makes it either writable or executable for this thread, never both.
    flags |= MAP_JIT;
    prot |= PROT_EXEC;
#endif
    void* p = mmap(nullptr, size_, prot, flags, -1, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      size_ = 0;
      ThrowErrno(env, "alloc: mmap", err);
      return;
    }
    base_ = static_cast<uint8_t*>(p);
    state_ = kWritable;
    TrackLive(base_, size_);
  }

  ~CodeRegion() override { Release(); }

 private:
  enum StateKind { kWritable, kSealed, kFreed };

  static void Throw(Napi::Env env, const std::string& message, const char* code) {
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, code));
    error.ThrowAsJavaScriptException();
  }

  static void ThrowErrno(Napi::Env env, const char* operation, int err) {
    Napi::Error error = Napi::Error::New(env, ErrnoText(operation, err));
    error.Set("code", Napi::String::New(env, "ERR_A64JIT_SYSCALL"));
    error.Set("errno", Napi::Number::New(env, err));
    error.Set("syscall", Napi::String::New(env, operation));
    error.ThrowAsJavaScriptException();
  }

  bool RequireLive(Napi::Env env, const char* operation) {
    if (state_ == kFreed) {
      Throw(env, std::string(operation) + ": code region was already freed", "ERR_A64JIT_FREED");
      return false;
    }
    return true;
  }

  // write(offset, bytes): copy into the region; only while it is writable.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireLive(env, "write")) return env.Undefined();
    if (state_ == kSealed) {
      Throw(env, "write: code region is sealed (read+execute); unseal() it before patching", "ERR_A64JIT_SEALED");
      return env.Undefined();
    }
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray()) {
      Throw(env, "write(offset, bytes): offset must be a number and bytes a Uint8Array", "ERR_A64JIT_ARGUMENT");
      return env.Undefined();
    }
    double offset = info[0].As<Napi::Number>().DoubleValue();
    Napi::TypedArray array = info[1].As<Napi::TypedArray>();
    size_t length = array.ByteLength();
    if (!(offset >= 0) || offset != static_cast<double>(static_cast<uint64_t>(offset)) ||
        static_cast<uint64_t>(offset) > size_ || length > size_ - static_cast<size_t>(offset)) {
      Throw(env,
            "write: " + std::to_string(length) + " bytes at offset " + Napi::Number::New(env, offset).ToString().Utf8Value() +
                " do not fit in a region of " + std::to_string(size_) + " bytes",
            "ERR_A64JIT_RANGE");
      return env.Undefined();
    }
    const uint8_t* src = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
#if defined(__APPLE__) && defined(__aarch64__)
    pthread_jit_write_protect_np(0);
    std::memcpy(base_ + static_cast<size_t>(offset), src, length);
    pthread_jit_write_protect_np(1);
#else
    std::memcpy(base_ + static_cast<size_t>(offset), src, length);
#endif
    return env.Undefined();
  }

  // read(offset, length): a copy of the region's bytes (any state but freed).
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireLive(env, "read")) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Throw(env, "read(offset, length): offset and length must be numbers", "ERR_A64JIT_ARGUMENT");
      return env.Undefined();
    }
    double offset = info[0].As<Napi::Number>().DoubleValue();
    double length = info[1].As<Napi::Number>().DoubleValue();
    if (!(offset >= 0) || !(length >= 0) || offset + length > static_cast<double>(size_) ||
        offset != static_cast<double>(static_cast<uint64_t>(offset)) ||
        length != static_cast<double>(static_cast<uint64_t>(length))) {
      Throw(env, "read: range does not fit in a region of " + std::to_string(size_) + " bytes", "ERR_A64JIT_RANGE");
      return env.Undefined();
    }
    return Napi::Buffer<uint8_t>::Copy(env, base_ + static_cast<size_t>(offset), static_cast<size_t>(length));
  }

  // seal(): read+execute, then make the new code visible to instruction fetch.
  Napi::Value Seal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireLive(env, "seal")) return env.Undefined();
    if (state_ == kSealed) return env.Undefined();
    if (!kAppleJit && mprotect(base_, size_, PROT_READ | PROT_EXEC) != 0) {
      ThrowErrno(env, "seal: mprotect(PROT_READ|PROT_EXEC)", errno);
      return env.Undefined();
    }
    FlushInstructionCache(base_, size_);
    state_ = kSealed;
    return env.Undefined();
  }

  // unseal(): read+write again for patching; the code must not run until the next seal().
  Napi::Value Unseal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireLive(env, "unseal")) return env.Undefined();
    if (state_ == kWritable) return env.Undefined();
    if (!kAppleJit && mprotect(base_, size_, PROT_READ | PROT_WRITE) != 0) {
      ThrowErrno(env, "unseal: mprotect(PROT_READ|PROT_WRITE)", errno);
      return env.Undefined();
    }
    state_ = kWritable;
    return env.Undefined();
  }

  Napi::Value Free(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (state_ == kFreed) {
      Throw(env, "free: code region was already freed", "ERR_A64JIT_FREED");
      return env.Undefined();
    }
    UntrackLive(base_);
    if (munmap(base_, size_) != 0) {
      TrackLive(base_, size_);
      ThrowErrno(env, "free: munmap", errno);
      return env.Undefined();
    }
    base_ = nullptr;
    state_ = kFreed;
    return env.Undefined();
  }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireLive(env, "address")) return env.Undefined();
    return Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(base_)));
  }

  Napi::Value Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(size_)); }

  Napi::Value State(const Napi::CallbackInfo& info) {
    static const char* const names[] = {"writable", "sealed", "freed"};
    return Napi::String::New(info.Env(), names[state_]);
  }

  // Garbage collection of a region that was never freed: give the mapping back.
  void Release() {
    if (state_ != kFreed && base_ != nullptr) {
      UntrackLive(base_);
      munmap(base_, size_);
    }
    base_ = nullptr;
    state_ = kFreed;
  }

  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  StateKind state_ = kFreed;
};

// Whether the CPU implements FEAT_LSE (ARMv8.1 atomics: LDADD, CAS, SWP, ...).
bool HasLse() {
#if defined(__linux__) && defined(__aarch64__)
  // HWCAP_ATOMICS is bit 8 of AT_HWCAP on arm64 (arch/arm64/include/uapi/asm/hwcap.h).
  return (getauxval(AT_HWCAP) & (1UL << 8)) != 0;
#elif defined(__APPLE__) && defined(__aarch64__)
  int value = 0;
  size_t len = sizeof(value);
  if (sysctlbyname("hw.optional.arm.FEAT_LSE", &value, &len, nullptr, 0) != 0) return false;
  return value != 0;
#else
  return false;
#endif
}

Napi::Value HostInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#if defined(__linux__)
  out.Set("os", "linux");
#elif defined(__APPLE__)
  out.Set("os", "darwin");
#else
  out.Set("os", "unknown");
#endif
#if defined(__aarch64__)
  out.Set("arch", "arm64");
#elif defined(__x86_64__)
  out.Set("arch", "x64");
#else
  out.Set("arch", "unknown");
#endif
  out.Set("pageSize", Napi::Number::New(env, static_cast<double>(PageSize())));
  out.Set("lse", Napi::Boolean::New(env, HasLse()));
  out.Set("mapJit", Napi::Boolean::New(env, kAppleJit));
  return out;
}

// The address of a Buffer/TypedArray's bytes, for code that embeds data pointers. The caller
// keeps the buffer alive for as long as the address is used.
Napi::Value BufferAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "bufferAddress(bytes): bytes must be a Uint8Array or Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  auto* p = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  return Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)));
}

// liveCodeAt(address): whether address lies in a code region (of any thread) that is allocated
// and sealed or writable, i.e. not freed and not garbage-collected.
Napi::Value LiveCodeAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBigInt()) {
    Napi::TypeError::New(env, "liveCodeAt(address): address must be a bigint").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool lossless = true;
  uint64_t address = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  std::lock_guard<std::mutex> lock(g_live_mutex);
  auto it = g_live.upper_bound(static_cast<uintptr_t>(address));
  bool live = lossless && it != g_live.begin() && (--it, address - it->first < it->second);
  return Napi::Boolean::New(env, live);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("CodeRegion", CodeRegion::Define(env));
  exports.Set("hostInfo", Napi::Function::New(env, HostInfo, "hostInfo"));
  exports.Set("bufferAddress", Napi::Function::New(env, BufferAddress, "bufferAddress"));
  a64jit::RegisterMaps(env, exports);
  a64jit::RegisterOutputMaps(env, exports);
  a64jit::RegisterHelpers(env, exports);
  a64jit::RegisterPerf(env, exports);
  exports.Set("liveCodeAt", Napi::Function::New(env, LiveCodeAt, "liveCodeAt"));
  a64jit::RegisterFault(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(a64jit, Init)
