import type { MapDescription } from '../../bpf/index.js';
import { BpfMapError } from '../../bpf/index.js';
import { indexKey } from './array.js';
import { KeyedMap } from './keyed.js';
import type { BpfMap, MapOptions, MapRegion } from './map.js';

/**
 * Maps whose values are references, set from JavaScript only: BPF_MAP_TYPE_PROG_ARRAY
 * (programs for bpf_tail_call) and BPF_MAP_TYPE_ARRAY_OF_MAPS / HASH_OF_MAPS (maps like the
 * inner map). Natively each slot holds an 8-byte address: a program's tail-call descriptor,
 * or the inner map itself (what a BPF lookup of a map of maps returns). The JavaScript side
 * keeps every referenced object alive while it is in the map.
 */

/** What a prog array slot points at: a loaded program's descriptor (src/object). */
export interface TailCallTarget {
  /** address of the program's descriptor: JIT tail-call entry at +0, program id at +8 */
  readonly descriptor: bigint;
  readonly name: string;
  /** the program type, which must match the prog array owner's */
  readonly programType: string;
}

const addressBytes = (a: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, a, true);
  return b;
};

export class ProgArrayMap extends KeyedMap {
  readonly #targets = new Map<number, TailCallTarget>();

  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
  }

  /** no program reads a prog array's memory: tail calls go through JIT code or the interpreter */
  override regions(): readonly MapRegion[] {
    return [];
  }

  override get userValueSize(): number {
    return 8;
  }

  set(index: number, target: TailCallTarget): void {
    this.update(indexKey(index), addressBytes(target.descriptor));
    this.#targets.set(index, target);
  }

  get(index: number): TailCallTarget | undefined {
    return this.#targets.get(index);
  }

  remove(index: number): boolean {
    this.#targets.delete(index);
    return this.delete(indexKey(index));
  }

  /** the program in each slot */
  slots(): ReadonlyMap<number, TailCallTarget> {
    return this.#targets;
  }
}

export class MapOfMaps extends KeyedMap {
  readonly #inner = new Map<string, BpfMap>();

  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
  }

  override regions(): readonly MapRegion[] {
    return [];
  }

  override get userValueSize(): number {
    return 8;
  }

  /** put `map` at `key`; it must match the inner map template (type, key/value size, flags, max_entries) */
  setMap(key: Uint8Array, map: BpfMap, flags = 0): void {
    const t = this.description.inner!;
    const d = map.description;
    const differs = t.type !== d.type ? 'type' : t.keySize !== d.keySize ? 'key_size' : t.valueSize !== d.valueSize ? 'value_size' : t.flags !== d.flags ? 'map_flags' : t.maxEntries !== d.maxEntries ? 'max_entries' : undefined;
    if (differs !== undefined) throw new BpfMapError(this.name, `map '${d.name}' does not match the inner map '${t.name}' (${differs} differs)`);
    this.update(key, addressBytes(map.address), flags);
    this.#inner.set(Buffer.from(key).toString('hex'), map);
  }

  getMap(key: Uint8Array): BpfMap | undefined {
    return this.#inner.get(Buffer.from(key).toString('hex'));
  }

  removeMap(key: Uint8Array): boolean {
    this.#inner.delete(Buffer.from(key).toString('hex'));
    return this.delete(key);
  }

  /** the maps referenced now */
  innerMaps(): IterableIterator<BpfMap> {
    return this.#inner.values();
  }
}
