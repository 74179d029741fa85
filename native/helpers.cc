// BPF helpers that are computation or host facts, as C functions of the BPF helper signature
// (uint64_t f(uint64_t r1, ..., uint64_t r5)): JIT code calls them with BLR through the
// helper table, the interpreter through callHelper() (after checking every pointer argument
// against its address space). One implementation, so both engines agree.
//
// Userspace meanings: "current" is the calling process and thread; probe_read* copy from this
// process's memory and never fault it (an unmapped address gives -EFAULT); ktime_* read the
// matching clocks; printk output is kept per thread until JavaScript takes it.
// Packet helpers work on the runtime's internal sk_buff / xdp_buff (src/bpf/program-types
// skb.ts, xdp.ts), whose layout is mirrored here and checked by runtimeLayout().

#include "bpf-runtime.h"

#include <napi.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <sys/uio.h>
#endif

namespace a64jit {

namespace {

// ---------------------------------------------------------------- internal contexts

// The pointer part of the internal sk_buff; its 32-bit fields are reached by offset.
struct SkbInternal {
  uint64_t data, data_end, data_meta, head, end, mac_header, network_header, tstamp, hwtstamp, sk;
};
constexpr size_t kSkbLen = 80;
constexpr size_t kSkbHash = 148;
struct XdpInternal {
  uint64_t data, data_end, data_meta, data_hard_start, data_hard_end;
};
constexpr uint64_t kEthHlen = 14;
constexpr uint64_t kXdpFrameSize = 40;  // sizeof(struct xdp_frame), kept at the headroom's start
constexpr uint64_t kXdpMetaMax = 32;

uint32_t& SkbU32(uint64_t ctx, size_t off) { return *reinterpret_cast<uint32_t*>(ctx + off); }
SkbInternal* Skb(uint64_t ctx) { return reinterpret_cast<SkbInternal*>(ctx); }
XdpInternal* Xdp(uint64_t ctx) { return reinterpret_cast<XdpInternal*>(ctx); }
uint64_t Err(int64_t e) { return static_cast<uint64_t>(-e); }

// ---------------------------------------------------------------- fault-safe copies

thread_local int copy_pipe[2] = {-1, -1};
thread_local int use_pipe = -1;  // -1: not probed yet

bool OpenPipe() {
  if (copy_pipe[0] >= 0) return true;
  if (pipe(copy_pipe) != 0) return false;
  fcntl(copy_pipe[0], F_SETFD, FD_CLOEXEC);
  fcntl(copy_pipe[1], F_SETFD, FD_CLOEXEC);
  return true;
}

// The kernel reads the source for write(2) and says EFAULT instead of faulting.
int64_t PipeCopy(void* dst, const void* src, size_t n) {
  if (!OpenPipe()) return -kEFAULT;
  uint8_t* d = static_cast<uint8_t*>(dst);
  const uint8_t* s = static_cast<const uint8_t*>(src);
  while (n > 0) {
    size_t chunk = n < 4096 ? n : 4096;
    ssize_t w = write(copy_pipe[1], s, chunk);
    if (w <= 0) return -kEFAULT;
    ssize_t got = 0;
    while (got < w) {
      ssize_t r = read(copy_pipe[0], d + got, static_cast<size_t>(w - got));
      if (r <= 0) return -kEFAULT;
      got += r;
    }
    d += w;
    s += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

}  // namespace

int64_t SafeCopy(void* dst, const void* src, size_t n) {
  if (n == 0) return 0;
  uintptr_t a = reinterpret_cast<uintptr_t>(src);
  if (a < 4096 || a + n < a) return -kEFAULT;
#if defined(__linux__)
  if (use_pipe != 1) {
    struct iovec local = {dst, n};
    struct iovec remote = {const_cast<void*>(src), n};
    ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (r == static_cast<ssize_t>(n)) {
      use_pipe = 0;
      return 0;
    }
    // qemu-user has no process_vm_readv; some sandboxes forbid it: fall back to a pipe.
    if (r < 0 && (errno == ENOSYS || errno == EPERM) && use_pipe == -1) use_pipe = 1;
    else return -kEFAULT;
  }
#else
  use_pipe = 1;
#endif
  return PipeCopy(dst, src, n);
}

namespace {

// A NUL-terminated string of at most `size` bytes (the terminator included), read without
// faulting: the length with the NUL, or -EFAULT. Reads page by page so a string ending
// before an unmapped page is found.
int64_t SafeString(char* dst, const void* src, size_t size) {
  if (size == 0) return 0;
  size_t done = 0;
  const uint8_t* s = static_cast<const uint8_t*>(src);
  while (done < size) {
    size_t page_left = 4096 - (reinterpret_cast<uintptr_t>(s + done) & 4095);
    size_t chunk = size - done < page_left ? size - done : page_left;
    if (SafeCopy(dst + done, s + done, chunk) != 0) return -kEFAULT;
    void* nul = std::memchr(dst + done, 0, chunk);
    if (nul != nullptr) return static_cast<char*>(nul) - dst + 1;
    done += chunk;
  }
  dst[size - 1] = 0;
  return static_cast<int64_t>(size);
}

// ---------------------------------------------------------------- printk and snprintf

thread_local std::vector<std::string> printk_lines;
thread_local uint64_t printk_dropped = 0;
constexpr size_t kPrintkMaxLines = 100000;
constexpr size_t kPrintkBuffer = 1024;  // BPF_TRACE_PRINTK_SIZE
constexpr uint32_t kMaxVarargs = 12;    // MAX_BPRINTF_VARARGS

void Emit(const std::string& line) {
  if (printk_lines.size() >= kPrintkMaxLines) {
    printk_dropped++;
    return;
  }
  printk_lines.push_back(line);
}

std::string Hex16(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

// The kernel's bpf_bprintf_prepare rules and bstr_printf output: %d %i %u %x %X with l/ll,
// %c, %s, %p, %pK, %px, %pB (addresses as 16 hex digits), %pks/%pus (strings), %pi4/%pI4,
// %pi6/%pI6 (addresses read from memory), flags 0+- and space, a width; at most `nargs`
// conversions. Returns the text or -EINVAL.
int64_t Format(const char* fmt, const uint64_t* args, uint32_t nargs, std::string& out) {
  uint32_t used = 0;
  for (size_t i = 0; fmt[i] != 0; i++) {
    unsigned char c = static_cast<unsigned char>(fmt[i]);
    if (!std::isprint(c) && !std::isspace(c)) return -kEINVAL;
    if (c != '%') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (fmt[i + 1] == '%') {
      out.push_back('%');
      i++;
      continue;
    }
    if (used >= nargs) return -kEINVAL;
    uint64_t arg = args[used++];
    std::string spec = "%";
    i++;
    while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ') spec.push_back(fmt[i++]);
    if (fmt[i] >= '1' && fmt[i] <= '9') {
      while (fmt[i] >= '0' && fmt[i] <= '9') spec.push_back(fmt[i++]);
    }
    char piece[512];
    if (fmt[i] == 'p') {
      char n1 = fmt[i + 1];
      if (n1 == 'K' || n1 == 'x' || n1 == 'B') {
        i++;
        out += Hex16(arg);
      } else if ((n1 == 'k' || n1 == 'u') && fmt[i + 2] == 's') {
        i += 2;
        char s[512];
        if (SafeString(s, reinterpret_cast<const void*>(arg), sizeof s) < 0) s[0] = 0;
        std::snprintf(piece, sizeof piece, (spec + "s").c_str(), s);
        out += piece;
      } else if ((n1 == 'i' || n1 == 'I') && (fmt[i + 2] == '4' || fmt[i + 2] == '6')) {
        bool v4 = fmt[i + 2] == '4';
        i += 2;
        uint8_t a[16];
        if (SafeCopy(a, reinterpret_cast<const void*>(arg), v4 ? 4 : 16) != 0) {
          out += "(efault)";
          continue;
        }
        if (v4) std::snprintf(piece, sizeof piece, n1 == 'i' ? "%03u.%03u.%03u.%03u" : "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        else if (n1 == 'i') {
          for (int k = 0; k < 16; k++) std::snprintf(piece + 2 * k, 3, "%02x", a[k]);
        } else {
          for (int k = 0; k < 8; k++) std::snprintf(piece + 5 * k, 6, k < 7 ? "%02x%02x:" : "%02x%02x", a[2 * k], a[2 * k + 1]);
        }
        out += piece;
      } else if (std::isalnum(static_cast<unsigned char>(n1))) {
        return -kEINVAL;
      } else {
        out += Hex16(arg);
      }
      continue;
    }
    if (fmt[i] == 's') {
      char s[512];
      if (SafeString(s, reinterpret_cast<const void*>(arg), sizeof s) < 0) s[0] = 0;
      std::snprintf(piece, sizeof piece, (spec + "s").c_str(), s);
      out += piece;
      continue;
    }
    if (fmt[i] == 'c') {
      std::snprintf(piece, sizeof piece, (spec + "c").c_str(), static_cast<int>(static_cast<unsigned char>(arg)));
      out += piece;
      continue;
    }
    int longs = 0;
    while (fmt[i] == 'l' && longs < 2) {
      longs++;
      i++;
    }
    char conv = fmt[i];
    if (conv != 'd' && conv != 'i' && conv != 'u' && conv != 'x' && conv != 'X') return -kEINVAL;
    bool is_signed = conv == 'd' || conv == 'i';
    if (longs == 0) {
      spec.push_back(conv);
      if (is_signed) std::snprintf(piece, sizeof piece, spec.c_str(), static_cast<int>(static_cast<int32_t>(arg)));
      else std::snprintf(piece, sizeof piece, spec.c_str(), static_cast<unsigned>(static_cast<uint32_t>(arg)));
    } else {
      spec += "ll";
      spec.push_back(conv);
      if (is_signed) std::snprintf(piece, sizeof piece, spec.c_str(), static_cast<long long>(arg));
      else std::snprintf(piece, sizeof piece, spec.c_str(), static_cast<unsigned long long>(arg));
    }
    out += piece;
  }
  return 0;
}

// The format string of trace_printk / trace_vprintk: NUL-terminated within fmt_size.
bool FormatString(uint64_t fmt, uint64_t fmt_size, std::string& out) {
  const char* f = reinterpret_cast<const char*>(fmt);
  const void* nul = f == nullptr ? nullptr : std::memchr(f, 0, fmt_size);
  if (nul == nullptr) return false;
  out.assign(f, static_cast<const char*>(nul));
  return true;
}

uint64_t PrintkLine(const std::string& fmt, const uint64_t* args, uint32_t nargs) {
  std::string text;
  if (Format(fmt.c_str(), args, nargs, text) != 0) return Err(kEINVAL);
  // bstr_printf returns what it would have written; the trace buffer keeps 1023 bytes.
  uint64_t n = text.size();
  if (text.size() > kPrintkBuffer - 1) text.resize(kPrintkBuffer - 1);
  Emit(text);
  return n;
}

// ---------------------------------------------------------------- checksums
// Ones' complement arithmetic on 16-bit words as they lie in memory (little-endian loads),
// exactly as the kernel does it on little-endian machines (include/net/checksum.h,
// lib/checksum.c).

uint32_t CsumAdd(uint32_t a, uint32_t b) {
  uint32_t r = a + b;
  return r + (r < b ? 1 : 0);
}
uint32_t CsumSub(uint32_t a, uint32_t b) { return CsumAdd(a, ~b); }
uint16_t CsumFold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
uint16_t Csum16Add(uint16_t a, uint16_t b) {
  uint16_t r = static_cast<uint16_t>(a + b);
  return static_cast<uint16_t>(r + (r < b ? 1 : 0));
}
// lib/checksum.c: do_csum (folded to 16 bits), then the seed added with the carry.
uint32_t CsumPartial(const uint8_t* p, size_t len, uint32_t seed) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] | (p[i + 1] << 8));
  if (i < len) sum += p[i];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint32_t result = static_cast<uint32_t>(sum) + seed;
  if (seed > result) result += 1;
  return result;
}
uint16_t Load16(uint64_t at) {
  uint16_t v;
  std::memcpy(&v, reinterpret_cast<const void*>(at), 2);
  return v;
}
void Store16(uint64_t at, uint16_t v) { std::memcpy(reinterpret_cast<void*>(at), &v, 2); }

// bpf_try_make_writable: the bytes [data, data + len) must be inside the packet.
bool SkbWritable(uint64_t ctx, uint64_t len) { return len <= Skb(ctx)->data_end - Skb(ctx)->data; }

// ---------------------------------------------------------------- random numbers

thread_local uint64_t prandom_state = 0x853c49e6748fea9bull;

}  // namespace

extern "C" {

static uint64_t ClockNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t a64jit_ktime_get_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) { return ClockNs(CLOCK_MONOTONIC); }
// CLOCK_BOOTTIME also counts suspended time (on macOS CLOCK_MONOTONIC already does).
uint64_t a64jit_ktime_get_boot_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
#if defined(CLOCK_BOOTTIME)
  return ClockNs(CLOCK_BOOTTIME);
#else
  return ClockNs(CLOCK_MONOTONIC);
#endif
}
uint64_t a64jit_ktime_get_coarse_ns(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
#if defined(CLOCK_MONOTONIC_COARSE)
  return ClockNs(CLOCK_MONOTONIC_COARSE);
#else
  return ClockNs(CLOCK_MONOTONIC);
#endif
}
// xorshift64* (one state per thread; setPrandomSeed makes runs repeatable).
uint64_t a64jit_get_prandom_u32(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  uint64_t x = prandom_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  prandom_state = x;
  return (x * 0x2545f4914f6cdd1dull) >> 32;
}
uint64_t a64jit_get_smp_processor_id(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) { return CurrentCpu(); }
uint64_t a64jit_get_current_pid_tgid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
#if defined(__linux__)
  uint32_t tid = static_cast<uint32_t>(syscall(SYS_gettid));
