import type { Region, RegionKind } from './regions.js';
import { BpfRuntimeError, BpfSandboxError } from './runtime-errors.js';

export { BpfRuntimeError };

/**
 * The interpreter's address space: a few byte regions at distinct virtual base addresses
 * (context/packet buffer, one region per live stack frame, map values, global data).
 * Every access must lie entirely inside one region; anything else is a BpfSandboxError
 * naming the pc and the address, so a wild pointer can never touch host memory.
 */

/** Where the regions live. Bases are far apart so an overrun never lands in a neighbour. */
export const MEM_BASE = 0x0000_0001_0000_0000n;
/** Regions added with `addRegion` without an explicit base go from here up, 4 GiB apart. */
export const DATA_BASE = 0x0000_0010_0000_0000n;
export const DATA_STRIDE = 0x0000_0001_0000_0000n;
/** Stack frame i (0 = the program's entry function) ends at STACK_TOP - i * STACK_STRIDE. */
export const STACK_TOP = 0x0000_7f00_0000_0000n;
export const STACK_STRIDE = 0x0001_0000n;
/** Function addresses (LDDW src 4) are CODE_BASE + 8 * slot: values, not accessible memory. */
export const CODE_BASE = 0x0000_7e00_0000_0000n;

/** A region of the shared model (regions.ts) with the bytes behind it. */
export interface MemoryRegion extends Region {
  readonly bytes: Uint8Array;
}

interface LiveRegion extends MemoryRegion {
  readonly start: number;
  readonly end: number;
  readonly view: DataView;
}

/** Beyond 2^52 an address cannot be one of ours, and Number() would round it. */
const ADDRESS_LIMIT = 1n << 52n;

export class Memory {
  private regions: LiveRegion[] = [];
  private nextData = DATA_BASE;

  /** Map `bytes` (not a copy: the caller sees the program's writes) at `base`. */
  addRegion(name: string, bytes: Uint8Array, options: { base?: bigint; writable?: boolean; kind?: RegionKind; stride?: number; elementSize?: number } = {}): MemoryRegion {
    const base = options.base ?? this.allocateBase(bytes.length);
    if (base < 0n || base + BigInt(bytes.length) > ADDRESS_LIMIT) throw new RangeError(`region '${name}' base 0x${base.toString(16)} is outside the address space`);
    const start = Number(base);
    const end = start + bytes.length;
    const { stride, elementSize } = options;
    if ((stride === undefined) !== (elementSize === undefined) || (stride !== undefined && !(stride > 0 && elementSize! > 0 && elementSize! <= stride))) {
      throw new RangeError(`region '${name}': stride ${stride} and element size ${elementSize} must be given together, 0 < element size <= stride`);
    }
    for (const r of this.regions) {
      if (start < r.end && r.start < end) throw new RangeError(`region '${name}' overlaps region '${r.name}'`);
    }
    const region: LiveRegion = {
      kind: options.kind ?? 'other',
      name,
      base,
      size: bytes.length,
      bytes,
      writable: options.writable ?? true,
      ...(stride !== undefined ? { stride, elementSize: elementSize! } : {}),
      start,
      end,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    };
    this.regions.push(region);
    return region;
  }

  /** Unmap a region addRegion returned (by identity: an empty region may share its base with another). */
  removeRegion(region: MemoryRegion): void {
    this.regions = this.regions.filter((r) => r !== region);
  }

  get allRegions(): readonly MemoryRegion[] {
    return this.regions;
  }

  /** The region (and offset in it) holding [addr, addr+size), or undefined. */
  locate(addr: bigint, size: number): { region: MemoryRegion; offset: number } | undefined {
    const hit = this.find(addr, size);
    return hit && { region: hit.region, offset: hit.offset };
  }

  load(addr: bigint, size: 1 | 2 | 4 | 8, pc: number): bigint {
    const { region, offset } = this.access(addr, size, pc, 'read');
    const v = region.view;
    switch (size) {
      case 1:
        return BigInt(v.getUint8(offset));
      case 2:
        return BigInt(v.getUint16(offset, true));
      case 4:
        return BigInt(v.getUint32(offset, true));
      case 8:
        return v.getBigUint64(offset, true);
    }
  }

  /**
   * Throws as store() would, without storing: an atomic read-modify-write is a write access
   * (the kernel's verifier checks BPF_ATOMIC as BPF_WRITE), checked before it reads.
   */
  checkWrite(addr: bigint, size: 1 | 2 | 4 | 8, pc: number): void {
    const { region } = this.access(addr, size, pc, 'write');
    if (!region.writable) throw new BpfSandboxError(pc, 'write', size, addr, this.regions, 'read-only');
  }

  store(addr: bigint, size: 1 | 2 | 4 | 8, value: bigint, pc: number): void {
    const { region, offset } = this.access(addr, size, pc, 'write');
    if (!region.writable) throw new BpfSandboxError(pc, 'write', size, addr, this.regions, 'read-only');
    const v = region.view;
    switch (size) {
      case 1:
        v.setUint8(offset, Number(value & 0xffn));
        return;
      case 2:
        v.setUint16(offset, Number(value & 0xffffn), true);
        return;
      case 4:
        v.setUint32(offset, Number(value & 0xffff_ffffn), true);
        return;
      case 8:
        v.setBigUint64(offset, BigInt.asUintN(64, value), true);
        return;
    }
  }

  private access(addr: bigint, size: number, pc: number, what: 'read' | 'write'): { region: LiveRegion; offset: number } {
    const hit = this.find(addr, size);
    if (!hit) throw new BpfSandboxError(pc, what, size, addr, this.regions);
    return hit;
  }

  private find(addr: bigint, size: number): { region: LiveRegion; offset: number } | undefined {
    if (addr < 0n || addr >= ADDRESS_LIMIT) return undefined;
    const a = Number(addr);
    for (const r of this.regions) {
      if (a >= r.start && a + size <= r.end) {
        // a strided region (map values): the access must stay inside one element
        if (r.stride !== undefined && ((a - r.start) % r.stride) + size > r.elementSize!) return undefined;
        return { region: r, offset: a - r.start };
      }
    }
    return undefined;
  }

  private allocateBase(length: number): bigint {
    const base = this.nextData;
    const span = BigInt(length) + DATA_STRIDE - 1n;
    this.nextData += (span / DATA_STRIDE) * DATA_STRIDE + DATA_STRIDE;
    return base;
  }
}
