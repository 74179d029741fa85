/**
 * BPF maps as data: the map types with their Linux numbers (enum bpf_map_type in
 * include/uapi/linux/bpf.h), what each type accepts (key/value sizes, flags, the helpers that
 * may use it and what a lookup from BPF returns), the description of one map (what
 * BPF_MAP_CREATE takes), and the kernel's creation checks (each *_map_alloc_check), failing
 * with a BpfMapError that names the map.
 *
 * Pure data and checks: the verifier and the JIT need only the description; map storage is
 * src/runtime/maps with native/.
 */

/** BPF_MAP_TYPE_* */
export const MapType = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
  CGRP_STORAGE: 32,
  ARENA: 33,
} as const;
export type MapTypeId = (typeof MapType)[keyof typeof MapType];

/** BPF_MAP_CREATE map_flags. */
export const MapFlag = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
} as const;

/** BPF_F_ACCESS_MASK: the access flags every map type accepts. */
const ACCESS_MASK = MapFlag.RDONLY | MapFlag.WRONLY | MapFlag.RDONLY_PROG | MapFlag.WRONLY_PROG;

/** Flags of map_update_elem (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK). */
export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, LOCK: 4 } as const;

/** perf_event_output flags: BPF_F_INDEX_MASK selects the CPU, BPF_F_CURRENT_CPU the running one. */
export const BPF_F_INDEX_MASK = 0xffff_ffffn;
export const BPF_F_CURRENT_CPU = 0xffff_ffffn;

/** ringbuf flags and bpf_ringbuf_query selectors. */
export const RingbufFlag = { NO_WAKEUP: 1, FORCE_WAKEUP: 2 } as const;
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

/** MAX_BPF_STACK: hash keys live on the BPF stack, so they are at most this big. */
export const MAX_HASH_KEY_SIZE = 512;
/** KMALLOC_MAX_SIZE on 4 KiB-page kernels: the largest array/queue value. */
export const MAX_VALUE_SIZE = 1 << 22;
/** PCPU_MIN_UNIT_SIZE: a per-CPU value, rounded up to 8, is at most this big. */
export const MAX_PERCPU_VALUE_SIZE = 32 * 1024;
/** LPM trie keys: struct bpf_lpm_trie_key_u8 (u32 prefixlen) + 1..256 data bytes. */
export const LPM_KEY_SIZE_MIN = 5;
export const LPM_KEY_SIZE_MAX = 4 + 256;
/** The most CPUs a64jit simulates for per-CPU maps. */
export const MAX_CPUS = 1024;
/** a64jit's own limit on the memory of one map (storage is allocated up front). */
export const MAX_MAP_BYTES = 1 << 30;

/** How a64jit stores a map type (one storage family per src/runtime/maps file). */
export type MapFamily = 'array' | 'hash' | 'lru_hash' | 'lpm_trie' | 'ringbuf' | 'perf_event_array' | 'prog_array' | 'map_in_map' | 'queue_stack';

/** What map_lookup_elem returns when a BPF program calls it on this map type. */
export type LookupResult =
  /** NULL or a pointer to value_size bytes (this CPU's slot for per-CPU maps) */
  | 'value'
  /** NULL or the inner map itself (array/hash of maps) */
  | 'inner_map'
  /** the type has no lookup from BPF (prog arrays, perf event arrays, ringbufs, queues) */
  | 'none';

export interface MapTypeInfo {
  readonly id: number;
  /** libbpf's name (libbpf_bpf_map_type_str) */
  readonly name: string;
  readonly kernelName: string;
  /** how a64jit stores it; undefined: a64jit does not implement this type */
  readonly family?: MapFamily;
  readonly percpu: boolean;
  readonly description: string;
  /** exact key size the type requires, when it requires one */
  readonly keySize?: number;
  /** exact value size the type requires (4: a file descriptor / program / map reference) */
  readonly valueSize?: number;
  /** BPF_MAP_CREATE flags the kernel accepts for the type */
  readonly flags: number;
  /** helper ids a program may call with a map of this type (check_map_func_compatibility) */
  readonly helpers: readonly number[];
  readonly lookup: LookupResult;
}