#else
  unsigned long long id = 0;
  pthread_threadid_np(pthread_self(), &id);
  uint32_t tid = static_cast<uint32_t>(id);
#endif
  return (static_cast<uint64_t>(getpid()) << 32) | tid;
}
uint64_t a64jit_get_current_uid_gid(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) {
  return (static_cast<uint64_t>(getgid()) << 32) | static_cast<uint32_t>(getuid());
}
uint64_t a64jit_get_current_comm(uint64_t buf, uint64_t size, uint64_t, uint64_t, uint64_t) {
  char comm[17] = {0};
  if (pthread_getname_np(pthread_self(), comm, sizeof comm) != 0 || comm[0] == 0) std::strcpy(comm, "a64jit");
  char* out = reinterpret_cast<char*>(buf);
  std::memset(out, 0, size);
  if (size > 0) std::strncpy(out, comm, size - 1);
  return 0;
}

// probe_read, probe_read_user, probe_read_kernel: this process's memory, never faulting.
uint64_t a64jit_probe_read(uint64_t dst, uint64_t size, uint64_t src, uint64_t, uint64_t) {
  int64_t r = SafeCopy(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), size);
  if (r != 0) std::memset(reinterpret_cast<void*>(dst), 0, size);
  return static_cast<uint64_t>(r);
}
uint64_t a64jit_probe_read_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t, uint64_t) {
  int64_t r = SafeString(reinterpret_cast<char*>(dst), reinterpret_cast<const void*>(src), size);
  if (r < 0) std::memset(reinterpret_cast<void*>(dst), 0, size);
  return static_cast<uint64_t>(r);
}

