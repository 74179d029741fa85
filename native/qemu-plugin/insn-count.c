/*
 * a64jit instruction counter: a QEMU TCG plugin (API version 1, qemu-aarch64 7.2) that counts
 * the guest instructions executed inside registered address ranges, exactly.
 *
 * Loaded as  QEMU_PLUGIN=<this .so>,dir=<DIR>  (or -plugin <this .so>,dir=<DIR>); the guest
 * finds the same DIR in A64JIT_INSN_COUNT_DIR. src/runtime/qemu-plugin.ts builds and launches
 * it, src/runtime/insn-count.ts is the guest side. The protocol, in full:
 *
 * Counts file  DIR/<pid>.insn  (pid of the qemu process = the guest's getpid()), created by
 * the plugin, mapped MAP_SHARED here and read by the guest with pread; little-endian u64s:
 *   header  [0] magic "A64JINSN"  [1] layout version (1)  [2] pid  [3] capacity (slots)
 *           [4] hypercall number  [5] translation-cache flushes requested
 *           [6] generation (table changes applied)  [7] last refused nonce (table full)
 *   slot i at 64 + 32 * i:  start, end, owner, count
 *           owner 0 = free, RETIRED = given back (reused only after the next flush),
 *           otherwise the nonce of the guest thread that registered it.
 *
 * Hypercall: the guest executes `svc #0` with x8 = HYPERCALL_NR (no Linux syscall has that
 * number: QEMU answers -ENOSYS and the host kernel never sees it). The plugin's syscall
 * callback sees the number and x0..x3:
 *   x0 = 1 REGISTER    x1 = start, x2 = end (exclusive), x3 = nonce (1 .. 2^63-1)
 *   x0 = 2 UNREGISTER  x1 = slot, x2 = nonce
 * A REGISTER of a range none of whose pages was ever translated (a fresh JIT region) takes a
 * free slot at once (owner = nonce, written last). Otherwise it is applied by
 * qemu_plugin_reset(): QEMU stops every vCPU, flushes the whole translation cache and calls
 * on_reset(), which claims the slot and rebuilds the range table. The flush matters: code
 * translated before it was registered (a native function called once to check its result,
 * a JIT region that ran, code at an address a freed region had) would otherwise keep running
 * without counters. The guest polls the file until its nonce appears; on the calling vCPU
 * the reset completes before the instruction after `svc` runs.
 *
 * Counting: at translation time (once per translation block), each maximal run of
 * consecutive instructions of a block that lie inside a range gets one inline
 * "add run-length to that range's counter" before its first instruction: no helper call, no
 * cost outside ranges. A block is entered at its first instruction and leaves at its last
 * (branches end blocks), so the count is exact, unless an instruction in the run faults.
 * Counters are per range (one per registration), so threads that run their own code never
 * add to the same word; two threads running the same registered code at the same moment
 * would race on the (non-atomic) inline add, and every range that contains an instruction
 * counts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qemu-plugin-api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = A64JIT_QEMU_PLUGIN_VERSION;

enum {
  LAYOUT_VERSION = 1,
  HEADER_WORDS = 8,
  SLOT_WORDS = 4,
  DEFAULT_CAPACITY = 1024,
  MAX_CAPACITY = 65536,
  MAX_PENDING = 256,
};

#define MAGIC 0x4e534e494a343641ull /* "A64JINSN" as little-endian bytes */
#define HYPERCALL_NR 0x6a64         /* "jd"; far above every Linux syscall number */
#define OP_REGISTER 1
#define OP_UNREGISTER 2
#define RETIRED 0xffffffffffffffffull

enum { H_MAGIC, H_VERSION, H_PID, H_CAPACITY, H_HYPERCALL, H_FLUSHES, H_GENERATION, H_REFUSED };
enum { S_START, S_END, S_OWNER, S_COUNT };

struct range {
  uint64_t start, end;
  uint64_t *counter;
};

