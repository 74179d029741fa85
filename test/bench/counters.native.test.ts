import { describe, expect, it } from 'vitest';
import { CounterSet, PMU_EVENTS } from '../../src/bench/index.js';
import { openPerfCounters } from '../../src/runtime/index.js';

// The addon's perf_event_open in the arm64 process. Under qemu-user there is none (ENOSYS)
// and the bench says so; on arm64 hardware each event is counted or refused with a reason.
const emulated = process.env.A64JIT_EMULATED === '1';

describe('hardware counters in the arm64 process', () => {
  it.runIf(emulated)('are absent under qemu-aarch64 (ENOSYS), and the bench says so in those words', () => {
    const c = openPerfCounters([...PMU_EVENTS]);
    expect(c.status.map((s) => [s.name, s.ok, s.errno])).toEqual(PMU_EVENTS.map((e) => [e, false, 38]));
    c.close();
    const set = CounterSet.open({ emulated: true });
    expect(set.available).toBe(false);
    expect(set.summary()).toBe(`hardware counters: ${PMU_EVENTS.join(', ')}: not present under qemu-aarch64: qemu-user does not emulate perf_event_open (the exact instruction counts stand in for it)`);
  });

  it.runIf(!emulated)('are counted or refused with a reason on arm64 hardware', () => {
    const set = CounterSet.open({ emulated: false });
    for (const s of set.status) expect(s.ok || s.problem !== undefined).toBe(true);
    if (set.available) {
      let x = 0;
      const figures = set.perRun((n) => {
        for (let i = 0; i < n * 1000; i++) x += i;
      }, 100);
      expect(x).toBeGreaterThan(0);
      expect(Object.values(figures.perRun).some((v) => v !== null && v > 0)).toBe(true);
    }
    set.close();
  });
});
