/**
 * Code ranges: where each piece of a64jit-generated machine code lies, and which BPF
 * instruction each of its native instructions came from. One registry, used by fault
 * containment (is a faulting pc ours, where does it land, which BPF pc was it), by
 * instruction counting (src/bench: count what executes inside a range), and by listings.
 *
 * Imports only the addon: BPF pcs are plain numbers here.
 *
 * Ranges are registered per JS thread (each worker has its own registry, as it has its own
 * programs). Ranges of BPF programs are also registered with the addon (native/fault.cc),
 * whose registry is process-wide: the signal handler cannot call into JS, and a thread must
 * be able to tell that an address is another thread's program (NativeFunction refuses it).
 */
import { addon } from './addon.js';


/**
 * A range of guest code addresses, [start, start + size): what the instruction counter
 * (insn-count.ts) counts and what a registered range (below) is.
 */
export interface CodeRange {
  readonly start: bigint;
  readonly size: number;
  /** for messages */
  readonly name?: string;
}

/** What a range holds. */
export type CodeRangeKind = 'bpf-program' | 'stub' | 'native';

/** The origin of an instruction that comes from no single BPF instruction. */
export const NO_BPF_PC = -1;

export interface CodeRangeSpec {
  /** shown in reports: the program's name, 'helper stubs', a native symbol */
  readonly name: string;
  readonly kind: CodeRangeKind;
  /** first byte */
  readonly start: bigint;
  /** bytes (a multiple of 4) */
  readonly size: number;
  /**
   * BPF pc of each 4-byte instruction (index = (address - start) / 4), NO_BPF_PC where none;
   * absent for code that does not come from BPF
   */
  readonly origins?: Int32Array;
  /** the entry point (first instruction to execute), when not `start` */
  readonly entry?: bigint;
  /**
   * Fault containment (native/fault.cc): a SIGSEGV/SIGBUS/SIGILL/SIGFPE whose pc lies in the
   * range but outside `exclude` resumes at `landing` (with the fault in x13-x15), which
   * restores the entry frame and returns to the caller. `exclude` covers code where the
   * landing's assumptions do not hold yet or any more (the entry prologue before the entry
   * frame is recorded, the landing and the unwind path themselves).
   */
  readonly containment?: {
    readonly landing: bigint;
    readonly exclude: readonly (readonly [bigint, bigint])[];
  };
}

export class RegisteredCodeRange implements CodeRange {
  readonly id: number;
  readonly name: string;
  readonly kind: CodeRangeKind;
  readonly start: bigint;
  /** one past the last byte */
  readonly end: bigint;
  /** bytes */
  readonly size: number;
  readonly entry: bigint;
  readonly origins: Int32Array | undefined;
  readonly containment: CodeRangeSpec['containment'];
  #nativeSlot: number | undefined;
  #live = true;

  /** @internal use registerCodeRange */
  constructor(id: number, spec: CodeRangeSpec, nativeSlot: number | undefined) {
    this.id = id;
    this.name = spec.name;
    this.kind = spec.kind;
    this.start = spec.start;
    this.end = spec.start + BigInt(spec.size);
    this.size = spec.size;
    this.entry = spec.entry ?? spec.start;
    this.origins = spec.origins;
    this.containment = spec.containment;
    this.#nativeSlot = nativeSlot;
  }

  get live(): boolean {
    return this.#live;
  }

  contains(address: bigint): boolean {
    return address >= this.start && address < this.end;
  }

  /** Byte offset of an address inside the range (undefined outside it). */
  offsetOf(address: bigint): number | undefined {
    return this.contains(address) ? Number(address - this.start) : undefined;
  }

  /** The BPF pc a native pc came from; NO_BPF_PC for prologues/stubs, undefined outside. */
  bpfPcAt(address: bigint): number | undefined {
    const offset = this.offsetOf(address);
    if (offset === undefined) return undefined;
    return this.origins?.[offset >>> 2] ?? NO_BPF_PC;
  }

  /** Remove the range (before its code is freed). Idempotent. */
  unregister(): void {
    if (!this.#live) return;
    this.#live = false;
    ranges.delete(this.id);
    if (this.#nativeSlot !== undefined) addon().unregisterCodeRange(this.#nativeSlot);
    this.#nativeSlot = undefined;
  }
}

const ranges = new Map<number, RegisteredCodeRange>();
let nextId = 1;

/**
 * Register a range. Ranges may not overlap a live one (two programs never share code).
 * BPF programs (and anything asking for containment) are registered with the addon as well.
 */
export function registerCodeRange(spec: CodeRangeSpec): RegisteredCodeRange {
  if (!(spec.size > 0) || spec.size % 4 !== 0) throw new RangeError(`code range '${spec.name}': size ${spec.size} is not a positive multiple of 4`);
  if (spec.origins && spec.origins.length !== spec.size / 4) {
    throw new RangeError(`code range '${spec.name}': ${spec.origins.length} origins for ${spec.size / 4} instructions`);
  }
  const end = spec.start + BigInt(spec.size);
  for (const r of ranges.values()) {
    if (spec.start < r.end && r.start < end) throw new RangeError(`code range '${spec.name}' overlaps '${r.name}'`);
  }
  let slot: number | undefined;
  if (spec.containment || spec.kind === 'bpf-program') {
    const c = spec.containment;
    slot = addon().registerCodeRange(spec.start, end, c?.landing ?? 0n, (c?.exclude ?? []).flatMap(([lo, hi]) => [lo, hi]), spec.kind === 'bpf-program');
  }
  const range = new RegisteredCodeRange(nextId++, spec, slot);
  ranges.set(range.id, range);
  return range;
}

/** The live range holding an address, in this thread's registry. */
export function codeRangeAt(address: bigint): RegisteredCodeRange | undefined {
  for (const r of ranges.values()) if (r.contains(address)) return r;
  return undefined;
}

/** What the addon knows of an address, over every thread's BPF program ranges. */
export interface NativeRangeInfo {
  readonly start: bigint;
  readonly end: bigint;
  /** faults in it are contained */
  readonly containable: boolean;
  /** a BPF program's code */
  readonly program: boolean;
  /** registered by the calling thread */
  readonly sameThread: boolean;
}

/** The registered range (of any thread) holding an address, from the addon's registry. */
export function processCodeRangeAt(address: bigint): NativeRangeInfo | undefined {
  return addon().codeRangeAt(address) ?? undefined;
}

/** Every live range of this thread, in registration order. */
export function liveCodeRanges(): readonly RegisteredCodeRange[] {
  return [...ranges.values()];
}
