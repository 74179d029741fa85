// Fault containment for JIT code: the last line of a64jit's safety.
//
// One process-wide handler for SIGSEGV, SIGBUS, SIGILL and SIGFPE (sigaction, SA_SIGINFO |
// SA_ONSTACK, on an alternate signal stack per JS thread so that a native stack overflow can
// still be handled). A fault whose pc lies in a registered, containable a64jit code range is
// redirected: the handler writes the fault into x13-x15 of the interrupted context and sets its
// pc to the range's landing code, which records the fault in the program's context block,
// restores the entry frame (callee-saved registers and sp as the entry prologue saved them) and
// returns to the caller, so the JS call throws a BpfFaultError. Every other fault goes to the
// handler that was installed before ours (V8's/Node's WebAssembly trap handler, ...), exactly as
// if ours did not exist.
//
// The handler only reads the range registry and rewrites registers of the context it was given:
// no locks, no allocation, no TLS, nothing shared that it writes, so it is safe on any thread and
// when a program faults while a helper runs it (or another program) again.
//
// Registers at the landing (the contract with src/jit/fault-landing.ts):
//   x13 = fault address (si_addr; the pc itself for an instruction fetch fault)
//   x14 = signal | si_code << 8 | ESR valid << 24 | ESR << 32 (ESR_EL1 from the kernel's
//         esr_context record on Linux when it gives one; qemu-user does not)
//   x15 = the faulting pc
//
// Registry: fixed-size chunks of slots, allocated on demand and never freed, so the handler can
// walk them while other threads register and unregister (each slot is a seqlock: writers make
// the sequence odd while they change it; a reader that sees it odd or changed ignores the slot,
// which is right, because code whose range is being changed is not running).

#define NAPI_VERSION 8
#include <napi.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__linux__)
#include <ucontext.h>
#elif defined(__APPLE__)
#include <sys/ucontext.h>
#endif

#include "fault.h"