uint64_t a64jit_trace_printk(uint64_t fmt, uint64_t fmt_size, uint64_t a1, uint64_t a2, uint64_t a3) {
  std::string f;
  if (!FormatString(fmt, fmt_size, f)) return Err(kEINVAL);
  uint64_t args[3] = {a1, a2, a3};
  return PrintkLine(f, args, 3);
}
uint64_t a64jit_trace_vprintk(uint64_t fmt, uint64_t fmt_size, uint64_t data, uint64_t data_len, uint64_t) {
  std::string f;
  if (!FormatString(fmt, fmt_size, f)) return Err(kEINVAL);
  if ((data_len & 7) != 0 || data_len > kMaxVarargs * 8 || (data_len != 0 && data == 0)) return Err(kEINVAL);
  uint64_t args[kMaxVarargs] = {0};
  if (data_len > 0) std::memcpy(args, reinterpret_cast<const void*>(data), data_len);
  return PrintkLine(f, args, static_cast<uint32_t>(data_len / 8));
}
uint64_t a64jit_snprintf(uint64_t str, uint64_t str_size, uint64_t fmt, uint64_t data, uint64_t data_len) {
  if ((data_len & 7) != 0 || data_len > kMaxVarargs * 8 || (data_len != 0 && data == 0)) return Err(kEINVAL);
  char f[4096];
  if (fmt == 0 || SafeString(f, reinterpret_cast<const void*>(fmt), sizeof f) < 0) return Err(kEINVAL);
  uint64_t args[kMaxVarargs] = {0};
  if (data_len > 0) std::memcpy(args, reinterpret_cast<const void*>(data), data_len);
  std::string text;
  if (Format(f, args, static_cast<uint32_t>(data_len / 8), text) != 0) return Err(kEINVAL);
  if (str_size > 0) {
    size_t n = text.size() < str_size - 1 ? text.size() : str_size - 1;
    std::memcpy(reinterpret_cast<void*>(str), text.data(), n);
    reinterpret_cast<char*>(str)[n] = 0;
  }
  return text.size() + 1;
}

