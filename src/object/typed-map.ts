import { BtfCodec, percpuSlotSize, type BtfValue } from '../bpf/index.js';
import type { BpfMap } from '../runtime/maps/index.js';

/**
 * A map's keys and values typed through the object's BTF (`__type(key, T)`): struct fields
 * by name, integers as number (up to 32 bits) or bigint, arrays, char arrays as strings.
 * Per-CPU values come back as one value per CPU.
 */
export class TypedMap {
  readonly #codec: BtfCodec;
  readonly #key: number;
  readonly #value: number;

  constructor(
    readonly map: BpfMap,
    codec: BtfCodec,
  ) {
    const d = map.description;
    if (d.btfKeyTypeId === undefined || d.btfValueTypeId === undefined) {
      throw new RangeError(`map '${map.name}' has no BTF key/value types (define it with __type(key, ...) and __type(value, ...))`);
    }
    this.#codec = codec;
    this.#key = d.btfKeyTypeId;
    this.#value = d.btfValueTypeId;
  }

  private keyBytes(key: BtfValue): Uint8Array {
    return this.#codec.encode(this.#key, key);
  }

  get(key: BtfValue): BtfValue | undefined {
    const v = this.map.lookup(this.keyBytes(key));
    return v === undefined ? undefined : this.decodeValue(v);
  }

  set(key: BtfValue, value: BtfValue | readonly BtfValue[], flags = 0): void {
    this.map.update(this.keyBytes(key), this.encodeValue(value), flags);
  }

  delete(key: BtfValue): boolean {
    return this.map.delete(this.keyBytes(key));
  }

  *entries(): IterableIterator<[BtfValue, BtfValue]> {
    for (const [k, v] of this.map.entries()) yield [this.#codec.decode(this.#key, k), this.decodeValue(v)];
  }

  private decodeValue(v: Uint8Array): BtfValue {
    if (!this.map.info.percpu) return this.#codec.decode(this.#value, v);
    const slot = percpuSlotSize(this.map.description.valueSize);
    return Array.from({ length: this.map.cpus }, (_, c) => this.#codec.decode(this.#value, v, c * slot));
  }

  private encodeValue(value: BtfValue | readonly BtfValue[]): Uint8Array {
    if (!this.map.info.percpu) return this.#codec.encode(this.#value, value as BtfValue);
    const slot = percpuSlotSize(this.map.description.valueSize);
    const out = new Uint8Array(slot * this.map.cpus);
    const values = Array.isArray(value) ? (value as readonly BtfValue[]) : Array.from({ length: this.map.cpus }, () => value as BtfValue);
    if (values.length !== this.map.cpus) throw new RangeError(`map '${this.map.name}': a per-CPU value needs ${this.map.cpus} values, got ${values.length}`);
    values.forEach((x, c) => this.#codec.encode(this.#value, x, out, c * slot));
    return out;
  }
}
