import { describe, expect, it } from 'vitest';
import { CounterSet, PMU_EVENTS, counterProblem, type PerfBackend } from '../../src/bench/index.js';
import type { NativeCounters } from '../../src/bench/counters.js';
import { openPerfCounters } from '../../src/runtime/index.js';

// Hardware counters with the addon mocked at its boundary (PerfBackend: what native/perf.cc's
// PerfCounters returns), so the arithmetic and the messages are tested on any host; then the
// real addon on this host's kernel, with the software task clock, which needs no PMU.

/** A counter group whose counts grow by `perRun[event]` per run of the batch, plus `fixed`. */
function mockBackend(perRun: Record<string, number>, options: { failing?: Record<string, number>; multiplex?: boolean; paranoid?: number; fixed?: number } = {}) {
  let running = false;
  let runs = 0;
  const calls: string[] = [];
  const backend: PerfBackend & { calls: string[]; runs: (n: number) => void } = {
    calls,
    runs: (n) => {
      if (running) runs += n;
    },
    paranoid: () => options.paranoid,
    open: (names): NativeCounters => ({
      status: names.map((name) => (options.failing?.[name] ? { name, ok: false, errno: options.failing[name]!, reason: 'mock' } : { name, ok: true, errno: 0, reason: '' })),
      start: () => {
        calls.push('start');
        running = true;
        runs = 0;
      },
      stop: () => {
        calls.push('stop');
        running = false;
        const opened = names.filter((n) => !options.failing?.[n]);
        return { values: opened.map((n) => BigInt(Math.round((perRun[n] ?? 0) * runs + (options.fixed ?? 0)))), enabled: 100n, running: options.multiplex ? 60n : 100n };
      },
      close: () => calls.push('close'),
    }),
  };
  return backend;
}

describe('hardware counters per run (addon mocked)', () => {
  it('are (count(2N) - count(N)) / N: what a batch costs once drops out', () => {
    const backend = mockBackend({ instructions: 1234, cycles: 987.5, 'branch-misses': 0.25, 'cache-misses': 2 }, { fixed: 50_000 });
    const set = CounterSet.open({ backend, emulated: false });
    expect(set.available).toBe(true);
    expect(set.summary()).toBe('hardware counters: counting instructions, cycles, branch-misses, cache-misses');
    const figures = set.perRun((n) => backend.runs(n), 1000);
    expect(figures).toEqual({ perRun: { instructions: 1234, cycles: 987.5, 'branch-misses': 0.25, 'cache-misses': 2 } });
    expect(backend.calls).toEqual(['start', 'stop', 'start', 'stop']);
    set.close();
    expect(backend.calls.at(-1)).toBe('close');
  });

  it('leave out what the PMU lacks, saying why, and count the rest', () => {
    const backend = mockBackend({ instructions: 10, cycles: 20 }, { failing: { 'branch-misses': 2, 'cache-misses': 95 } });
    const set = CounterSet.open({ backend, emulated: false });
    expect(set.perRun((n) => backend.runs(n), 8).perRun).toEqual({ instructions: 10, cycles: 20, 'branch-misses': null, 'cache-misses': null });
    expect(set.summary()).toBe('hardware counters: counting instructions, cycles; branch-misses, cache-misses: not present: this CPU (or the virtual machine it runs in) exposes no such PMU event');
  });

  it('say when the kernel multiplexed them', () => {
    const backend = mockBackend({ instructions: 10, cycles: 20, 'branch-misses': 1, 'cache-misses': 1 }, { multiplex: true });
    expect(CounterSet.open({ backend, emulated: false }).perRun((n) => backend.runs(n), 8).note).toBe('the kernel multiplexed the counters: the figures are estimates');
  });

  it('explain not permitted with the paranoid level and the fix, and absent under qemu; nothing is counted then', () => {
    const denied = CounterSet.open({ backend: mockBackend({}, { failing: Object.fromEntries(PMU_EVENTS.map((e) => [e, 13])), paranoid: 3 }), emulated: false });
    expect(denied.available).toBe(false);
    expect(denied.summary()).toBe(
      'hardware counters: instructions, cycles, branch-misses, cache-misses: not permitted (/proc/sys/kernel/perf_event_paranoid is 3): counting user space needs perf_event_paranoid 2 or lower (sudo sysctl kernel.perf_event_paranoid=2) or CAP_PERFMON',
    );
    expect(denied.perRun(() => {}, 4).perRun).toEqual({ instructions: null, cycles: null, 'branch-misses': null, 'cache-misses': null });
    const qemu = CounterSet.open({ backend: mockBackend({}, { failing: Object.fromEntries(PMU_EVENTS.map((e) => [e, 38])) }), emulated: true });
    expect(qemu.summary()).toMatch(/not present under qemu-aarch64: qemu-user does not emulate perf_event_open/);
    expect(counterProblem(38, '', { emulated: false })).toBe('not present: this system has no perf_event_open');
    expect(counterProblem(1, '', { emulated: false })).toMatch(/^not permitted: counting user space needs/);
    expect(counterProblem(24, 'Too many open files', { emulated: false })).toBe('cannot be opened: Too many open files (errno 24)');
  });

  it('turn an addon that throws into a status, not a crash', () => {
    const set = CounterSet.open({ backend: { open: () => { throw new Error('no addon'); }, paranoid: () => undefined }, emulated: false });
    expect(set.available).toBe(false);
    expect(set.summary()).toBe('hardware counters: instructions, cycles, branch-misses, cache-misses: cannot be opened: no addon');
  });
});

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('the real addon on this host (native/perf.cc)', () => {
  it('counts the task clock across a busy loop, reports each event it cannot open with its errno, and refuses after close', () => {
    const c = openPerfCounters(['task-clock', 'no-such-event']);
    expect(c.status[0]).toEqual({ name: 'task-clock', ok: true, errno: 0, reason: '' });
    expect(c.status[1]).toMatchObject({ name: 'no-such-event', ok: false, errno: 22, reason: 'unknown event name' });
    c.start();
    let x = 0;
    for (let i = 0; i < 3e6; i++) x += i % 7;
    const r = c.stop();
    expect(x).toBeGreaterThan(0);
    expect(r.values).toHaveLength(1);
    expect(r.values[0]!).toBeGreaterThan(100_000n); // ns of CPU time
    expect(r.running).toBeGreaterThan(0n);
    c.close();
    expect(() => c.start()).toThrow(/the counters were closed/);
  });

  it('hardware events: counted where the PMU has them, else an errno (a VM without a PMU: ENOENT)', () => {
    const c = openPerfCounters([...PMU_EVENTS]);
    for (const s of c.status) expect(s.ok || [2, 13, 1, 95, 19].includes(s.errno), `${s.name}: ${s.errno} ${s.reason}`).toBe(true);
    c.close();
  });
});