uint64_t a64jit_skb_load_bytes(uint64_t ctx, uint64_t offset, uint64_t to, uint64_t len, uint64_t) {
  SkbInternal* s = Skb(ctx);
  if (offset > 0x7fffffff || offset + len > s->data_end - s->data) {
    std::memset(reinterpret_cast<void*>(to), 0, len);
    return Err(kEFAULT);
  }
  std::memcpy(reinterpret_cast<void*>(to), reinterpret_cast<const void*>(s->data + offset), len);
  return 0;
}

uint64_t a64jit_skb_store_bytes(uint64_t ctx, uint64_t offset, uint64_t from, uint64_t len, uint64_t flags) {
  constexpr uint64_t kRecomputeCsum = 1, kInvalidateHash = 2;
  if (flags & ~(kRecomputeCsum | kInvalidateHash)) return Err(kEINVAL);
  if (offset > 0x7fffffff) return Err(kEFAULT);
  if (!SkbWritable(ctx, offset + len)) return Err(kEFAULT);
  std::memmove(reinterpret_cast<void*>(Skb(ctx)->data + offset), reinterpret_cast<const void*>(from), len);
  // BPF_F_RECOMPUTE_CSUM only matters for CHECKSUM_COMPLETE packets; a test run's are not.
  if (flags & kInvalidateHash) SkbU32(ctx, kSkbHash) = 0;
  return 0;
}

