import { addon, type NativeMapHandle } from '../addon.js';
import type { MapDescription } from '../../bpf/index.js';
import { BpfMap, type MapOptions, type MapRegion } from './map.js';

/**
 * BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO): values without keys; push fails
 * with -E2BIG when full unless BPF_EXIST asks to drop the oldest element. From user space,
 * lookup is peek and delete-and-lookup is pop (as the syscall's BPF_MAP_LOOKUP_ELEM and
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM do).
 */
export class QueueStackMap extends BpfMap {
  readonly #handle: NativeMapHandle;

  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
    const d = description;
    this.#handle = new (addon().NativeMap)({ type: d.type, keySize: 0, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags, cpus: 1 });
  }

  get address(): bigint {
    return this.#handle.address;
  }

  /** programs never hold pointers into a queue: values are copied in and out */
  regions(): readonly MapRegion[] {
    return [];
  }

  push(value: Uint8Array, flags = 0): void {
    this.check('push', this.#handle.push(this.sized('value', value, this.description.valueSize), flags));
  }

  pop(): Uint8Array | undefined {
    const v = this.#handle.pop(false);
    return v === null ? undefined : new Uint8Array(v);
  }

  peek(): Uint8Array | undefined {
    const v = this.#handle.pop(true);
    return v === null ? undefined : new Uint8Array(v);
  }

  override lookup(key?: Uint8Array): Uint8Array | undefined {
    void key;
    return this.peek();
  }

  /** every value, oldest first for a queue and top first for a stack, without removing them */
  values(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let v = this.pop(); v !== undefined; v = this.pop()) out.push(v);
    const order = this.info.name === 'stack' ? [...out].reverse() : out;
    for (const v of order) this.push(v);
    return out;
  }

  get size(): number {
    return this.#handle.count();
  }

  protected release(): void {
    this.#handle.close();
  }
}
