import { existsSync, readFileSync } from 'node:fs';
import { openPerfCounters, type NativePerfCounters } from '../runtime/index.js';

/**
 * Hardware counters per run, through the addon's perf_event_open group (native/perf.cc): the
 * counts of a batch of N runs and of 2N runs, their difference over N, so what one batch costs
 * besides its runs (the JS -> native call, the loop's entry) drops out, as with instruction
 * counts under qemu. Everything that can go wrong has a sentence: not permitted
 * (perf_event_paranoid), not present (no PMU, a VM, qemu), multiplexed.
 *
 * The addon is reached through `PerfBackend`, the boundary the tests mock.
 */

/** What the bench asks for where the PMU has it. */
export const PMU_EVENTS = ['instructions', 'cycles', 'branch-misses', 'cache-misses'] as const;

export type NativeCounters = NativePerfCounters;

/** The addon boundary: opens a counter group for the calling thread. */
export interface PerfBackend {
  open(names: readonly string[]): NativeCounters;
  /** /proc/sys/kernel/perf_event_paranoid, when readable */
  paranoid(): number | undefined;
}

export const addonPerfBackend: PerfBackend = {
  open: (names) => openPerfCounters(names),
  paranoid: () => {
    const file = '/proc/sys/kernel/perf_event_paranoid';
    if (!existsSync(file)) return undefined;
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) ? n : undefined;
  },
};

const EPERM = 1;
const ENOENT = 2;
const EACCES = 13;
const ENODEV = 19;
const EINVAL = 22;
const ENOSYS = 38;
const EOPNOTSUPP = 95;

/** Why an event could not be opened, as a sentence with the fix when there is one. */
export function counterProblem(errno: number, reason: string, options: { paranoid?: number; emulated: boolean }): string {
  if (errno === EACCES || errno === EPERM) {
    const level = options.paranoid === undefined ? '' : ` (/proc/sys/kernel/perf_event_paranoid is ${options.paranoid})`;
    return `not permitted${level}: counting user space needs perf_event_paranoid 2 or lower (sudo sysctl kernel.perf_event_paranoid=2) or CAP_PERFMON`;
  }
  if (errno === ENOSYS) {
    return options.emulated
      ? 'not present under qemu-aarch64: qemu-user does not emulate perf_event_open (the exact instruction counts stand in for it)'
      : 'not present: this system has no perf_event_open';
  }
  if (errno === ENOENT || errno === ENODEV || errno === EOPNOTSUPP || errno === EINVAL) {
    return 'not present: this CPU (or the virtual machine it runs in) exposes no such PMU event';
  }
  return `cannot be opened: ${reason} (errno ${errno})`;
}

export interface CounterStatus {
  readonly name: string;
  readonly ok: boolean;
  /** why not, when not ok */
  readonly problem?: string;
}

export interface CounterFigures {
  /** per run, by event name; null for an event that was not counted */
  readonly perRun: Readonly<Record<string, number | null>>;
  /** set when the kernel had to multiplex the group (figures are then estimates) */
  readonly note?: string;
}

/** A counter group for per-run figures. */
export class CounterSet {
  readonly status: readonly CounterStatus[];
  readonly #native: NativeCounters | undefined;
  readonly #opened: readonly string[];

  private constructor(status: readonly CounterStatus[], native: NativeCounters | undefined) {
    this.status = status;
    this.#native = native;
    this.#opened = status.filter((s) => s.ok).map((s) => s.name);
  }

  static open(options: { backend?: PerfBackend; events?: readonly string[]; emulated: boolean }): CounterSet {
    const backend = options.backend ?? addonPerfBackend;
    const events = options.events ?? PMU_EVENTS;
    let native: NativeCounters;
    try {
      native = backend.open(events);
    } catch (e) {
      return new CounterSet(
        events.map((name) => ({ name, ok: false, problem: `cannot be opened: ${(e as Error).message}` })),
        undefined,
      );
    }
    const paranoid = backend.paranoid();
    const status = native.status.map((s) => (s.ok ? { name: s.name, ok: true } : { name: s.name, ok: false, problem: counterProblem(s.errno, s.reason, { ...(paranoid === undefined ? {} : { paranoid }), emulated: options.emulated }) }));
    if (!status.some((s) => s.ok)) {
      native.close();
      return new CounterSet(status, undefined);
    }
    return new CounterSet(status, native);
  }

  /** Whether any event is counted. */
  get available(): boolean {
    return this.#native !== undefined;
  }

  /** One line: which events count, and why the others do not. */
  summary(): string {
    const ok = this.status.filter((s) => s.ok).map((s) => s.name);
    const problems = new Map<string, string[]>();
    for (const s of this.status) if (!s.ok) problems.set(s.problem!, [...(problems.get(s.problem!) ?? []), s.name]);
    const parts = [...(ok.length > 0 ? [`counting ${ok.join(', ')}`] : []), ...[...problems].map(([why, names]) => `${names.join(', ')}: ${why}`)];
    return `hardware counters: ${parts.join('; ')}`;
  }

  #count(batch: (n: number) => void, n: number): { values: readonly bigint[]; multiplexed: boolean } {
    const native = this.#native!;
    native.start();
    batch(n);
    const r = native.stop();
    if (r.values.length !== this.#opened.length) throw new Error(`perf counters: ${r.values.length} values for ${this.#opened.length} counters`);
    return { values: r.values, multiplexed: r.running < r.enabled };
  }

  /**
   * Per-run figures of `batch`: counts of batch(n) and batch(2n), (c(2n) - c(n)) / n. Events
   * that are not counted are null.
   */
  perRun(batch: (n: number) => void, n: number): CounterFigures {
    const perRun: Record<string, number | null> = Object.fromEntries(this.status.map((s) => [s.name, null]));
    if (!this.#native) return { perRun };
    const a = this.#count(batch, n);
    const b = this.#count(batch, 2 * n);
    this.#opened.forEach((name, i) => {
      perRun[name] = Number(b.values[i]! - a.values[i]!) / n;
    });
    return a.multiplexed || b.multiplexed ? { perRun, note: 'the kernel multiplexed the counters: the figures are estimates' } : { perRun };
  }

  close(): void {
    this.#native?.close();
  }
}