uint64_t a64jit_l3_csum_replace(uint64_t ctx, uint64_t offset, uint64_t from, uint64_t to, uint64_t flags) {
  constexpr uint64_t kHdrFieldMask = 0xf;
  if (flags & ~kHdrFieldMask) return Err(kEINVAL);
  if (offset > 0xffff || (offset & 1)) return Err(kEFAULT);
  if (!SkbWritable(ctx, offset + 2)) return Err(kEFAULT);
  uint64_t at = Skb(ctx)->data + offset;
  uint16_t sum = Load16(at);
  switch (flags & kHdrFieldMask) {
    case 0:
      if (from != 0) return Err(kEINVAL);
      Store16(at, CsumFold(CsumAdd(static_cast<uint32_t>(to), ~static_cast<uint32_t>(sum))));
      break;
    case 2:
      Store16(at, static_cast<uint16_t>(~Csum16Add(Csum16Add(static_cast<uint16_t>(~sum), static_cast<uint16_t>(~static_cast<uint16_t>(from))), static_cast<uint16_t>(to))));
      break;
    case 4:
      Store16(at, CsumFold(CsumAdd(CsumSub(~static_cast<uint32_t>(sum), static_cast<uint32_t>(from)), static_cast<uint32_t>(to))));
      break;
    default:
      return Err(kEINVAL);
  }
  return 0;
}

