import { describe, expect, it } from 'vitest';
import { BpfSandboxError, Memory, describeNearest, regionContains, type Region } from '../../src/bpf/index.js';

/** Strided regions (map values): each element's first elementSize bytes, stride apart. */
describe('strided regions', () => {
  const values: Region = { kind: 'map_value', name: "map 'm' values", base: 0x1000n, size: 64, writable: true, stride: 16, elementSize: 12 };

  it('an access is inside iff it stays in one element', () => {
    expect(regionContains(values, 0x1000n, 12)).toBe(true);
    expect(regionContains(values, 0x1008n, 4)).toBe(true);
    expect(regionContains(values, 0x1030n, 12)).toBe(true); // the last element
    expect(regionContains(values, 0x1008n, 8)).toBe(false); // into the padding
    expect(regionContains(values, 0x100cn, 4)).toBe(false); // the padding
    expect(regionContains(values, 0x100cn, 8)).toBe(false); // padding into element 1
    expect(regionContains(values, 0x1040n, 1)).toBe(false); // past the last
  });

  it('messages name the element', () => {
    expect(describeNearest([values], 0x101cn, 4)).toBe("0 bytes past the end of element 1 (12 bytes, 16 apart) of map_value 'map 'm' values' [0x1000, +64) (4 elements of 12 bytes)");
    expect(describeNearest([values], 0x1018n, 8)).toMatch(/^offset 8 of element 1 .*: 4 of its bytes lie past the element's end$/);
  });

  it("the interpreter's Memory checks the stride", () => {
    const memory = new Memory();
    memory.addRegion("map 'm' values", new Uint8Array(64), { base: 0x1000n, kind: 'map_value', stride: 16, elementSize: 12 });
    memory.store(0x1014n, 4, 7n, 0);
    expect(memory.load(0x1014n, 4, 1)).toBe(7n);
    expect(() => memory.load(0x100cn, 4, 2)).toThrow(BpfSandboxError);
    expect(() => memory.store(0x1010n, 8, 1n, 3)).not.toThrow();
    expect(() => memory.store(0x1018n, 8, 1n, 3)).toThrow(/element 1/);
    expect(() => memory.addRegion('bad', new Uint8Array(8), { base: 0x9000n, stride: 4, elementSize: 8 })).toThrow(RangeError);
  });
});