// Helper ids (helper-protos.ts HELPER_NAMES) the compatibility lists use.
const H = {
  lookup: 1, update: 2, delete: 3, tailCall: 12, perfEventOutput: 25, push: 87, pop: 88, peek: 89,
  ringbufOutput: 130, ringbufReserve: 131, ringbufQuery: 134, forEach: 164, lookupPercpu: 195,
} as const;
const DATA_HELPERS = [H.lookup, H.update, H.delete, H.forEach];
const PERCPU_HELPERS = [...DATA_HELPERS, H.lookupPercpu];

const NUMA = MapFlag.NUMA_NODE;
const ARRAY_FLAGS = NUMA | MapFlag.MMAPABLE | ACCESS_MASK | MapFlag.PRESERVE_ELEMS | MapFlag.INNER_MAP;
const HASH_FLAGS = MapFlag.NO_PREALLOC | MapFlag.NO_COMMON_LRU | NUMA | ACCESS_MASK | MapFlag.ZERO_SEED;

const info = (
  id: number,
  name: string,
  description: string,
  rest: Partial<Omit<MapTypeInfo, 'id' | 'name' | 'kernelName' | 'description'>> = {},
): MapTypeInfo => ({
  id,
  name,
  kernelName: `BPF_MAP_TYPE_${name.toUpperCase()}`,
  description,
  percpu: false,
  flags: 0,
  helpers: [],
  lookup: 'none',
  ...rest,
});

/** Every map type Linux defines, by number. `family` marks the ones a64jit implements. */
export const MAP_TYPES: readonly MapTypeInfo[] = [
  info(0, 'unspec', 'not a map type'),
  info(1, 'hash', 'hash table of key -> value', { family: 'hash', flags: HASH_FLAGS, helpers: DATA_HELPERS, lookup: 'value' }),
  info(2, 'array', 'array of max_entries values indexed by a u32 key, all present from the start', { family: 'array', keySize: 4, flags: ARRAY_FLAGS, helpers: DATA_HELPERS, lookup: 'value' }),
  info(3, 'prog_array', 'programs for bpf_tail_call, indexed by a u32 key', { family: 'prog_array', keySize: 4, valueSize: 4, flags: ARRAY_FLAGS, helpers: [H.tailCall] }),
  info(4, 'perf_event_array', 'per-CPU perf event buffers for bpf_perf_event_output', {
    family: 'perf_event_array', keySize: 4, valueSize: 4, flags: ARRAY_FLAGS, helpers: [H.perfEventOutput],
  }),
  info(5, 'percpu_hash', 'hash table with one value per CPU', { family: 'hash', percpu: true, flags: HASH_FLAGS, helpers: PERCPU_HELPERS, lookup: 'value' }),
  info(6, 'percpu_array', 'array with one value per CPU', { family: 'array', percpu: true, keySize: 4, flags: ARRAY_FLAGS, helpers: PERCPU_HELPERS, lookup: 'value' }),
  info(7, 'stack_trace', 'kernel stack traces'),
  info(8, 'cgroup_array', 'cgroup references'),
  info(9, 'lru_hash', 'hash table that evicts the least recently used element when full', { family: 'lru_hash', flags: HASH_FLAGS, helpers: DATA_HELPERS, lookup: 'value' }),
  info(10, 'lru_percpu_hash', 'LRU hash table with one value per CPU', { family: 'lru_hash', percpu: true, flags: HASH_FLAGS, helpers: PERCPU_HELPERS, lookup: 'value' }),
  info(11, 'lpm_trie', 'longest-prefix-match table keyed by { u32 prefixlen; u8 data[] }', {
    family: 'lpm_trie', flags: MapFlag.NO_PREALLOC | NUMA | ACCESS_MASK, helpers: [H.lookup, H.update, H.delete], lookup: 'value',
  }),
  info(12, 'array_of_maps', 'array of references to maps like the inner map', { family: 'map_in_map', keySize: 4, valueSize: 4, flags: ARRAY_FLAGS, helpers: [H.lookup], lookup: 'inner_map' }),
  info(13, 'hash_of_maps', 'hash table of references to maps like the inner map', { family: 'map_in_map', valueSize: 4, flags: HASH_FLAGS, helpers: [H.lookup], lookup: 'inner_map' }),
  info(14, 'devmap', 'network devices for XDP redirect'),
  info(15, 'sockmap', 'sockets for redirect'),
  info(16, 'cpumap', 'CPUs for XDP redirect'),
  info(17, 'xskmap', 'AF_XDP sockets'),
  info(18, 'sockhash', 'sockets by key'),
  info(19, 'cgroup_storage', 'per-cgroup storage (deprecated)'),
  info(20, 'reuseport_sockarray', 'SO_REUSEPORT sockets'),
  info(21, 'percpu_cgroup_storage', 'per-CPU per-cgroup storage (deprecated)'),
  info(22, 'queue', 'FIFO of values (push, pop, peek)', { family: 'queue_stack', keySize: 0, flags: NUMA | ACCESS_MASK, helpers: [H.push, H.pop, H.peek] }),
  info(23, 'stack', 'LIFO of values (push, pop, peek)', { family: 'queue_stack', keySize: 0, flags: NUMA | ACCESS_MASK, helpers: [H.push, H.pop, H.peek] }),
  info(24, 'sk_storage', 'per-socket storage'),
  info(25, 'devmap_hash', 'network devices by key'),
  info(26, 'struct_ops', 'kernel struct_ops'),
  info(27, 'ringbuf', 'multi-producer ring buffer of variable-size records read by user space', {
    family: 'ringbuf', keySize: 0, valueSize: 0, flags: NUMA, helpers: [H.ringbufOutput, H.ringbufReserve, H.ringbufQuery],
  }),
  info(28, 'inode_storage', 'per-inode storage'),
  info(29, 'task_storage', 'per-task storage'),
  info(30, 'bloom_filter', 'bloom filter'),
  info(31, 'user_ringbuf', 'ring buffer written by user space'),
  info(32, 'cgrp_storage', 'per-cgroup storage'),
  info(33, 'arena', 'memory shared with user space'),
];