uint64_t a64jit_l4_csum_replace(uint64_t ctx, uint64_t offset, uint64_t from, uint64_t to, uint64_t flags) {
  constexpr uint64_t kHdrFieldMask = 0xf, kPseudoHdr = 1 << 4, kMangled0 = 1 << 5, kEnforce = 1 << 6, kIpv6 = 1 << 7;
  if (flags & ~(kMangled0 | kEnforce | kPseudoHdr | kHdrFieldMask | kIpv6)) return Err(kEINVAL);
  if (offset > 0xffff || (offset & 1)) return Err(kEFAULT);
  if (!SkbWritable(ctx, offset + 2)) return Err(kEFAULT);
  uint64_t at = Skb(ctx)->data + offset;
  uint16_t sum = Load16(at);
  bool mmzero = (flags & kMangled0) != 0;
  if (mmzero && !(flags & kEnforce) && sum == 0) return 0;
  // inet_proto_csum_replace{2,4,_by_diff} on a packet that is not CHECKSUM_PARTIAL: the
  // checksum field itself is updated (the pseudo-header flag changes skb->csum only).
  switch (flags & kHdrFieldMask) {
    case 0:
      if (from != 0) return Err(kEINVAL);
      sum = CsumFold(CsumAdd(static_cast<uint32_t>(to), ~static_cast<uint32_t>(sum)));
      break;
    case 2:
    case 4: {
      uint32_t f = (flags & kHdrFieldMask) == 2 ? static_cast<uint16_t>(from) : static_cast<uint32_t>(from);
      uint32_t t = (flags & kHdrFieldMask) == 2 ? static_cast<uint16_t>(to) : static_cast<uint32_t>(to);
      uint32_t diff[2] = {~f, t};
      sum = CsumFold(CsumPartial(reinterpret_cast<const uint8_t*>(diff), sizeof diff, ~static_cast<uint32_t>(sum)));
      break;
    }
    default:
      return Err(kEINVAL);
  }
  if (mmzero && sum == 0) sum = 0xffff;  // CSUM_MANGLED_0
  Store16(at, sum);
  return 0;
}

uint64_t a64jit_csum_diff(uint64_t from, uint64_t from_size, uint64_t to, uint64_t to_size, uint64_t seed) {
  if (((from_size | to_size) & 3) != 0 || from_size + to_size > 512) return Err(kEINVAL);
  uint32_t diff[128];
  size_t j = 0;
  for (size_t i = 0; i < from_size / 4; i++, j++) {
    uint32_t w;
    std::memcpy(&w, reinterpret_cast<const uint8_t*>(from) + 4 * i, 4);
    diff[j] = ~w;
  }
  for (size_t i = 0; i < to_size / 4; i++, j++) std::memcpy(&diff[j], reinterpret_cast<const uint8_t*>(to) + 4 * i, 4);
  return CsumPartial(reinterpret_cast<const uint8_t*>(diff), 4 * j, static_cast<uint32_t>(seed));
}

uint64_t a64jit_skb_change_head(uint64_t ctx, uint64_t head_room, uint64_t flags, uint64_t, uint64_t) {
  SkbInternal* s = Skb(ctx);
  if (flags != 0 || head_room > 0x7fffffff) return Err(kEINVAL);
  // The kernel reallocates the head (skb_cow); here the headroom is what the run reserved.
  if (head_room > s->data - s->head) return Err(kENOMEM);
  s->data -= head_room;
  std::memset(reinterpret_cast<void*>(s->data), 0, head_room);
  s->mac_header = s->data;
  s->data_meta = s->data;
  SkbU32(ctx, kSkbLen) += static_cast<uint32_t>(head_room);
  return 0;
}

uint64_t a64jit_xdp_adjust_head(uint64_t ctx, uint64_t offset, uint64_t, uint64_t, uint64_t) {
  XdpInternal* x = Xdp(ctx);
  int64_t delta = static_cast<int32_t>(offset);
  uint64_t metalen = x->data - x->data_meta;
  uint64_t start = x->data_hard_start + kXdpFrameSize + metalen;
  uint64_t data = x->data + static_cast<uint64_t>(delta);
  if (data < start || data > x->data_end - kEthHlen) return Err(kEINVAL);
  if (metalen > 0) std::memmove(reinterpret_cast<void*>(x->data_meta + static_cast<uint64_t>(delta)), reinterpret_cast<const void*>(x->data_meta), metalen);
  x->data_meta += static_cast<uint64_t>(delta);
  x->data = data;
  return 0;
}

uint64_t a64jit_xdp_adjust_meta(uint64_t ctx, uint64_t offset, uint64_t, uint64_t, uint64_t) {
  XdpInternal* x = Xdp(ctx);
  uint64_t meta = x->data_meta + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(offset)));
  if (meta < x->data_hard_start + kXdpFrameSize || meta > x->data) return Err(kEINVAL);
  uint64_t metalen = x->data - meta;
  if ((metalen & 3) != 0 || metalen > kXdpMetaMax) return Err(kEACCES);
  x->data_meta = meta;
  return 0;
}

