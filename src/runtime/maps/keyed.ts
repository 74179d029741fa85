import { addon, bufferAddress, type NativeMapHandle } from '../addon.js';
import { percpuSlotSize, type MapDescription } from '../../bpf/index.js';
import { BpfMap, type MapOptions, type MapRegion } from './map.js';

/**
 * Maps with keys and values in native/maps.cc (arrays, hash maps, LPM tries): lookup,
 * update, delete and iteration go to the same native operations the BPF helpers use.
 */
export abstract class KeyedMap extends BpfMap {
  protected readonly handle: NativeMapHandle;
  protected readonly store: Uint8Array;

  protected constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
    const d = description;
    this.handle = new (addon().NativeMap)({ type: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags, cpus: this.cpus });
    this.store = new Uint8Array(this.handle.storage());
  }

  get address(): bigint {
    return this.handle.address;
  }

  /**
   * The values, writable (a program reads and writes them in place): one strided region,
   * value_size bytes every round_up(value_size, 8) (each CPU's slot of a per-CPU value is a
   * value of its own), whatever the family keeps them for (array slots, hash elements).
   */
  regions(): readonly MapRegion[] {
    const stride = percpuSlotSize(this.description.valueSize);
    return [{ name: `map '${this.name}' values`, bytes: this.store, base: this.storeAddress, writable: true, stride, elementSize: this.description.valueSize }];
  }

  /** address of the first value byte */
  get storeAddress(): bigint {
    return bufferAddress(this.store);
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    const at = this.handle.lookup(this.sized('key', key, this.description.keySize));
    return at < 0 ? undefined : this.store.slice(at, at + this.userValueSize);
  }

  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.check('update', this.handle.update(this.sized('key', key, this.description.keySize), this.sized('value', value, this.userValueSize), flags));
  }

  override delete(key: Uint8Array): boolean {
    const r = this.handle.delete(this.sized('key', key, this.description.keySize));
    if (r === -2) return false;
    this.check('delete', r);
    return true;
  }

  override nextKey(key?: Uint8Array): Uint8Array | undefined {
    const next = this.handle.nextKey(key === undefined ? null : this.sized('key', key, this.description.keySize));
    return next === null ? undefined : new Uint8Array(next);
  }

  /** elements present */
  get size(): number {
    return this.handle.count();
  }

  protected release(): void {
    this.handle.close();
  }
}