namespace a64jit {
namespace {

constexpr int kExcludes = 4;
constexpr size_t kChunkSlots = 1024;
constexpr size_t kMaxChunks = 1024;  // a million live ranges

struct Slot {
  std::atomic<uint32_t> seq{0};
  std::atomic<uint32_t> live{0};
  std::atomic<uint64_t> start{0}, end{0}, landing{0};
  std::atomic<uint64_t> exclude[kExcludes][2];
  std::atomic<uint64_t> owner{0};
  std::atomic<uint32_t> program{0};
};

std::atomic<Slot*> g_chunks[kMaxChunks];
std::atomic<size_t> g_used{0};  // slots ever handed out (high-water mark)
std::mutex g_writers;           // registration and unregistration only, never the handler
std::vector<size_t> g_free;     // under g_writers

Slot* SlotAt(size_t index) {
  Slot* chunk = g_chunks[index / kChunkSlots].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[index % kChunkSlots];
}

uint64_t ThreadToken() { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(pthread_self())); }

// A slot's fields, read consistently; false when the slot is free or being changed.
struct RangeView {
  uint64_t start, end, landing, owner;
  bool program;
  uint64_t exclude[kExcludes][2];
};

bool ReadSlot(const Slot& s, RangeView* out) {
  uint32_t before = s.seq.load(std::memory_order_acquire);
  if (before & 1u) return false;
  if (s.live.load(std::memory_order_relaxed) == 0) return false;
  out->start = s.start.load(std::memory_order_relaxed);
  out->end = s.end.load(std::memory_order_relaxed);
  out->landing = s.landing.load(std::memory_order_relaxed);
  out->owner = s.owner.load(std::memory_order_relaxed);
  out->program = s.program.load(std::memory_order_relaxed) != 0;
  for (int i = 0; i < kExcludes; i++) {
    out->exclude[i][0] = s.exclude[i][0].load(std::memory_order_relaxed);
    out->exclude[i][1] = s.exclude[i][1].load(std::memory_order_relaxed);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  return s.seq.load(std::memory_order_relaxed) == before;
}

// The live range holding pc (signal-safe: loads only).
bool FindRange(uint64_t pc, RangeView* out) {
  size_t used = g_used.load(std::memory_order_acquire);
  for (size_t i = 0; i < used; i++) {
    const Slot* s = SlotAt(i);
    if (s == nullptr) continue;
    RangeView v;
    if (ReadSlot(*s, &v) && pc >= v.start && pc < v.end) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool Excluded(const RangeView& v, uint64_t pc) {
  for (int i = 0; i < kExcludes; i++) {
    if (pc >= v.exclude[i][0] && pc < v.exclude[i][1]) return true;
  }
  return false;
}

// ---- the signal handler -------------------------------------------------------------------

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
struct sigaction g_previous[NSIG];
std::atomic<bool> g_installed{false};
std::atomic<uint64_t> g_contained{0};

#if defined(__aarch64__) && (defined(__linux__) || defined(__APPLE__))
constexpr bool kCanContain = true;
#else
constexpr bool kCanContain = false;
#endif

#if defined(__aarch64__) && defined(__linux__)
// arm64 Linux: ucontext_t.uc_mcontext is struct sigcontext {fault_address, regs[31], sp, pc,
// pstate, __reserved[4096]} (arch/arm64/include/uapi/asm/sigcontext.h); __reserved holds
// records {magic, size}, one of them ESR_MAGIC with ESR_EL1 for data aborts.
auto& PcOf(void* uctx) { return static_cast<ucontext_t*>(uctx)->uc_mcontext.pc; }
auto& RegOf(void* uctx, int n) { return static_cast<ucontext_t*>(uctx)->uc_mcontext.regs[n]; }
bool EsrOf(void* uctx, uint64_t* esr) {
  constexpr uint32_t kEsrMagic = 0x45535201;
  const mcontext_t& mc = static_cast<ucontext_t*>(uctx)->uc_mcontext;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(mc.__reserved);
  const unsigned char* end = p + sizeof(mc.__reserved);
  while (p + 8 <= end) {
    uint32_t magic, size;
    std::memcpy(&magic, p, 4);
    std::memcpy(&size, p + 4, 4);
    if (magic == 0 || size < 8 || size > static_cast<size_t>(end - p)) return false;
    if (magic == kEsrMagic && size >= 16) {
      std::memcpy(esr, p + 8, 8);
      return true;
    }
    p += size;
  }
  return false;
}
#elif defined(__aarch64__) && defined(__APPLE__)
// macOS arm64: ucontext_t.uc_mcontext points at struct __darwin_mcontext64 {__es (far, esr,
// exception), __ss (__x[29], __fp, __lr, __sp, __pc, __cpsr), __ns}; x29/x30 are __fp/__lr.
auto& PcOf(void* uctx) { return static_cast<ucontext_t*>(uctx)->uc_mcontext->__ss.__pc; }
auto& RegOf(void* uctx, int n) { return static_cast<ucontext_t*>(uctx)->uc_mcontext->__ss.__x[n]; }
bool EsrOf(void* uctx, uint64_t* esr) {
  *esr = static_cast<ucontext_t*>(uctx)->uc_mcontext->__es.__esr;
  return true;
}
#endif

// Hand the signal to whoever had it before us, as they asked for it.
void Chain(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& previous = g_previous[sig];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, uctx);
    return;
  }
  if ((previous.sa_flags & SA_SIGINFO) == 0 && previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  // Default action (an ignored SIGSEGV would re-fault forever, so it gets the default too):
  // restore it and return. A fault re-executes the instruction and the kernel applies the
  // default; a signal sent by kill() is raised again (it is blocked until we return).
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  if (info == nullptr || info->si_code <= 0) raise(sig);
}

void Handler(int sig, siginfo_t* info, void* uctx) {
#if defined(__aarch64__) && (defined(__linux__) || defined(__APPLE__))
  uint64_t pc = PcOf(uctx);
  RangeView range;
  if (info != nullptr && info->si_code > 0 && FindRange(pc, &range) && range.landing != 0 && !Excluded(range, pc)) {
    uint64_t esr = 0;
    bool haveEsr = EsrOf(uctx, &esr);
    RegOf(uctx, 13) = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(info->si_addr));
    RegOf(uctx, 14) = static_cast<uint64_t>(sig) | (static_cast<uint64_t>(info->si_code & 0xffff) << 8) |
                      (static_cast<uint64_t>(haveEsr ? 1 : 0) << 24) | (haveEsr ? (esr & 0xffffffffu) << 32 : 0);
    RegOf(uctx, 15) = pc;
    PcOf(uctx) = range.landing;
    g_contained.fetch_add(1, std::memory_order_relaxed);
    return;
  }
#endif
  Chain(sig, info, uctx);
}

void InstallOnce() {
  if (!kCanContain) return;
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = Handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int sig : kSignals) sigaction(sig, &sa, &g_previous[sig]);
    g_installed.store(true, std::memory_order_release);
  });
}