uint64_t a64jit_xdp_adjust_tail(uint64_t ctx, uint64_t offset, uint64_t, uint64_t, uint64_t) {
  XdpInternal* x = Xdp(ctx);
  int64_t delta = static_cast<int32_t>(offset);
  uint64_t end = x->data_end + static_cast<uint64_t>(delta);
  if (end > x->data_hard_end) return Err(kEINVAL);
  if (end < x->data + kEthHlen) return Err(kEINVAL);
  if (delta > 0) std::memset(reinterpret_cast<void*>(x->data_end), 0, static_cast<size_t>(delta));
  x->data_end = end;
  return 0;
}

uint64_t a64jit_map_lookup_elem(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_map_update_elem(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_map_delete_elem(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_map_push_elem(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_map_pop_elem(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_map_peek_elem(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_ringbuf_output(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_ringbuf_reserve(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_ringbuf_submit(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_ringbuf_discard(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_ringbuf_query(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_perf_event_output(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t a64jit_perf_event_output_packet(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

}  // extern "C"

namespace {

using HelperFn = uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

// Every native helper by name (the TypeScript side binds names to helper ids per program type).
const struct {
  const char* name;
  HelperFn fn;
} kHelpers[] = {
    {"map_lookup_elem", a64jit_map_lookup_elem},
    {"map_update_elem", a64jit_map_update_elem},
    {"map_delete_elem", a64jit_map_delete_elem},
    {"map_push_elem", a64jit_map_push_elem},
    {"map_pop_elem", a64jit_map_pop_elem},
    {"map_peek_elem", a64jit_map_peek_elem},
    {"probe_read", a64jit_probe_read},
    {"probe_read_str", a64jit_probe_read_str},
    {"ktime_get_ns", a64jit_ktime_get_ns},
    {"ktime_get_boot_ns", a64jit_ktime_get_boot_ns},
    {"ktime_get_coarse_ns", a64jit_ktime_get_coarse_ns},
    {"trace_printk", a64jit_trace_printk},
    {"trace_vprintk", a64jit_trace_vprintk},
    {"snprintf", a64jit_snprintf},
    {"get_prandom_u32", a64jit_get_prandom_u32},
    {"get_smp_processor_id", a64jit_get_smp_processor_id},
    {"get_current_pid_tgid", a64jit_get_current_pid_tgid},
    {"get_current_uid_gid", a64jit_get_current_uid_gid},
    {"get_current_comm", a64jit_get_current_comm},
    {"skb_load_bytes", a64jit_skb_load_bytes},
    {"skb_store_bytes", a64jit_skb_store_bytes},
    {"l3_csum_replace", a64jit_l3_csum_replace},
    {"l4_csum_replace", a64jit_l4_csum_replace},
    {"csum_diff", a64jit_csum_diff},
    {"skb_change_head", a64jit_skb_change_head},
    {"xdp_adjust_head", a64jit_xdp_adjust_head},
    {"xdp_adjust_meta", a64jit_xdp_adjust_meta},
    {"xdp_adjust_tail", a64jit_xdp_adjust_tail},
    {"ringbuf_output", a64jit_ringbuf_output},
    {"ringbuf_reserve", a64jit_ringbuf_reserve},
    {"ringbuf_submit", a64jit_ringbuf_submit},
    {"ringbuf_discard", a64jit_ringbuf_discard},
    {"ringbuf_query", a64jit_ringbuf_query},
    {"perf_event_output", a64jit_perf_event_output},
    {"perf_event_output_packet", a64jit_perf_event_output_packet},
};

uint64_t Arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i) return 0;
  if (info[i].IsBigInt()) {
    bool lossless;
    return info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(info[i].As<Napi::Number>().Int64Value());
}

// helperTable(): { name: address } of every native helper.
Napi::Value HelperTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  for (const auto& h : kHelpers) o.Set(h.name, Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(h.fn))));
  return o;
}

// callHelper(address, r1..r5): the interpreter's way into the same helpers. Only addresses
// of helperTable() are called.
Napi::Value CallHelper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t address = Arg(info, 0);
  HelperFn fn = nullptr;
  for (const auto& h : kHelpers) {
    if (reinterpret_cast<uint64_t>(h.fn) == address) fn = h.fn;
  }
  if (fn == nullptr) {
    Napi::Error e = Napi::Error::New(env, "callHelper: not the address of a native helper");
    e.Set("code", Napi::String::New(env, "ERR_A64JIT_ARGUMENT"));
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::BigInt::New(env, fn(Arg(info, 1), Arg(info, 2), Arg(info, 3), Arg(info, 4), Arg(info, 5)));
}

Napi::Value SetCpu(const Napi::CallbackInfo& info) {
  SetCurrentCpu(static_cast<uint32_t>(Arg(info, 0)));
  return info.Env().Undefined();
}
Napi::Value GetCpu(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), CurrentCpu()); }
Napi::Value SetPrandomSeed(const Napi::CallbackInfo& info) {
  uint64_t seed = Arg(info, 0);
  prandom_state = seed == 0 ? 0x853c49e6748fea9bull : seed;
  return info.Env().Undefined();
}

// drainPrintk(): { lines, dropped } printed by this thread's programs since the last call.
Napi::Value DrainPrintk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array lines = Napi::Array::New(env, printk_lines.size());
  for (size_t i = 0; i < printk_lines.size(); i++) lines.Set(static_cast<uint32_t>(i), Napi::String::New(env, printk_lines[i]));
  Napi::Object o = Napi::Object::New(env);
  o.Set("lines", lines);
  o.Set("dropped", Napi::Number::New(env, static_cast<double>(printk_dropped)));
  printk_lines.clear();
  printk_dropped = 0;
  return o;
}

// safeRead(address, length): bytes of this process's memory, or null where it is unmapped.
Napi::Value SafeRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t address = Arg(info, 0);
  size_t n = static_cast<size_t>(Arg(info, 1));
  if (n > (1u << 20)) n = 1u << 20;
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, n);
  if (SafeCopy(out.Data(), reinterpret_cast<const void*>(address), n) != 0) return env.Null();
  return out;
}

// runtimeLayout(): offsets this file and native/maps.cc rely on, for the tests and
// src/runtime/maps/layout.ts to check against the TypeScript models.
Napi::Value RuntimeLayout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("mapHeaderSize", Napi::Number::New(env, kMapHeaderSize));
  o.Set("mapMaxEntries", Napi::Number::New(env, offsetof(Map, max_entries)));
  o.Set("mapStore", Napi::Number::New(env, offsetof(Map, store)));
  o.Set("skbData", Napi::Number::New(env, offsetof(SkbInternal, data)));
  o.Set("skbDataEnd", Napi::Number::New(env, offsetof(SkbInternal, data_end)));
  o.Set("skbHead", Napi::Number::New(env, offsetof(SkbInternal, head)));
  o.Set("skbMacHeader", Napi::Number::New(env, offsetof(SkbInternal, mac_header)));
  o.Set("skbLen", Napi::Number::New(env, kSkbLen));
  o.Set("skbHash", Napi::Number::New(env, kSkbHash));
  o.Set("xdpDataHardStart", Napi::Number::New(env, offsetof(XdpInternal, data_hard_start)));
  o.Set("xdpDataHardEnd", Napi::Number::New(env, offsetof(XdpInternal, data_hard_end)));
  o.Set("xdpFrameSize", Napi::Number::New(env, kXdpFrameSize));
  return o;
}

}  // namespace

void RegisterHelpers(Napi::Env env, Napi::Object exports) {
  exports.Set("helperTable", Napi::Function::New(env, HelperTable, "helperTable"));
  exports.Set("callHelper", Napi::Function::New(env, CallHelper, "callHelper"));
  exports.Set("setCpu", Napi::Function::New(env, SetCpu, "setCpu"));
  exports.Set("currentCpu", Napi::Function::New(env, GetCpu, "currentCpu"));
  exports.Set("setPrandomSeed", Napi::Function::New(env, SetPrandomSeed, "setPrandomSeed"));
  exports.Set("drainPrintk", Napi::Function::New(env, DrainPrintk, "drainPrintk"));
  exports.Set("safeRead", Napi::Function::New(env, SafeRead, "safeRead"));
  exports.Set("runtimeLayout", Napi::Function::New(env, RuntimeLayout, "runtimeLayout"));
}

}  // namespace a64jit