export function mapTypeInfo(type: number): MapTypeInfo | undefined {
  return Number.isInteger(type) ? MAP_TYPES[type] : undefined;
}

/** The type with libbpf's name ('hash', 'percpu_array', ...) or its BPF_MAP_TYPE_ name. */
export function mapTypeByName(name: string): MapTypeInfo | undefined {
  const n = name.toLowerCase().replace(/^bpf_map_type_/, '');
  return MAP_TYPES.find((t) => t.name === n && t.id !== 0);
}

/** `hash`, or `type 99` for a number Linux does not define. */
export function mapTypeName(type: number): string {
  return mapTypeInfo(type)?.name ?? `type ${type}`;
}

/** What BPF_MAP_CREATE takes for one map (plus its name and BTF type ids). */
export interface MapDescription {
  readonly name: string;
  /** BPF_MAP_TYPE_* */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** for ringbufs: the data size in bytes */
  readonly maxEntries: number;
  readonly flags: number;
  /** BTF ids (in the object's .BTF) of the key and value types, when the definition gives them */
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  /** array/hash of maps: the template every inner map must match */
  readonly inner?: MapDescription;
  /** map_extra (bloom filters: number of hash functions) */
  readonly mapExtra?: bigint;
}

export type MapErrno = 'EINVAL' | 'E2BIG' | 'ENOTSUPP' | 'ENOMEM';

/** A map definition the kernel (or a64jit) would refuse. */
export class BpfMapError extends Error {
  override readonly name = 'BpfMapError';
  constructor(
    /** the map's name */
    readonly map: string,
    readonly reason: string,
    /** the error BPF_MAP_CREATE would give */
    readonly errno: MapErrno = 'EINVAL',
  ) {
    super(`map '${map}': ${reason}`);
  }
}

export interface MapCheckOptions {
  /** the page size a ringbuf's size must be a multiple of (default 4096) */
  readonly pageSize?: number;
  /** the CPU count per-CPU maps are stored for (default 1), for the memory limit */
  readonly cpus?: number;
}

const isPowerOf2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * The kernel's BPF_MAP_CREATE checks for this description (map_alloc_check of each type, and
 * the inner map rules for map-in-map), then a64jit's memory limit. Throws BpfMapError.
 * Types a64jit does not implement are refused with ENOTSUPP.
 */
