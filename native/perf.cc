// Hardware performance counters for benchmarks: perf_event_open(2) on Linux, nothing else.
//
// PerfCounters(names) opens one counter group for the calling thread (pid 0, any CPU), user
// space only (exclude_kernel, exclude_hv: what perf_event_paranoid 2 still allows), with the
// first counter that opens as the group leader so the kernel schedules them all or none. Each
// name that cannot be opened is reported with its errno instead (EACCES/EPERM: not permitted;
// ENOENT/EOPNOTSUPP/ENODEV: the PMU has no such event; ENOSYS: no perf_event_open at all, as
// under qemu-user). start() resets and enables the group, stop() disables it and returns the
// values with the group's enabled and running times (running < enabled: multiplexed). No
// policy here: src/bench/counters.ts turns errnos into messages and counts into per-run figures.

#include <napi.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#if defined(__linux__)
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace a64jit {
namespace {

struct EventName {
  const char* name;
  uint32_t type;
  uint64_t config;
};

#if defined(__linux__)
// The generalized hardware events (include/uapi/linux/perf_event.h, enum perf_hw_id), and the
// kernel's task clock (a software event: present without a PMU, e.g. in a VM).
const EventName kEvents[] = {
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
};

long PerfEventOpen(perf_event_attr* attr, int group_fd) {
  return syscall(SYS_perf_event_open, attr, 0 /* this thread */, -1 /* any CPU */, group_fd, PERF_FLAG_FD_CLOEXEC);
}
#endif

class PerfCounters : public Napi::ObjectWrap<PerfCounters> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PerfCounters",
                       {
                           InstanceMethod<&PerfCounters::Start>("start"),
                           InstanceMethod<&PerfCounters::Stop>("stop"),
                           InstanceMethod<&PerfCounters::Close>("close"),
                           InstanceAccessor<&PerfCounters::Status>("status"),
                       });
  }

  explicit PerfCounters(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PerfCounters>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) {
      Napi::TypeError::New(env, "PerfCounters(names): names must be an array of event names").ThrowAsJavaScriptException();
      return;
    }
    Napi::Array names = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < names.Length(); i++) {
      Napi::Value v = names.Get(i);
      if (!v.IsString()) {
        Napi::TypeError::New(env, "PerfCounters(names): every name must be a string").ThrowAsJavaScriptException();
        return;
      }
      Entry e;
      e.name = v.As<Napi::String>().Utf8Value();
      Open(e);
      entries_.push_back(e);
    }
  }

  ~PerfCounters() override { Release(); }

 private:
  struct Entry {
    std::string name;
    int fd = -1;
    int err = 0;
    std::string reason;
  };

  void Open(Entry& e) {
#if defined(__linux__)
    const EventName* event = nullptr;
    for (const auto& k : kEvents)
      if (e.name == k.name) event = &k;
    if (event == nullptr) {
      e.err = EINVAL;
      e.reason = "unknown event name";
      return;
    }
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = event->type;
    attr.config = event->config;
    attr.disabled = leader_ < 0 ? 1 : 0;  // members follow the leader
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    long fd = PerfEventOpen(&attr, leader_);
    if (fd < 0) {
      e.err = errno;
      e.reason = std::strerror(e.err);
      return;
    }
    e.fd = static_cast<int>(fd);
    if (leader_ < 0) leader_ = e.fd;
    open_++;
#else
    e.err = ENOSYS;
    e.reason = "perf_event_open exists on Linux only";
#endif
  }

  // status: [{ name, ok, errno, reason }] in the order given.
  Napi::Value Status(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env, entries_.size());
    for (size_t i = 0; i < entries_.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", entries_[i].name);
      o.Set("ok", Napi::Boolean::New(env, entries_[i].fd >= 0));
      o.Set("errno", Napi::Number::New(env, entries_[i].err));
      o.Set("reason", entries_[i].reason);
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

  bool RequireOpen(Napi::Env env, const char* what) {
    if (closed_) {
      Napi::Error::New(env, std::string(what) + ": the counters were closed").ThrowAsJavaScriptException();
      return false;
    }
    if (leader_ < 0) {
      Napi::Error::New(env, std::string(what) + ": no counter could be opened (see status)").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireOpen(env, "start")) return env.Undefined();
#if defined(__linux__)
    if (ioctl(leader_, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP) != 0 || ioctl(leader_, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) != 0) {
      Napi::Error::New(env, std::string("start: ioctl failed: ") + std::strerror(errno)).ThrowAsJavaScriptException();
    }
#endif
    return env.Undefined();
  }

  // stop(): { values: bigint[] (the opened counters, in the order given), enabled, running } (ns).
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!RequireOpen(env, "stop")) return env.Undefined();
#if defined(__linux__)
    if (ioctl(leader_, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP) != 0) {
      Napi::Error::New(env, std::string("stop: ioctl failed: ") + std::strerror(errno)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // PERF_FORMAT_GROUP with both times: nr, time_enabled, time_running, value[nr].
    std::vector<uint64_t> buf(3 + static_cast<size_t>(open_));
    ssize_t n = read(leader_, buf.data(), buf.size() * sizeof(uint64_t));
    if (n < static_cast<ssize_t>(3 * sizeof(uint64_t))) {
      Napi::Error::New(env, std::string("stop: read failed: ") + (n < 0 ? std::strerror(errno) : "short read")).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object out = Napi::Object::New(env);
    Napi::Array values = Napi::Array::New(env, static_cast<size_t>(buf[0]));
    for (uint64_t i = 0; i < buf[0] && 3 + i < buf.size(); i++) values.Set(static_cast<uint32_t>(i), Napi::BigInt::New(env, buf[3 + i]));
    out.Set("values", values);
    out.Set("enabled", Napi::BigInt::New(env, buf[1]));
    out.Set("running", Napi::BigInt::New(env, buf[2]));
    return out;
#else
    return env.Undefined();
#endif
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  void Release() {
    if (closed_) return;
    closed_ = true;
#if defined(__linux__)
    for (auto& e : entries_)
      if (e.fd >= 0) close(e.fd);
#endif
  }

  std::vector<Entry> entries_;
  int leader_ = -1;
  int open_ = 0;
  bool closed_ = false;
};

}  // namespace

void RegisterPerf(Napi::Env env, Napi::Object exports) { exports.Set("PerfCounters", PerfCounters::Define(env)); }

}  // namespace a64jit
