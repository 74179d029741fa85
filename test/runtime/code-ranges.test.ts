import { describe, expect, it } from 'vitest';
import { NO_BPF_PC, codeRangeAt, liveCodeRanges, processCodeRangeAt, registerCodeRange } from '../../src/runtime/index.js';

/**
 * The code-range model (src/runtime/code-ranges.ts): where generated code lies and which BPF
 * pc each native instruction came from. Registration with the addon is exercised on this host
 * too (the registry exists everywhere; only the signal handler is arm64-only).
 */
describe('code ranges', () => {
  const base = 0x7000_1000_0000n;

  it('map native pcs back to BPF pcs, and are found by address until unregistered', () => {
    const origins = Int32Array.from([NO_BPF_PC, 0, 0, 1, 2, 2, 2, NO_BPF_PC]);
    const r = registerCodeRange({ name: 'p', kind: 'bpf-program', start: base, size: 32, origins });
    try {
      expect([r.start, r.end, r.entry]).toEqual([base, base + 32n, base]);
      expect(r.bpfPcAt(base)).toBe(NO_BPF_PC);
      expect(r.bpfPcAt(base + 4n)).toBe(0);
      expect(r.bpfPcAt(base + 15n)).toBe(1); // any byte of the instruction
      expect(r.bpfPcAt(base + 24n)).toBe(2);
      expect(r.bpfPcAt(base + 32n)).toBeUndefined();
      expect(codeRangeAt(base + 20n)).toBe(r);
      expect(liveCodeRanges()).toContain(r);
      // the addon knows it too, as a program of this thread
      expect(processCodeRangeAt(base + 8n)).toEqual({ start: base, end: base + 32n, containable: false, program: true, sameThread: true });
    } finally {
      r.unregister();
    }
    expect(r.live).toBe(false);
    expect(codeRangeAt(base + 20n)).toBeUndefined();
    expect(processCodeRangeAt(base + 8n)).toBeUndefined();
    r.unregister(); // idempotent
  });

  it('ranges with containment are registered with the addon with their landing', () => {
    const r = registerCodeRange({
      name: 'contained',
      kind: 'bpf-program',
      start: base,
      size: 64,
      containment: { landing: base + 48n, exclude: [[base, base + 8n]] },
    });
    try {
      expect(processCodeRangeAt(base)).toMatchObject({ containable: true, program: true });
      expect(r.bpfPcAt(base + 4n)).toBe(NO_BPF_PC); // no origins: nothing came from BPF
    } finally {
      r.unregister();
    }
  });

  it('refuses overlaps, bad sizes and origin tables of the wrong length', () => {
    const r = registerCodeRange({ name: 'a', kind: 'stub', start: base, size: 16 });
    try {
      expect(() => registerCodeRange({ name: 'b', kind: 'stub', start: base + 12n, size: 16 })).toThrow(/code range 'b' overlaps 'a'/);
      expect(processCodeRangeAt(base)).toBeUndefined(); // stubs stay in this thread's registry
    } finally {
      r.unregister();
    }
    expect(() => registerCodeRange({ name: 'c', kind: 'stub', start: base, size: 6 })).toThrow(/not a positive multiple of 4/);
    expect(() => registerCodeRange({ name: 'd', kind: 'bpf-program', start: base, size: 8, origins: new Int32Array(3) })).toThrow(/3 origins for 2 instructions/);
  });
});
