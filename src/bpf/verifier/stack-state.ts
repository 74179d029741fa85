import { STACK_FRAME_SIZE } from '../validate.js';
import { mapUnary } from './value-set.js';
import type { IdMap, RegState } from './reg-state.js';
import { UNKNOWN, isPtr, regEqual, regSafe, scalarReg } from './reg-state.js';
import type { Scalar } from './scalar.js';
import { constScalar, constValue, isConst, scalarIn, scalarTruncate, unsignedRange } from './scalar.js';

/**
 * One stack frame as the verifier knows it (the kernel's `bpf_stack_state`): 512 bytes, each
 * not yet written (reads rejected: the JIT's stack holds whatever the host left there), data,
 * or part of a spilled register. A register written naturally aligned keeps its type (pointers
 * only as a whole 8-byte spill at an 8-byte slot; scalars also as 1, 2 or 4 bytes at any
 * offset that is a multiple of the size), so a later read of the same bytes gives it back. Writes over part of a spill turn what is left of a
 * scalar into data and are refused over a pointer (its remaining bytes would leak the address).
 * Offsets are from the frame pointer, -512..-1.
 */
export const enum ByteType {
  INVALID = 0,
  MISC = 1,
  SPILL = 2,
}

export interface Spill {
  readonly reg: RegState;
  readonly size: 1 | 2 | 4 | 8;
}

const BYTES = STACK_FRAME_SIZE;
const SIZES = [8, 4, 2, 1] as const;

/** Why a stack access is refused (the caller words the message with register and offsets). */
export type StackProblem =
  | { readonly kind: 'uninit'; readonly off: number }
  | { readonly kind: 'pointer-part'; readonly off: number }
  | { readonly kind: 'corrupt-pointer'; readonly off: number };

export function isStackProblem(r: RegState | StackProblem): r is StackProblem {
  return 'kind' in r;
}

export class StackState {
  /** per byte (index 0 = fp-512) */
  readonly types: Uint8Array;
  /** spills by their first byte's index */
  readonly spills: (Spill | undefined)[];
  /** bit per byte: written (bytes are never unwritten again) */
  readonly initBits: Uint32Array;
  /** bit per byte: a spill starts here */
  readonly spillBits: Uint32Array;
  /** more than one state refers to it: change a clone (FrameState.writableStack) */
  shared = false;

  constructor(types?: Uint8Array, spills?: (Spill | undefined)[], initBits?: Uint32Array, spillBits?: Uint32Array) {
    this.types = types ?? new Uint8Array(BYTES);
    this.spills = spills ?? new Array<Spill | undefined>(BYTES).fill(undefined);
    this.initBits = initBits ?? new Uint32Array(BYTES / 32);
    this.spillBits = spillBits ?? new Uint32Array(BYTES / 32);
  }

  clone(): StackState {
    return new StackState(this.types.slice(), this.spills.slice(), this.initBits.slice(), this.spillBits.slice());
  }

  private mark(type: ByteType, i0: number, i1: number): void {
    this.types.fill(type, i0, i1);
    for (let i = i0; i < i1; i++) this.initBits[i >> 5]! |= 1 << (i & 31);
  }

  private put(start: number, spill: Spill | undefined): void {
    this.spills[start] = spill;
    if (spill) this.spillBits[start >> 5]! |= 1 << (start & 31);
    else this.spillBits[start >> 5]! &= ~(1 << (start & 31));
  }

  /** Calls fn for each spill (first byte index, spill), in order. */
  forEachSpill(fn: (start: number, spill: Spill) => void): void {
    forEachBit(this.spillBits, (i) => fn(i, this.spills[i] as Spill));
  }

  /** Index of the spill whose bytes include byte i, or -1. */
  private spillAt(i: number): number {
    if (this.types[i] !== ByteType.SPILL) return -1;
    for (const size of SIZES) {
      const start = i & ~(size - 1);
      const sp = this.spills[start];
      if (sp && i - start < sp.size) return start;
    }
    return -1;
  }

  /** Remove the spills overlapping [i0, i1): scalars leave data bytes, pointers may only go as a whole. */
  private clearSpills(i0: number, i1: number, whole: boolean): StackProblem | undefined {
    const from = Math.max(0, i0 & ~7);
    for (let start = from; start < i1; start++) {
      const sp = this.spills[start];
      if (!sp) continue;
      const end = start + sp.size;
      if (end <= i0) continue;
      const covered = whole && i0 <= start && end <= i1;
      if (!covered && isPtr(sp.reg)) return { kind: 'corrupt-pointer', off: start - BYTES };
      this.put(start, undefined);
      this.mark(ByteType.MISC, start, end);
    }
    return undefined;
  }

