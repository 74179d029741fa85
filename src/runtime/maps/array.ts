import { percpuSlotSize, type ArrayInline, type MapDescription } from '../../bpf/index.js';
import { MAP_INLINE_STORAGE } from './layout.js';
import type { MapOptions } from './map.js';
import { KeyedMap } from './keyed.js';

/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY: max_entries values indexed by a u32 key,
 * stored inline after the map header, each round_up(value_size, 8) bytes (times the CPU count
 * for per-CPU arrays), so JIT code can look them up inline (array_map_gen_lookup).
 */
export class ArrayMap extends KeyedMap {
  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
  }

  /** the inline-lookup layout for the fixups; per-CPU arrays are looked up natively */
  inlineLayout(): ArrayInline | undefined {
    if (this.info.percpu) return undefined;
    return { valuesOffset: MAP_INLINE_STORAGE, elemSize: percpuSlotSize(this.description.valueSize), maxEntries: this.description.maxEntries };
  }

  /** the value at `index` (a copy) */
  at(index: number): Uint8Array | undefined {
    return this.lookup(indexKey(index));
  }

  set(index: number, value: Uint8Array): void {
    this.update(indexKey(index), value);
  }
}

/** A u32 key, little-endian. */
export function indexKey(index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) throw new RangeError(`array index ${index} is not a u32`);
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, index, true);
  return k;
}
