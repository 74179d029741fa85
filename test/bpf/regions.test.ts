import { describe, expect, it } from 'vitest';
import {
  BpfBudgetError,
  BpfRuntimeError,
  BpfSandboxError,
  MEM_BASE,
  Memory,
  assembleUbpf,
  describeNearest,
  findRegion,
  interpret,
  nearestRegion,
  type Region,
} from '../../src/bpf/index.js';

const mem: Region = { kind: 'mem', name: 'mem', base: 0x1000n, size: 16, writable: true };
const ro: Region = { kind: 'data', name: '.rodata', base: 0x4000n, size: 8, writable: false };

describe('the regions model', () => {
  it('finds the region holding a whole access, never one that holds only part of it', () => {
    expect(findRegion([mem, ro], 0x1000n, 16)).toBe(mem);
    expect(findRegion([mem, ro], 0x100fn, 1)).toBe(mem);
    expect(findRegion([mem, ro], 0x100fn, 2)).toBeUndefined();
    expect(findRegion([mem, ro], 0xfffn, 1)).toBeUndefined();
    expect(findRegion([mem, ro], 0x4004n, 4)).toBe(ro);
  });

  it('names the nearest region and the distance to it', () => {
    expect(nearestRegion([mem, ro], 0x1010n)).toEqual({ region: mem, where: 'past', bytes: 0n });
    expect(nearestRegion([mem, ro], 0x3ff0n)).toEqual({ region: ro, where: 'below', bytes: 16n });
    expect(nearestRegion([mem, ro], 0x1004n)).toEqual({ region: mem, where: 'inside', bytes: 4n });
    expect(nearestRegion([], 0n)).toBeUndefined();
    expect(describeNearest([mem, ro], 0x1018n)).toBe("8 bytes past the end of mem 'mem' [0x1000, +16)");
    expect(describeNearest([mem, ro], 0x3ffcn)).toBe("4 bytes below data '.rodata' [0x4000, +8) read-only");
    expect(describeNearest([], 0x10n)).toBe('no region is mapped');
  });

  it('BpfSandboxError names pc, access, size, address and the nearest region', () => {
    const e = new BpfSandboxError(7, 'write', 8, 0x1010n, [mem, ro]);
    expect(e).toBeInstanceOf(BpfRuntimeError);
    expect(e.message).toBe("pc 7: out-of-bounds write of 8 bytes at address 0x1010 (0 bytes past the end of mem 'mem' [0x1000, +16))");
    expect([e.pc, e.access, e.size, e.address, e.nearest]).toEqual([7, 'write', 8, 0x1010n, mem]);
    const r = new BpfSandboxError(3, 'write', 4, 0x4000n, [mem, ro], 'read-only');
    expect(r.message).toBe("pc 3: write of 4 bytes to read-only region '.rodata' at 0x4000");
    expect(r.nearest).toBe(ro);
  });
});

describe('the interpreter reports through the model', () => {
  it('out-of-bounds accesses are BpfSandboxErrors with kinds on the regions', () => {
    let caught: unknown;
    try {
      interpret(assembleUbpf('ldxdw %r0, [%r1+12]\nexit'), { mem: new Uint8Array(16) });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(BpfSandboxError);
    const e = caught as BpfSandboxError;
    expect([e.pc, e.access, e.size, e.address]).toEqual([0, 'read', 8, MEM_BASE + 12n]);
    expect(e.nearest).toMatchObject({ kind: 'mem', name: 'mem', base: MEM_BASE, size: 16 });
  });

  it('stack frames are regions of kind stack; a write below the frame names it', () => {
    let caught: unknown;
    try {
      interpret(assembleUbpf('mov %r1, %r10\nstxdw [%r1-520], %r1\nexit'));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(BpfSandboxError);
    expect((caught as BpfSandboxError).nearest).toMatchObject({ kind: 'stack', name: 'stack frame 0', size: 512 });
    expect((caught as Error).message).toMatch(/8 bytes below stack 'stack frame 0'/);
  });

  it('a region added with a kind keeps it', () => {
    const memory = new Memory();
    const r = memory.addRegion('flows', new Uint8Array(8), { kind: 'map_value' });
    expect([r.kind, r.size]).toEqual(['map_value', 8]);
  });

  it('the budget error is typed and counts instructions', () => {
    let caught: unknown;
    try {
      interpret(assembleUbpf('ja -1\nexit'), { maxInstructions: 50 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(BpfBudgetError);
    expect([(caught as BpfBudgetError).budget, (caught as BpfBudgetError).counts, (caught as BpfBudgetError).pc]).toEqual([50, 'instructions', 0]);
  });
});
