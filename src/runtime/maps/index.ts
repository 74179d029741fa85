/**
 * Map storage, one file per map family: native memory from the addon (native/maps.cc,
 * native/output-maps.cc) that JIT code and the native map helpers reach directly, with
 * JavaScript access to keys and values. Imports src/bpf models and the addon only.
 */
import { availableParallelism } from 'node:os';
import { BpfMapError, MAX_CPUS, checkMapDescription, mapTypeInfo, type MapDescription } from '../../bpf/index.js';
import { hostInfo } from '../addon.js';
import { ArrayMap } from './array.js';
import { HashMap, LpmTrieMap } from './hash.js';
import { checkNativeLayout } from './layout.js';
import type { BpfMap, MapOptions } from './map.js';
import { PerfEventArrayMap, RingbufMap } from './output.js';
import { QueueStackMap } from './queue.js';
import { MapOfMaps, ProgArrayMap } from './references.js';

/** The CPU count per-CPU maps default to: the host's. */
export function defaultCpuCount(): number {
  return Math.min(MAX_CPUS, availableParallelism());
}

/**
 * Create the storage for a map description, after the kernel's creation checks
 * (src/bpf/maps.ts: a BpfMapError naming the map for anything it would refuse).
 */
export function createMap(description: MapDescription, options: Partial<MapOptions> = {}): BpfMap {
  const cpus = options.cpus ?? defaultCpuCount();
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) throw new BpfMapError(description.name, `the CPU count ${cpus} is outside 1..${MAX_CPUS}`);
  checkMapDescription(description, { pageSize: hostInfo().pageSize, cpus });
  checkNativeLayout();
  const opts: MapOptions = { cpus, ...(options.perfCapacity !== undefined ? { perfCapacity: options.perfCapacity } : {}) };
  switch (mapTypeInfo(description.type)!.family) {
    case 'array':
      return new ArrayMap(description, opts);
    case 'hash':
    case 'lru_hash':
      return new HashMap(description, opts);
    case 'lpm_trie':
      return new LpmTrieMap(description, opts);
    case 'queue_stack':
      return new QueueStackMap(description, opts);
    case 'ringbuf':
      return new RingbufMap(description, opts);
    case 'perf_event_array':
      return new PerfEventArrayMap(description, opts);
    case 'prog_array':
      return new ProgArrayMap(description, opts);
    case 'map_in_map':
      return new MapOfMaps(description, opts);
    default:
      throw new BpfMapError(description.name, `map type ${description.type} is not supported`, 'ENOTSUPP');
  }
}

export { BpfMap, type MapRegion, type MapOptions } from './map.js';
export { ArrayMap, indexKey } from './array.js';
export { HashMap, LpmTrieMap } from './hash.js';
export { QueueStackMap } from './queue.js';
export { RingbufMap, PerfEventArrayMap, type PerfRecord } from './output.js';
export { ProgArrayMap, MapOfMaps, type TailCallTarget } from './references.js';
export { KeyedMap } from './keyed.js';
export { BpfMapOpError, errnoName } from './errors.js';
export { MAP_HEADER_SIZE, MAP_MAX_ENTRIES, MAP_STORE, MAP_INLINE_STORAGE, checkNativeLayout } from './layout.js';
