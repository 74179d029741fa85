import { addon, type NativeOutputMapHandle } from '../addon.js';
import { bufferAddress } from '../addon.js';
import type { MapDescription } from '../../bpf/index.js';
import { BpfMap, type MapOptions, type MapRegion } from './map.js';

/**
 * Maps whose records go to JavaScript: BPF_MAP_TYPE_RINGBUF and BPF_MAP_TYPE_PERF_EVENT_ARRAY.
 * Records stay in native memory until taken: consume() takes them now; a callback
 * (onRecord) or an async iterator (records()) gets them whenever poll() runs, which the runtime
 * does after every program run.
 */

export interface PerfRecord {
  /** the perf buffer (CPU index) the program wrote to */
  readonly cpu: number;
  readonly data: Uint8Array;
}

abstract class OutputMap<R> extends BpfMap {
  protected readonly handle: NativeOutputMapHandle;
  readonly #listeners = new Set<(record: R) => void>();
  readonly #waiting: { queue: R[]; wake?: () => void; done: boolean }[] = [];

  protected constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
    this.handle = new (addon().NativeOutputMap)({
      type: description.type,
      maxEntries: description.maxEntries,
      ...(options.perfCapacity !== undefined ? { perfCapacity: options.perfCapacity } : {}),
    });
  }

  get address(): bigint {
    return this.handle.address;
  }

  /** take every record written so far (oldest first) */
  abstract consume(max?: number): R[];

  /** call `fn` with each record from now on (after each run); returns the unsubscribe function */
  onRecord(fn: (record: R) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** an async iterator of records, fed after each run; ends when the map is closed */
  records(): AsyncIterableIterator<R> {
    const sub: { queue: R[]; wake?: () => void; done: boolean } = { queue: [], done: false };
    this.#waiting.push(sub);
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<R>> {
        for (;;) {
          const r = sub.queue.shift();
          if (r !== undefined) return { value: r, done: false };
          if (sub.done || self.closed) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            sub.wake = resolve;
          });
        }
      },
      async return(): Promise<IteratorResult<R>> {
        sub.done = true;
        self.#waiting.splice(self.#waiting.indexOf(sub), 1);
        return { value: undefined, done: true };
      },
    };
  }

  /** deliver new records to the subscribers; with none, records stay until consume() */
  poll(): number {
    if (this.#listeners.size === 0 && this.#waiting.length === 0) return 0;
    const records = this.consume();
    for (const r of records) {
      for (const fn of this.#listeners) fn(r);
      for (const w of this.#waiting) w.queue.push(r);
    }
    for (const w of this.#waiting) {
      const wake = w.wake;
      w.wake = undefined;
      wake?.();
    }
    return records.length;
  }

  protected release(): void {
    for (const w of this.#waiting) {
      w.done = true;
      w.wake?.();
    }
    this.handle.close();
  }
}

/** BPF_MAP_TYPE_RINGBUF: variable-size records (reserve/submit/discard, output). */
export class RingbufMap extends OutputMap<Uint8Array> {
  readonly #data: Uint8Array;

  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
    this.#data = new Uint8Array(this.handle.data()!);
  }

  /** the data area, writable: a program writes the records bpf_ringbuf_reserve gave it */
  regions(): readonly MapRegion[] {
    return [{ name: `ringbuf '${this.name}' data`, bytes: this.#data, base: bufferAddress(this.#data), writable: true }];
  }

  consume(max?: number): Uint8Array[] {
    return (this.handle.consume(max) as Buffer[]).map((b) => new Uint8Array(b));
  }

  /** bytes written and not consumed yet (BPF_RB_AVAIL_DATA) */
  get available(): bigint {
    const p = this.handle.positions() as { consumer: bigint; producer: bigint };
    return p.producer - p.consumer;
  }
}

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY: one buffer per CPU index, every one open. */
export class PerfEventArrayMap extends OutputMap<PerfRecord> {
  constructor(description: MapDescription, options: MapOptions) {
    super(description, options);
  }

  regions(): readonly MapRegion[] {
    return [];
  }

  consume(max?: number): PerfRecord[] {
    return (this.handle.consume(max) as { cpu: number; data: Buffer }[]).map((r) => ({ cpu: r.cpu, data: new Uint8Array(r.data) }));
  }

  /** records dropped because the buffer was full (the program got -ENOSPC) */
  get lost(): number {
    return this.handle.lost();
  }
}
