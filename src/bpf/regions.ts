/**
 * The regions a BPF program may touch: one model for the interpreter's address space
 * (memory.ts), the JIT's sandbox checks and the error messages of both, and the fault
 * handler's reports. Pure data and pure functions; imports nothing.
 *
 * Home: src/bpf, although architecture-next.md lists regions next to the code ranges of
 * src/runtime. The interpreter's Memory is built on this model and src/bpf may not import
 * src/runtime; the JIT (src/jit) and the runtime (src/runtime) can both import src/bpf.
 *
 * A region is [base, base + size). Addresses are unsigned 64-bit values as BPF sees them: the
 * interpreter's virtual addresses, or real host addresses under the JIT.
 */

/**
 * What a region holds (the kernel's pointer types, PTR_TO_CTX, PTR_TO_PACKET, PTR_TO_STACK,
 * PTR_TO_MAP_VALUE, PTR_TO_MEM, PTR_TO_BUF..., flattened to what a run-time check needs):
 * - ctx: the context struct of a program type (struct xdp_md, struct __sk_buff, ...);
 * - packet: the packet bytes [data, data_end), or its metadata [data_meta, data) (the kernel's
 *   PTR_TO_PACKET and PTR_TO_PACKET_META ranges; the head- and tailroom are no region);
 * - stack: one BPF stack frame (512 bytes), or under the JIT's sandbox all live frames;
 * - map_value: a map's values: one value per region, or every value of a map at once as a
 *   strided region (below);
 * - data: global data of an object (.data, .rodata (read-only), .bss, .kconfig);
 * - mem: memory the caller gave a plain-buffer program (R1 = its address, R2 = its length);
 * - ringbuf: a ring buffer record (bpf_ringbuf_reserve) or a ring buffer's data area;
 * - other: anything else a runtime or helper hands out (named by `name`).
 */
export type RegionKind = 'ctx' | 'packet' | 'stack' | 'map_value' | 'data' | 'mem' | 'ringbuf' | 'other';

export const REGION_KINDS: readonly RegionKind[] = ['ctx', 'packet', 'stack', 'map_value', 'data', 'mem', 'ringbuf', 'other'];

export interface Region {
  readonly kind: RegionKind;
  /** shown in messages: 'mem', 'stack frame 0', '.rodata', "map 'flows' value", ... */
  readonly name: string;
  /** first address (unsigned 64-bit) */
  readonly base: bigint;
  /** bytes */
  readonly size: number;
  /** stores (and atomics) allowed */
  readonly writable: boolean;
  /**
   * A strided region holds equal elements `stride` bytes apart, each of which only the first
   * `elementSize` bytes are accessible (a map's values with their padding, per-CPU slots):
   * an access is inside iff it lies in [base, base + size) and does not leave its element,
   * (addr - base) % stride + size <= elementSize. Both or neither are given.
   */
  readonly stride?: number;
  readonly elementSize?: number;
}

export type AccessKind = 'read' | 'write';

/** One past the last address of a region. */
export function regionEnd(r: Region): bigint {
  return r.base + BigInt(r.size);
}

/** Whether [addr, addr + size) lies inside the region (inside one element of a strided one). */
export function regionContains(r: Region, addr: bigint, size: number): boolean {
  if (!(addr >= r.base && addr + BigInt(size) <= regionEnd(r))) return false;
  return r.stride === undefined || Number((addr - r.base) % BigInt(r.stride)) + size <= r.elementSize!;
}

/** The region holding all of [addr, addr + size), if any. */
export function findRegion(regions: Iterable<Region>, addr: bigint, size: number): Region | undefined {
  for (const r of regions) if (regionContains(r, addr, size)) return r;
  return undefined;
}

/** Where an address lies relative to a region: inside it, or how far below or past it. */
export interface RegionDistance {
  readonly region: Region;
  readonly where: 'inside' | 'below' | 'past';
  /** bytes below the base ('below'), past the end ('past'), or the offset inside */
  readonly bytes: bigint;
}

/** The region nearest to an address (containing it, or the smallest distance to an edge). */
export function nearestRegion(regions: Iterable<Region>, addr: bigint): RegionDistance | undefined {
  let best: RegionDistance | undefined;
  for (const region of regions) {
    const end = regionEnd(region);
    const d: RegionDistance =
      addr < region.base
        ? { region, where: 'below', bytes: region.base - addr }
        : addr >= end
          ? { region, where: 'past', bytes: addr - end }
          : { region, where: 'inside', bytes: addr - region.base };
    if (d.where === 'inside') return d;
    if (!best || d.bytes < best.bytes) best = d;
  }
  return best;
}

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** `'mem' [0x100000000, +16)`, with "read-only" when it is. */
export function describeRegion(r: Region): string {
  const elements = r.stride === undefined ? '' : ` (${Math.floor(r.size / r.stride)} elements of ${r.elementSize} bytes)`;
  return `${r.kind === 'other' ? '' : `${r.kind} `}'${r.name}' [${hex(r.base)}, +${r.size})${elements}${r.writable ? '' : ' read-only'}`;
}

/**
 * The text after "at address A" in an access error: where A lies among the regions; with the
 * access size, an access that starts inside a region but runs past its end says by how much.
 */
export function describeNearest(regions: Iterable<Region>, addr: bigint, size?: number): string {
  const near = nearestRegion(regions, addr);
  if (!near) return 'no region is mapped';
  const what = describeRegion(near.region);
  if (near.where === 'inside' && near.region.stride !== undefined) {
    const { stride, elementSize } = near.region as Required<Region>;
    const index = near.bytes / BigInt(stride);
    const at = Number(near.bytes % BigInt(stride));
    const over = size === undefined ? 0 : at + size - elementSize;
    if (at >= elementSize) return `${at - elementSize} bytes past the end of element ${index} (${elementSize} bytes, ${stride} apart) of ${what}`;
    if (over > 0) return `offset ${at} of element ${index} (${elementSize} bytes, ${stride} apart) of ${what}: ${over} of its bytes lie past the element's end`;
    return `at offset ${at} of element ${index} of ${what}`;
  }
  if (near.where === 'inside') {
    const over = size === undefined ? 0n : addr + BigInt(size) - regionEnd(near.region);
    return over > 0n ? `offset ${near.bytes} of ${what}: ${over} of its bytes lie past the end` : `at offset ${near.bytes} of ${what}`;
  }
  return near.where === 'below' ? `${near.bytes} bytes below ${what}` : `${near.bytes} bytes past the end of ${what}`;
}