struct request {
  uint64_t start, end, nonce;
};

static qemu_plugin_id_t plugin_id;
static pid_t owner_pid;
static char file_path[4096];
static uint64_t *shared; /* header + slots, MAP_SHARED */
static size_t shared_bytes;
static uint64_t capacity = DEFAULT_CAPACITY;

/* Guards everything below; taken by translation (with QEMU's mmap_lock held), by the
 * syscall callback and by on_reset (with every vCPU stopped): never the other way round. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct range *ranges; /* the active slots, for translation */
static size_t n_ranges;
static struct request pending[MAX_PENDING];
static size_t n_pending;

/* Every guest page that holds translated code since the last flush of ours: an open-addressing
 * set of page numbers (0 = empty; page numbers are stored plus one). A superset is safe (qemu
 * may have dropped translations on its own): it only costs a flush. The table is allocated
 * once at install and never grows, because host memory allocated later can show up in the
 * guest's /proc/self/maps; when it is half full it saturates and every register flushes (which
 * empties it). */
enum { PAGES_CAP = 1 << 15, PAGES_MAX = PAGES_CAP / 2 };
static uint64_t *pages;
static size_t pages_used;
static int pages_saturated;

static size_t page_hash(uint64_t key) { return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (PAGES_CAP - 1); }

static void page_insert(uint64_t page) {
  if (pages_saturated) return;
  for (size_t i = page_hash(page + 1);; i = (i + 1) & (PAGES_CAP - 1)) {
    if (pages[i] == page + 1) return;
    if (pages[i] == 0) {
      pages[i] = page + 1;
      if (++pages_used >= PAGES_MAX) pages_saturated = 1;
      return;
    }
  }
}

static int page_seen(uint64_t page) {
  if (pages_saturated) return 1;
  for (size_t i = page_hash(page + 1); pages[i] != 0; i = (i + 1) & (PAGES_CAP - 1))
    if (pages[i] == page + 1) return 1;
  return 0;
}

static void pages_clear(void) {
  memset(pages, 0, PAGES_CAP * sizeof *pages);
  pages_used = 0;
  pages_saturated = 0;
}

enum { PAGE_SHIFT = 12 };

static uint64_t *slot(uint64_t i) { return shared + HEADER_WORDS + SLOT_WORDS * i; }

/* Install errors go to stderr: qemu_plugin_outs() writes to QEMU's log, which is off unless
 * `-d plugin` is given, and qemu itself only says that installing failed. */
static void fail_message(const char *what) { fprintf(stderr, "a64jit insn-count plugin: %s\n", what); }

/* The active slots as a compact table (caller holds lock). */
static void rebuild_ranges(void) {
  n_ranges = 0;
  for (uint64_t i = 0; i < capacity; i++) {
    uint64_t *s = slot(i);
    uint64_t owner = __atomic_load_n(&s[S_OWNER], __ATOMIC_ACQUIRE);
    if (owner == 0 || owner == RETIRED) continue;
    ranges[n_ranges].start = s[S_START];
    ranges[n_ranges].end = s[S_END];
    ranges[n_ranges].counter = &s[S_COUNT];
    n_ranges++;
  }
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  if (n == 0) return;
  uint64_t first = qemu_plugin_tb_vaddr(tb);
  struct qemu_plugin_insn *last_insn = qemu_plugin_tb_get_insn(tb, n - 1);
  uint64_t end = qemu_plugin_insn_vaddr(last_insn) + qemu_plugin_insn_size(last_insn);
  pthread_mutex_lock(&lock);
  for (uint64_t page = first >> PAGE_SHIFT; page <= (end - 1) >> PAGE_SHIFT; page++) page_insert(page);
  for (size_t r = 0; r < n_ranges; r++) {
    const struct range *range = &ranges[r];
    if (range->end <= first || range->start >= end) continue;
    size_t run_start = 0, run_length = 0;
    for (size_t i = 0; i <= n; i++) {
      int inside = 0;
      if (i < n) {
        uint64_t pc = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
        inside = pc >= range->start && pc < range->end;
      }
      if (inside) {
        if (run_length++ == 0) run_start = i;
      } else if (run_length > 0) {
        qemu_plugin_register_vcpu_insn_exec_inline(qemu_plugin_tb_get_insn(tb, run_start), QEMU_PLUGIN_INLINE_ADD_U64,
                                                   range->counter, run_length);
        run_length = 0;
      }
    }
  }
  pthread_mutex_unlock(&lock);
}