  /**
   * Write `size` bytes at `off`. `reg` is the register stored (undefined: data of unknown
   * value); it is kept as a spill when the write is naturally aligned. Pointers must be
   * 8 bytes at an 8-byte slot (checked by the caller).
   */
  write(off: number, size: 1 | 2 | 4 | 8, reg: RegState | undefined): StackProblem | undefined {
    const i0 = BYTES + off;
    const problem = this.clearSpills(i0, i0 + size, true);
    if (problem) return problem;
    if (reg && (i0 & (size - 1)) === 0 && reg.type !== 'not_init') {
      // a narrowing spill keeps the low bytes and no longer equals its source (no id)
      const mask = (1n << BigInt(8 * size)) - 1n;
      const kept = reg.type === 'scalar' && size < 8 ? scalarReg(scalarTruncate(reg.v, size), 0, reg.fn && mapUnary(reg.fn, `trunc${size}`, (v) => v & mask)) : reg;
      this.put(i0, { reg: kept, size });
      this.mark(ByteType.SPILL, i0, i0 + size);
    } else {
      this.mark(ByteType.MISC, i0, i0 + size);
    }
    return undefined;
  }

  /** Read `size` bytes at `off`: the spilled register, a known constant, or data. */
  read(off: number, size: 1 | 2 | 4 | 8): RegState | StackProblem {
    const i0 = BYTES + off;
    for (let i = i0; i < i0 + size; i++) {
      if (this.types[i] === ByteType.INVALID) return { kind: 'uninit', off: i - BYTES };
    }
    const s = this.spills[i0];
    if (s && s.size === size) return s.reg;
    let bytes = 0n;
    let known = true;
    for (let i = i0 + size - 1; i >= i0; i--) {
      const at = this.spillAt(i);
      const sp = at >= 0 ? this.spills[at] : undefined;
      if (sp && isPtr(sp.reg)) return { kind: 'pointer-part', off: i - BYTES };
      if (sp && sp.reg.type === 'scalar' && isConst(sp.reg.v)) bytes = (bytes << 8n) | ((constValue(sp.reg.v) >> BigInt(8 * (i - at))) & 0xffn);
      else known = false;
    }
    if (known) return scalarReg(constScalar(bytes));
    // the low bytes of a wider scalar spill
    if (s && s.size > size && s.reg.type === 'scalar') return scalarReg(scalarTruncate(s.reg.v, size));
    return size === 8 ? UNKNOWN : scalarReg(unsignedRange(0n, (1n << BigInt(8 * size)) - 1n));
  }

  /**
   * A write whose offset is only known to lie in [minOff, maxOff]: any byte of
   * [minOff, maxOff + size) may change. Bytes not yet written stay so (they may not be written).
   */
  writeVariable(minOff: number, maxOff: number, size: number): StackProblem | undefined {
    if (size <= 0) return undefined;
    return this.clearSpills(BYTES + minOff, BYTES + maxOff + size, false);
  }

  /** Bytes [from, to) written as data by a helper (they are all written). */
  fill(from: number, to: number): void {
    const i0 = BYTES + from;
    const i1 = BYTES + to;
    if (i1 <= i0) return;
    for (let start = Math.max(0, i0 & ~7); start < i1; start++) {
      const sp = this.spills[start];
      if (sp && start + sp.size > i0) {
        this.mark(ByteType.MISC, start, start + sp.size);
        this.put(start, undefined);
      }
    }
    this.mark(ByteType.MISC, i0, i1);
  }

  /** All of [from, to) readable as data (initialized, no part of a pointer); the first bad byte otherwise. */
  checkReadable(from: number, to: number): StackProblem | undefined {
    for (let i = BYTES + from; i < BYTES + to; i++) {
      if (this.types[i] === ByteType.INVALID) return { kind: 'uninit', off: i - BYTES };
      const at = this.spillAt(i);
      if (at >= 0 && isPtr(this.spills[at]!.reg)) return { kind: 'pointer-part', off: i - BYTES };
    }
    return undefined;
  }

  /** Replace the spill starting at byte index i (id propagation, widening), keeping its size. */
  setSpill(i: number, reg: RegState): void {
    const s = this.spills[i];
    if (s) this.put(i, { reg, size: s.size });
  }