// ---- per-thread alternate signal stack -----------------------------------------------------

struct AltStack {
  void* base = nullptr;
  size_t size = 0;
};

// Gives the thread an alternate signal stack when it has none, so a fault caused by running out
// of native stack (deep recursion in unverified code) can still be handled. Undone when the
// thread's JS environment goes away.
void EnsureAltStack(Napi::Env env) {
  if (!kCanContain) return;
  stack_t current;
  if (sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0) return;
  size_t size = 64 * 1024;
#if defined(SIGSTKSZ)
  if (size < static_cast<size_t>(4 * SIGSTKSZ)) size = static_cast<size_t>(4 * SIGSTKSZ);
#endif
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  stack_t ss;
  ss.ss_sp = p;
  ss.ss_size = size;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(p, size);
    return;
  }
  auto* alt = new AltStack{p, size};
  napi_add_env_cleanup_hook(
      env,
      [](void* data) {
        auto* a = static_cast<AltStack*>(data);
        stack_t off;
        std::memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        stack_t now;
        // only take down the stack we put up, on the thread it belongs to
        if (sigaltstack(nullptr, &now) == 0 && now.ss_sp == a->base) sigaltstack(&off, nullptr);
        munmap(a->base, a->size);
        delete a;
      },
      alt);
}

// ---- JS API ---------------------------------------------------------------------------------