static void register_callbacks(void);

/* Safe work: every vCPU is stopped and the translation cache is empty. */
static void on_reset(qemu_plugin_id_t id) {
  (void)id;
  pthread_mutex_lock(&lock);
  for (uint64_t i = 0; i < capacity; i++) {
    uint64_t *s = slot(i);
    if (s[S_OWNER] == RETIRED) {
      s[S_START] = s[S_END] = s[S_COUNT] = 0;
      __atomic_store_n(&s[S_OWNER], 0, __ATOMIC_RELEASE);
    }
  }
  for (size_t p = 0; p < n_pending; p++) {
    uint64_t i = 0;
    while (i < capacity && slot(i)[S_OWNER] != 0) i++;
    if (i == capacity) {
      __atomic_store_n(&shared[H_REFUSED], pending[p].nonce, __ATOMIC_RELEASE);
      continue;
    }
    uint64_t *s = slot(i);
    s[S_START] = pending[p].start;
    s[S_END] = pending[p].end;
    s[S_COUNT] = 0;
    __atomic_store_n(&s[S_OWNER], pending[p].nonce, __ATOMIC_RELEASE);
  }
  n_pending = 0;
  pages_clear();
  rebuild_ranges();
  __atomic_add_fetch(&shared[H_GENERATION], 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&lock);
  register_callbacks();
}

/* A free slot for a range no translated code overlaps, claimed without a flush; 0 when the
 * request must go through a flush (caller holds lock). */
static int claim_without_flush(uint64_t start, uint64_t end, uint64_t nonce) {
  for (uint64_t page = start >> PAGE_SHIFT; page <= (end - 1) >> PAGE_SHIFT; page++)
    if (page_seen(page)) return 0;
  for (uint64_t i = 0; i < capacity; i++) {
    uint64_t *s = slot(i);
    if (s[S_OWNER] != 0) continue;
    s[S_START] = start;
    s[S_END] = end;
    s[S_COUNT] = 0;
    __atomic_store_n(&s[S_OWNER], nonce, __ATOMIC_RELEASE);
    rebuild_ranges();
    __atomic_add_fetch(&shared[H_GENERATION], 1, __ATOMIC_RELEASE);
    return 1;
  }
  return 0;
}