  /** Kernel-log style: `fp-8=scalar(...)` for a whole spill, byte marks (`mmmm????`) otherwise. */
  format(formatReg: (r: RegState) => string): string {
    const out: string[] = [];
    for (let start = BYTES - 8; start >= 0; start -= 8) {
      let any = false;
      for (let i = start; i < start + 8; i++) if (this.types[i] !== ByteType.INVALID) any = true;
      if (!any) continue;
      const off = start - BYTES;
      const s = this.spills[start];
      if (s && s.size === 8) {
        out.push(`fp${off}=${formatReg(s.reg)}`);
        continue;
      }
      let marks = '';
      for (let i = start + 7; i >= start; i--) marks += this.types[i] === ByteType.INVALID ? '?' : this.types[i] === ByteType.SPILL ? 'r' : 'm';
      const inner: string[] = [];
      for (let i = start; i < start + 8; i++) {
        const sp = this.spills[i];
        if (sp) inner.push(`${i - BYTES}:${formatReg(sp.reg)}`);
      }
      out.push(`fp${off}=${marks}${inner.length ? `(${inner.join(' ')})` : ''}`);
    }
    return out.join(' ');
  }
}

const unknownOfSize = (size: number): Scalar => (size === 8 ? UNKNOWN.v : unsignedRange(0n, (1n << BigInt(8 * size)) - 1n));

/** Calls fn for each set bit of a bit set, in order. */
function forEachBit(bits: Uint32Array, fn: (i: number) => void): void {
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w] as number;
    while (word !== 0) {
      const b = 31 - Math.clz32(word & -word);
      fn(w * 32 + b);
      word &= word - 1;
    }
  }
}

/**
 * Whatever was proven from `old` holds from `cur` (pruning). `precise(i)` says whether the
 * value of a scalar spilled at byte index i can still matter; when it cannot, any scalar will do.
 */
export function stackSafe(old: StackState, cur: StackState, ids: IdMap, precise: (i: number) => boolean = () => true): boolean {
  if (old === cur) return true;
  // every byte old had written, cur has written
  for (let w = 0; w < old.initBits.length; w++) if ((old.initBits[w]! & ~cur.initBits[w]!) !== 0) return false;
  let safe = true;
  const check = (i: number): void => {
    if (!safe) return;
    const os = old.spills[i];
    const cs = cur.spills[i];
    if (os) {
      if (cs && cs.size === os.size) {
        if (os.reg.type === 'scalar' && cs.reg.type === 'scalar' && !precise(i)) return;
        if (!regSafe(os.reg, cs.reg, ids)) safe = false;
        return;
      }
      // data where old had a scalar: fine if old's scalar said nothing either, or nothing reads it precisely
      if (os.reg.type !== 'scalar' || (precise(i) && !scalarIn(os.reg.v, unknownOfSize(os.size)))) {
        safe = false;
        return;
      }
      for (let k = i; k < i + os.size; k++) {
        const c = cur.spills[k];
        if (c && isPtr(c.reg)) safe = false;
      }
      return;
    }
    // old had data (or nothing): cur must not hold a pointer that old's paths read as data
    if (cs && isPtr(cs.reg)) {
      for (let k = i; k < i + 8; k++) if (old.types[k] !== ByteType.INVALID) safe = false;
    }
  };
  const union = new Uint32Array(old.spillBits.length);
  for (let w = 0; w < union.length; w++) union[w] = old.spillBits[w]! | cur.spillBits[w]!;
  forEachBit(union, check);
  return safe;
}

export function stackEqual(a: StackState, b: StackState, precise: (i: number) => boolean = () => true): boolean {
  if (a === b) return true;
  for (let w = 0; w < a.initBits.length; w++) if (a.initBits[w] !== b.initBits[w] || a.spillBits[w] !== b.spillBits[w]) return false;
  for (let i = 0; i < BYTES; i++) if (a.types[i] !== b.types[i]) return false;
  let equal = true;
  forEachBit(a.spillBits, (i) => {
    if (!equal) return;
    const x = a.spills[i] as Spill;
    const y = b.spills[i] as Spill;
    if (x.size !== y.size) equal = false;
    else if (!(x.reg.type === 'scalar' && y.reg.type === 'scalar' && !precise(i)) && !regEqual(x.reg, y.reg)) equal = false;
  });
  return equal;
}
