import { mapTypeInfo, percpuSlotSize, type MapDescription, type MapTypeInfo } from '../../bpf/index.js';
import { BpfMapOpError } from './errors.js';

/**
 * What every map storage offers: its description, the address BPF programs get for it
 * (LDDW src 1), the memory a program may reach through it (for the interpreter's address
 * space, at the same addresses JIT code uses), and key/value access from JavaScript with
 * Uint8Array keys and values, as the bpf() syscall gives them (per-CPU values: every CPU's
 * slot, each rounded up to 8 bytes).
 */

/** Memory a program reaches through a map: mapped into the interpreter at its real address. */
export interface MapRegion {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly base: bigint;
  readonly writable: boolean;
  /**
   * Values `stride` bytes apart of which `elementSize` bytes each are the value (the rest is
   * padding): a strided region (src/bpf/regions.ts), so that an access may not cross from
   * one value into the next or into padding.
   */
  readonly stride?: number;
  readonly elementSize?: number;
}

export interface MapOptions {
  /** CPUs of per-CPU maps (default: the host's) */
  readonly cpus: number;
  /** perf event arrays: bytes of records kept until they are consumed (default 4 MiB) */
  readonly perfCapacity?: number;
}

export abstract class BpfMap {
  readonly info: MapTypeInfo;
  readonly cpus: number;
  #closed = false;

  protected constructor(
    readonly description: MapDescription,
    options: MapOptions,
  ) {
    this.info = mapTypeInfo(description.type)!;
    this.cpus = this.info.percpu ? options.cpus : 1;
  }

  get name(): string {
    return this.description.name;
  }

  /** the map's address as programs see it */
  abstract get address(): bigint;

  /** memory a program may reach in the map (values, ring data) */
  abstract regions(): readonly MapRegion[];

  /** bytes of one user-space value: value_size, or for per-CPU maps round_up(value_size, 8) * cpus */
  get userValueSize(): number {
    return this.info.percpu ? percpuSlotSize(this.description.valueSize) * this.cpus : this.description.valueSize;
  }

  /** the value for `key` (a copy), or undefined */
  lookup(key: Uint8Array): Uint8Array | undefined {
    void key;
    return this.unsupported('lookup');
  }

  /** every CPU's value for `key` (per-CPU maps), or undefined */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    const all = this.lookup(key);
    if (all === undefined) return undefined;
    if (!this.info.percpu) return [all];
    const slot = percpuSlotSize(this.description.valueSize);
    return Array.from({ length: this.cpus }, (_, c) => all.slice(c * slot, c * slot + this.description.valueSize));
  }

  /** set `key` (flags: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2); throws BpfMapOpError */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    void key;
    void value;
    void flags;
    this.unsupported('update');
  }

  /** remove `key`; false when it was not there */
  delete(key: Uint8Array): boolean {
    void key;
    return this.unsupported('delete');
  }

  /** the key after `key` (undefined: the first), or undefined at the end */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    void key;
    return this.unsupported('iterate');
  }

  *keys(): IterableIterator<Uint8Array> {
    const seen = new Set<string>();
    for (let k = this.nextKey(); k !== undefined; k = this.nextKey(k)) {
      const id = Buffer.from(k).toString('hex');
      if (seen.has(id)) return; // a concurrent change restarted the walk: stop rather than loop
      seen.add(id);
      yield k;
    }
  }

  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v !== undefined) yield [k, v];
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
  }

  protected abstract release(): void;

  protected check(op: string, errno: number): void {
    if (errno < 0) throw new BpfMapOpError(this.name, op, errno);
  }

  protected sized(what: string, bytes: Uint8Array, size: number): Uint8Array {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`map '${this.name}': ${what} must be a Uint8Array`);
    if (bytes.length !== size) throw new RangeError(`map '${this.name}': ${what} must be ${size} bytes, is ${bytes.length}`);
    return bytes;
  }

  protected unsupported(op: string): never {
    throw new BpfMapOpError(this.name, op, -95);
  }
}