/* 1 when a slot has this nonce, 2 when it waits for a flush, else 0 (caller holds lock). */
static int claimed(uint64_t nonce) {
  for (uint64_t i = 0; i < capacity; i++)
    if (slot(i)[S_OWNER] == nonce) return 1;
  for (size_t p = 0; p < n_pending; p++)
    if (pending[p].nonce == nonce) return 2;
  return 0;
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
  (void)vcpu_index, (void)a5, (void)a6, (void)a7, (void)a8;
  if (num != HYPERCALL_NR) return;
  if (getpid() != owner_pid) return; /* a fork()ed child before its exec: not our table */
  if (a1 == OP_REGISTER) {
    uint64_t start = a2, end = a3, nonce = a4;
    if (start >= end || nonce == 0 || nonce >= (1ull << 63)) return;
    pthread_mutex_lock(&lock);
    /* A guest that asks again (it polls, then repeats the request) gets no second slot. */
    int state = claimed(nonce);
    if (state == 0 && claim_without_flush(start, end, nonce)) state = 1;
    if (state == 0 && n_pending < MAX_PENDING) {
      pending[n_pending++] = (struct request){start, end, nonce};
      state = 2;
    }
    pthread_mutex_unlock(&lock);
    if (state != 2) return; /* done, or the queue is full: the guest times out and says so */
    __atomic_add_fetch(&shared[H_FLUSHES], 1, __ATOMIC_RELAXED);
    qemu_plugin_reset(id, on_reset);
  } else if (a1 == OP_UNREGISTER) {
    uint64_t index = a2, nonce = a3;
    if (index >= capacity || nonce == 0) return;
    pthread_mutex_lock(&lock);
    uint64_t *s = slot(index);
    if (s[S_OWNER] == nonce) {
      /* Blocks translated with this counter may still run; the slot is only reused after
       * the flush of a later REGISTER, so they cannot add to someone else's count. */
      __atomic_store_n(&s[S_OWNER], RETIRED, __ATOMIC_RELEASE);
      rebuild_ranges();
      __atomic_add_fetch(&shared[H_GENERATION], 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lock);
  }
}

static void on_exit_cb(qemu_plugin_id_t id, void *userdata) {
  (void)id, (void)userdata;
  if (getpid() == owner_pid) unlink(file_path);
}

static void register_callbacks(void) {
  qemu_plugin_register_vcpu_tb_trans_cb(plugin_id, on_tb_trans);
  qemu_plugin_register_vcpu_syscall_cb(plugin_id, on_syscall);
  qemu_plugin_register_atexit_cb(plugin_id, on_exit_cb, NULL);
}

static int parse_args(int argc, char **argv, const char **dir) {
  *dir = NULL;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "dir=", 4) == 0) {
      *dir = argv[i] + 4;
    } else if (strncmp(argv[i], "capacity=", 9) == 0) {
      char *endp = NULL;
      unsigned long long c = strtoull(argv[i] + 9, &endp, 10);
      if (*endp != 0 || c == 0 || c > MAX_CAPACITY) {
        fail_message("capacity= must be a number from 1 to 65536");
        return -1;
      }
      capacity = c;
    } else {
      char text[4200];
      snprintf(text, sizeof text, "unknown argument '%s' (expected dir=DIR[,capacity=N])", argv[i]);
      fail_message(text);
      return -1;
    }
  }
  if (*dir == NULL || **dir == 0) {
    fail_message("missing dir=DIR (the directory of the counts file)");
    return -1;
  }
  return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  const char *dir;
  if (info->system_emulation) {
    fail_message("runs in user-mode emulation (qemu-aarch64) only");
    return -1;
  }
  if (parse_args(argc, argv, &dir) != 0) return -1;
  plugin_id = id;
  owner_pid = getpid();
  if ((size_t)snprintf(file_path, sizeof file_path, "%s/%d.insn", dir, (int)owner_pid) >= sizeof file_path) {
    fail_message("dir= is too long");
    return -1;
  }
  shared_bytes = 8 * (HEADER_WORDS + SLOT_WORDS * capacity);
  int fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)shared_bytes) != 0) {
    char text[4200];
    snprintf(text, sizeof text, "cannot create %s: %s", file_path, strerror(errno));
    fail_message(text);
    if (fd >= 0) close(fd);
    return -1;
  }
  shared = mmap(NULL, shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  ranges = calloc(capacity, sizeof *ranges);
  pages = calloc(PAGES_CAP, sizeof *pages);
  if (shared == MAP_FAILED || ranges == NULL || pages == NULL) {
    fail_message("cannot map the counts file");
    return -1;
  }
  shared[H_VERSION] = LAYOUT_VERSION;
  shared[H_PID] = (uint64_t)owner_pid;
  shared[H_CAPACITY] = capacity;
  shared[H_HYPERCALL] = HYPERCALL_NR;
  /* The magic last: a reader that sees it sees a complete header. */
  __atomic_store_n(&shared[H_MAGIC], MAGIC, __ATOMIC_RELEASE);
  register_callbacks();
  return 0;
}