export function checkMapDescription(desc: MapDescription, options: MapCheckOptions = {}): void {
  const fail = (reason: string, errno: MapErrno = 'EINVAL'): never => {
    throw new BpfMapError(desc.name, reason, errno);
  };
  const t = mapTypeInfo(desc.type);
  if (t === undefined || t.id === 0) return fail(`unknown map type ${desc.type}`);
  if (t.family === undefined) return fail(`map type ${t.name} (${t.id}) is not supported by a64jit`, 'ENOTSUPP');
  for (const [field, v] of [['key_size', desc.keySize], ['value_size', desc.valueSize], ['max_entries', desc.maxEntries], ['map_flags', desc.flags]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) fail(`${field} ${v} is not a u32`);
  }
  const unknownFlags = desc.flags & ~t.flags;
  if (unknownFlags !== 0) fail(`map_flags 0x${desc.flags.toString(16)} has flags ${t.name} does not accept (0x${unknownFlags.toString(16)})`);
  if ((desc.flags & MapFlag.RDONLY_PROG) !== 0 && (desc.flags & MapFlag.WRONLY_PROG) !== 0) fail('BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together');
  if ((desc.flags & MapFlag.RDONLY) !== 0 && (desc.flags & MapFlag.WRONLY) !== 0) fail('BPF_F_RDONLY and BPF_F_WRONLY together');
  if (desc.maxEntries === 0) fail('max_entries is 0');
  if (t.keySize !== undefined && desc.keySize !== t.keySize) fail(`key_size must be ${t.keySize} for ${t.name}, is ${desc.keySize}`);
  if (t.valueSize !== undefined && desc.valueSize !== t.valueSize) fail(`value_size must be ${t.valueSize} for ${t.name}, is ${desc.valueSize}`);
  if (desc.inner !== undefined && t.family !== 'map_in_map') fail(`${t.name} cannot have an inner map`);

  switch (t.family) {
    case 'array':
      if (desc.valueSize === 0) fail('value_size is 0');
      if (desc.valueSize > MAX_VALUE_SIZE) fail(`value_size ${desc.valueSize} is more than ${MAX_VALUE_SIZE}`, 'E2BIG');
      if (desc.type !== MapType.ARRAY && (desc.flags & MapFlag.MMAPABLE) !== 0) fail('BPF_F_MMAPABLE is only for plain arrays');
      if ((desc.flags & MapFlag.PRESERVE_ELEMS) !== 0) fail('BPF_F_PRESERVE_ELEMS is only for perf event arrays');
      if (t.percpu && (desc.flags & MapFlag.NUMA_NODE) !== 0) fail('BPF_F_NUMA_NODE is not for per-CPU maps');
      break;
    case 'hash':
    case 'lru_hash': {
      const lru = t.family === 'lru_hash';
      if (!lru && (desc.flags & MapFlag.NO_COMMON_LRU) !== 0) fail('BPF_F_NO_COMMON_LRU is only for LRU hash maps');
      if (lru && (desc.flags & MapFlag.NO_PREALLOC) !== 0) fail('LRU hash maps are always preallocated (BPF_F_NO_PREALLOC)', 'ENOTSUPP');
      if (t.percpu && (desc.flags & MapFlag.NUMA_NODE) !== 0) fail('BPF_F_NUMA_NODE is not for per-CPU maps');
      if (desc.keySize === 0) fail('key_size is 0');
      if (desc.valueSize === 0) fail('value_size is 0');
      if (desc.keySize > MAX_HASH_KEY_SIZE) fail(`key_size ${desc.keySize} is more than ${MAX_HASH_KEY_SIZE} (MAX_BPF_STACK)`, 'E2BIG');
      if (desc.valueSize >= MAX_VALUE_SIZE - MAX_HASH_KEY_SIZE) fail(`value_size ${desc.valueSize} is too large`, 'E2BIG');
      break;
    }
    case 'lpm_trie':
      if ((desc.flags & MapFlag.NO_PREALLOC) === 0) fail('LPM tries need BPF_F_NO_PREALLOC');
      if (desc.keySize < LPM_KEY_SIZE_MIN || desc.keySize > LPM_KEY_SIZE_MAX) {
        fail(`key_size ${desc.keySize} is outside ${LPM_KEY_SIZE_MIN}..${LPM_KEY_SIZE_MAX} (u32 prefixlen + 1..256 data bytes)`);
      }
      if (desc.valueSize === 0) fail('value_size is 0');
      if (desc.valueSize > MAX_VALUE_SIZE) fail(`value_size ${desc.valueSize} is more than ${MAX_VALUE_SIZE}`);
      break;
    case 'ringbuf': {
      const page = options.pageSize ?? 4096;
      if (!isPowerOf2(desc.maxEntries) || desc.maxEntries % page !== 0) {
        fail(`ringbuf size (max_entries) ${desc.maxEntries} is not a power-of-2 multiple of the page size ${page}`);
      }
      break;
    }
    case 'queue_stack':
      if (desc.valueSize === 0) fail('value_size is 0');
      if (desc.valueSize > MAX_VALUE_SIZE) fail(`value_size ${desc.valueSize} is more than ${MAX_VALUE_SIZE}`, 'E2BIG');
      break;
    case 'map_in_map': {
      if (desc.type === MapType.HASH_OF_MAPS) {
        if (desc.keySize === 0) fail('key_size is 0');
        if (desc.keySize > MAX_HASH_KEY_SIZE) fail(`key_size ${desc.keySize} is more than ${MAX_HASH_KEY_SIZE}`, 'E2BIG');
      }
      const inner = desc.inner;
      if (inner === undefined) return fail(`${t.name} needs an inner map definition`);
      const it = mapTypeInfo(inner.type);
      if (it?.family === 'map_in_map') fail(`inner map '${inner.name}' is itself a map of maps`);
      if (it?.family === 'prog_array') fail(`inner map '${inner.name}' is a prog_array (not allowed inside a map of maps)`);
      checkMapDescription(inner, options);
      break;
    }
    case 'prog_array':
    case 'perf_event_array':
      if ((desc.flags & MapFlag.MMAPABLE) !== 0) fail('BPF_F_MMAPABLE is only for plain arrays');
      if (desc.type === MapType.PROG_ARRAY && (desc.flags & MapFlag.PRESERVE_ELEMS) !== 0) fail('BPF_F_PRESERVE_ELEMS is only for perf event arrays');
      break;
  }
  if (t.percpu && roundUp8(desc.valueSize) > MAX_PERCPU_VALUE_SIZE) {
    fail(`per-CPU value_size ${desc.valueSize} (rounded up to 8) is more than ${MAX_PERCPU_VALUE_SIZE}`, 'E2BIG');
  }
  const bytes = mapStorageBytes(desc, options.cpus ?? 1);
  if (bytes > MAX_MAP_BYTES) fail(`would need ${bytes} bytes of storage, more than a64jit's limit of ${MAX_MAP_BYTES}`, 'E2BIG');
}