bool ToU64(Napi::Env env, Napi::Value v, const char* what, uint64_t* out) {
  if (!v.IsBigInt()) {
    Napi::TypeError::New(env, std::string(what) + " must be a bigint").ThrowAsJavaScriptException();
    return false;
  }
  bool lossless = true;
  *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    Napi::RangeError::New(env, std::string(what) + " does not fit in 64 bits").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// registerCodeRange(start, end, landing, excludes: bigint[] as [lo, hi, lo, hi, ...], program)
// -> slot. landing 0n: the range is known (for codeRangeAt) but faults in it are not contained;
// program: it is a BPF program's code (only callable through its JitProgram).
Napi::Value RegisterCodeRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t start, end, landing;
  if (info.Length() < 5 || !ToU64(env, info[0], "start", &start) || !ToU64(env, info[1], "end", &end) ||
      !ToU64(env, info[2], "landing", &landing)) {
    if (!env.IsExceptionPending()) Napi::TypeError::New(env, "registerCodeRange(start, end, landing, excludes, program)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!info[3].IsArray()) {
    Napi::TypeError::New(env, "registerCodeRange: excludes must be an array of bigints").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array list = info[3].As<Napi::Array>();
  if (end <= start || list.Length() % 2 != 0 || list.Length() > 2 * kExcludes) {
    Napi::RangeError::New(env, "registerCodeRange: need start < end and at most 4 [lo, hi) excludes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint64_t excludes[kExcludes][2] = {};
  for (uint32_t i = 0; i < list.Length(); i++) {
    if (!ToU64(env, list.Get(i), "exclude bound", &excludes[i / 2][i % 2])) return env.Undefined();
  }
  std::lock_guard<std::mutex> lock(g_writers);
  size_t index;
  if (!g_free.empty()) {
    index = g_free.back();
    g_free.pop_back();
  } else {
    index = g_used.load(std::memory_order_relaxed);
    if (index >= kChunkSlots * kMaxChunks) {
      Napi::RangeError::New(env, "registerCodeRange: more than 1048576 live code ranges").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (g_chunks[index / kChunkSlots].load(std::memory_order_relaxed) == nullptr) {
      g_chunks[index / kChunkSlots].store(new Slot[kChunkSlots], std::memory_order_release);
    }
  }
  Slot* s = SlotAt(index);
  uint32_t seq = s->seq.load(std::memory_order_relaxed);
  s->seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s->start.store(start, std::memory_order_relaxed);
  s->end.store(end, std::memory_order_relaxed);
  s->landing.store(landing, std::memory_order_relaxed);
  s->owner.store(ThreadToken(), std::memory_order_relaxed);
  for (int i = 0; i < kExcludes; i++) {
    s->exclude[i][0].store(excludes[i][0], std::memory_order_relaxed);
    s->exclude[i][1].store(excludes[i][1], std::memory_order_relaxed);
  }
  s->program.store(info[4].ToBoolean().Value() ? 1 : 0, std::memory_order_relaxed);
  s->live.store(1, std::memory_order_relaxed);
  s->seq.store(seq + 2, std::memory_order_release);
  if (index == g_used.load(std::memory_order_relaxed)) g_used.store(index + 1, std::memory_order_release);
  return Napi::Number::New(env, static_cast<double>(index));
}

Napi::Value UnregisterCodeRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "unregisterCodeRange(slot)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  std::lock_guard<std::mutex> lock(g_writers);
  size_t index = static_cast<size_t>(d);
  Slot* s = (d >= 0 && d == static_cast<double>(index) && index < g_used.load(std::memory_order_relaxed)) ? SlotAt(index) : nullptr;
  if (s == nullptr || s->live.load(std::memory_order_relaxed) == 0) {
    Napi::RangeError::New(env, "unregisterCodeRange: no live range in slot " + std::to_string(d)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t seq = s->seq.load(std::memory_order_relaxed);
  s->seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s->live.store(0, std::memory_order_relaxed);
  s->seq.store(seq + 2, std::memory_order_release);
  g_free.push_back(index);
  return env.Undefined();
}

// codeRangeAt(address) -> { start, end, containable, program, sameThread } | null, over every
// thread's registered ranges.
Napi::Value CodeRangeAt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t address;
  if (info.Length() < 1 || !ToU64(env, info[0], "address", &address)) return env.Undefined();
  RangeView v;
  if (!FindRange(address, &v)) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("start", Napi::BigInt::New(env, v.start));
  out.Set("end", Napi::BigInt::New(env, v.end));
  out.Set("containable", Napi::Boolean::New(env, v.landing != 0));
  out.Set("program", Napi::Boolean::New(env, v.program));
  out.Set("sameThread", Napi::Boolean::New(env, v.owner == ThreadToken()));
  return out;
}

Napi::Value FaultState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("installed", Napi::Boolean::New(env, g_installed.load(std::memory_order_acquire)));
  out.Set("contained", Napi::Number::New(env, static_cast<double>(g_contained.load(std::memory_order_relaxed))));
  stack_t current;
  bool alt = kCanContain && sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0;
  out.Set("altStack", Napi::Boolean::New(env, alt));
  size_t live = 0;
  size_t used = g_used.load(std::memory_order_acquire);
  for (size_t i = 0; i < used; i++) {
    const Slot* s = SlotAt(i);
    if (s != nullptr && s->live.load(std::memory_order_relaxed) != 0) live++;
  }
  out.Set("liveRanges", Napi::Number::New(env, static_cast<double>(live)));
  return out;
}

}  // namespace

void RegisterFault(Napi::Env env, Napi::Object exports) {
  InstallOnce();
  EnsureAltStack(env);
  exports.Set("registerCodeRange", Napi::Function::New(env, RegisterCodeRange, "registerCodeRange"));
  exports.Set("unregisterCodeRange", Napi::Function::New(env, UnregisterCodeRange, "unregisterCodeRange"));
  exports.Set("codeRangeAt", Napi::Function::New(env, CodeRangeAt, "codeRangeAt"));
  exports.Set("faultState", Napi::Function::New(env, FaultState, "faultState"));
}

}  // namespace a64jit
