import type { MapDescription } from '../../bpf/index.js';
import type { MapOptions } from './map.js';
import { KeyedMap } from './keyed.js';

/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH: preallocated elements in
 * native memory, chained buckets, an exact least-recently-used order for the LRU types (a BPF
 * lookup or update makes an element the most recent; user-space lookups do not, as in the
 * kernel). A full hash map refuses new keys with -E2BIG; a full LRU map evicts.
 */
export class HashMap extends KeyedMap {
  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
  }
}

/**
 * BPF_MAP_TYPE_LPM_TRIE: keys are struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[]; };
 * a lookup finds the longest stored prefix matching the key's first prefixlen bits. A full
 * trie refuses new prefixes with -ENOSPC. Iteration is in storage order.
 */
export class LpmTrieMap extends KeyedMap {
  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
  }

  /** An LPM key: prefix length (host order) and the address bytes. */
  static key(prefixLength: number, data: readonly number[] | Uint8Array, keySize = 4 + data.length): Uint8Array {
    const k = new Uint8Array(keySize);
    new DataView(k.buffer).setUint32(0, prefixLength, true);
    k.set(data, 4);
    return k;
  }
}