/**
 * Bytes of values a map stores (an estimate of its memory, for the limit): per-CPU values are
 * rounded up to 8 bytes per CPU, as the kernel stores them.
 */
export function mapStorageBytes(desc: MapDescription, cpus: number): number {
  const t = mapTypeInfo(desc.type);
  if (t?.family === 'ringbuf') return desc.maxEntries;
  const value = t?.percpu ? roundUp8(desc.valueSize) * cpus : desc.valueSize;
  const key = t?.family === 'array' || t?.family === 'prog_array' || t?.family === 'perf_event_array' ? 0 : desc.keySize;
  return (key + value) * desc.maxEntries;
}

/** Bytes one CPU's slot of a per-CPU value takes (value_size rounded up to 8). */
export function percpuSlotSize(valueSize: number): number {
  return roundUp8(valueSize);
}

/**
 * What libbpf fills in before BPF_MAP_CREATE: a perf event array without max_entries gets one
 * entry per CPU (libbpf's nr_cpus), as bpf_object__create_map does. Everything else is taken as
 * written (a64jit does not round ringbuf sizes up, it reports them).
 */
export function withLibbpfDefaults(desc: MapDescription, cpus: number): MapDescription {
  if (desc.type === MapType.PERF_EVENT_ARRAY && desc.maxEntries === 0) return { ...desc, maxEntries: cpus };
  return desc;
}
