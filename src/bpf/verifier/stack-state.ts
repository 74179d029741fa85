import { STACK_FRAME_SIZE } from '../validate.js';
import type { IdMap, RegState } from './reg-state.js';
import { UNKNOWN, isPtr, regEqual, regSafe, scalarReg } from './reg-state.js';
import type { Scalar } from './scalar.js';
import { constScalar, constValue, isConst, scalarIn, scalarTruncate, unsignedRange } from './scalar.js';

/**
 * One stack frame as the verifier knows it (the kernel's `bpf_stack_state`): 512 bytes, each
 * not yet written (reads rejected: the JIT's stack holds whatever the host left there), data,
 * or part of a spilled register. A register written to an 8-byte-aligned slot start keeps its
 * type (pointers only as a whole 8-byte spill; scalars also as 1, 2 or 4 bytes), so a later
 * read of the same bytes gives it back. Writes over part of a spill turn what is left of a
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

const SLOTS = STACK_FRAME_SIZE / 8;

/** Why a stack access is refused (the caller words the message with register and offsets). */
export type StackProblem =
  | { readonly kind: 'uninit'; readonly off: number }
  | { readonly kind: 'pointer-part'; readonly off: number }
  | { readonly kind: 'corrupt-pointer'; readonly off: number };

export class StackState {
  readonly types: Uint8Array;
  readonly spills: (Spill | undefined)[];
  /** more than one state refers to it: change a clone (FrameState.writableStack) */
  shared = false;

  constructor(types?: Uint8Array, spills?: (Spill | undefined)[]) {
    this.types = types ?? new Uint8Array(STACK_FRAME_SIZE);
    this.spills = spills ?? new Array<Spill | undefined>(SLOTS).fill(undefined);
  }

  clone(): StackState {
    return new StackState(this.types.slice(), this.spills.slice());
  }

  /** The spill whose bytes include byte index i, if any. */
  private spillAt(i: number): Spill | undefined {
    const slot = i >> 3;
    const s = this.spills[slot];
    return s && i - slot * 8 < s.size ? s : undefined;
  }

  /** Remove the spills overlapping [i0, i1): scalars leave data bytes, pointers may only go as a whole. */
  private clearSpills(i0: number, i1: number, whole: boolean): StackProblem | undefined {
    for (let slot = i0 >> 3; slot <= (i1 - 1) >> 3; slot++) {
      const s = this.spills[slot];
      if (!s) continue;
      const s0 = slot * 8;
      const s1 = s0 + s.size;
      if (s1 <= i0 || s0 >= i1) continue;
      const covered = whole && i0 <= s0 && s1 <= i1;
      if (!covered && isPtr(s.reg)) return { kind: 'corrupt-pointer', off: s0 - STACK_FRAME_SIZE };
      this.spills[slot] = undefined;
      this.types.fill(ByteType.MISC, s0, s1);
    }
    return undefined;
  }

  /**
   * Write `size` bytes at `off`. `reg` is the register stored (undefined: data of unknown
   * value); it is kept as a spill when it starts a slot. Pointers must be 8 bytes at a slot start
   * (checked by the caller).
   */
  write(off: number, size: 1 | 2 | 4 | 8, reg: RegState | undefined): StackProblem | undefined {
    const i0 = STACK_FRAME_SIZE + off;
    const problem = this.clearSpills(i0, i0 + size, true);
    if (problem) return problem;
    if (reg && (i0 & 7) === 0 && reg.type !== 'not_init') {
      // a narrowing spill keeps the low bytes and no longer equals its source (no id)
      const kept = reg.type === 'scalar' && size < 8 ? scalarReg(scalarTruncate(reg.v, size)) : reg;
      this.spills[i0 >> 3] = { reg: kept, size };
      this.types.fill(ByteType.SPILL, i0, i0 + size);
    } else {
      this.types.fill(ByteType.MISC, i0, i0 + size);
    }
    return undefined;
  }

  /** Read `size` bytes at `off`: the spilled register, a known constant, or data. */
  read(off: number, size: 1 | 2 | 4 | 8): RegState | StackProblem {
    const i0 = STACK_FRAME_SIZE + off;
    for (let i = i0; i < i0 + size; i++) {
      if (this.types[i] === ByteType.INVALID) return { kind: 'uninit', off: i - STACK_FRAME_SIZE };
    }
    const slot = i0 >> 3;
    const s = this.spills[slot];
    if (s && slot * 8 === i0 && s.size === size) return s.reg;
    let bytes = 0n;
    let known = true;
    for (let i = i0 + size - 1; i >= i0; i--) {
      const sp = this.spillAt(i);
      if (sp && isPtr(sp.reg)) return { kind: 'pointer-part', off: i - STACK_FRAME_SIZE };
      if (sp && sp.reg.type === 'scalar' && isConst(sp.reg.v)) bytes = (bytes << 8n) | ((constValue(sp.reg.v) >> BigInt(8 * (i - ((i >> 3) << 3)))) & 0xffn);
      else known = false;
    }
    if (known) return scalarReg(constScalar(bytes));
    // the low bytes of a wider scalar spill
    if (s && slot * 8 === i0 && s.size > size && s.reg.type === 'scalar') return scalarReg(scalarTruncate(s.reg.v, size));
    return size === 8 ? UNKNOWN : scalarReg(unsignedRange(0n, (1n << BigInt(8 * size)) - 1n));
  }

  /**
   * A write whose offset is only known to lie in [minOff, maxOff]: any byte of
   * [minOff, maxOff + size) may change. Bytes not yet written stay so (they may not be written).
   */
  writeVariable(minOff: number, maxOff: number, size: number): StackProblem | undefined {
    const i0 = STACK_FRAME_SIZE + minOff;
    const i1 = STACK_FRAME_SIZE + maxOff + size;
    const problem = this.clearSpills(i0, i1, false);
    if (problem) return problem;
    return undefined;
  }

  /** Bytes [from, to) written as data by a helper (they are all written). */
  fill(from: number, to: number): void {
    const i0 = STACK_FRAME_SIZE + from;
    const i1 = STACK_FRAME_SIZE + to;
    for (let slot = i0 >> 3; slot <= (i1 - 1) >> 3 && i1 > i0; slot++) {
      const s = this.spills[slot];
      if (s && slot * 8 < i1 && slot * 8 + s.size > i0) {
        this.types.fill(ByteType.MISC, slot * 8, slot * 8 + s.size);
        this.spills[slot] = undefined;
      }
    }
    this.types.fill(ByteType.MISC, i0, i1);
  }

  /** All of [from, to) readable as data (initialized, no part of a pointer); the first bad byte otherwise. */
  checkReadable(from: number, to: number): StackProblem | undefined {
    for (let i = STACK_FRAME_SIZE + from; i < STACK_FRAME_SIZE + to; i++) {
      if (this.types[i] === ByteType.INVALID) return { kind: 'uninit', off: i - STACK_FRAME_SIZE };
      const sp = this.spillAt(i);
      if (sp && isPtr(sp.reg)) return { kind: 'pointer-part', off: i - STACK_FRAME_SIZE };
    }
    return undefined;
  }

  /** Every register spilled in this frame, with its slot (for id links and formatting). */
  *spilled(): Generator<[number, Spill]> {
    for (let slot = 0; slot < SLOTS; slot++) {
      const s = this.spills[slot];
      if (s) yield [slot, s];
    }
  }

  /** Replace the spill of one slot (id propagation), keeping its size. */
  setSpill(slot: number, reg: RegState): void {
    const s = this.spills[slot];
    if (s) this.spills[slot] = { reg, size: s.size };
  }

  /** Kernel-log style: `fp-8=scalar(...) fp-16=mmmmmmmm`. */
  format(formatReg: (r: RegState) => string): string {
    const out: string[] = [];
    for (let slot = SLOTS - 1; slot >= 0; slot--) {
      const start = slot * 8;
      const s = this.spills[slot];
      let any = false;
      for (let i = start; i < start + 8; i++) if (this.types[i] !== ByteType.INVALID) any = true;
      if (!any) continue;
      const off = start - STACK_FRAME_SIZE;
      if (s && s.size === 8) {
        out.push(`fp${off}=${formatReg(s.reg)}`);
        continue;
      }
      let marks = '';
      for (let i = start + 7; i >= start; i--) marks += this.types[i] === ByteType.INVALID ? '?' : this.types[i] === ByteType.SPILL ? 'r' : 'm';
      out.push(`fp${off}=${marks}${s ? `(${formatReg(s.reg)})` : ''}`);
    }
    return out.join(' ');
  }
}

const unknownOfSize = (size: number): Scalar => (size === 8 ? UNKNOWN.v : unsignedRange(0n, (1n << BigInt(8 * size)) - 1n));

/** Whatever was proven from `old` holds from `cur` (pruning). */
export function stackSafe(old: StackState, cur: StackState, ids: IdMap): boolean {
  for (let i = 0; i < STACK_FRAME_SIZE; i++) {
    const o = old.types[i];
    if (o === ByteType.INVALID) continue;
    if (cur.types[i] === ByteType.INVALID) return false;
  }
  for (let slot = 0; slot < SLOTS; slot++) {
    const os = old.spills[slot];
    const cs = cur.spills[slot];
    if (os) {
      if (cs && cs.size === os.size) {
        if (!regSafe(os.reg, cs.reg, ids)) return false;
        continue;
      }
      // data where old had a scalar: fine if old's scalar said nothing either
      if (os.reg.type !== 'scalar' || !scalarIn(os.reg.v, unknownOfSize(os.size))) return false;
      if (cs && isPtr(cs.reg)) return false;
      continue;
    }
    // old had data (or nothing): cur must not hold a pointer that old's paths read as data
    if (cs && isPtr(cs.reg)) {
      for (let i = slot * 8; i < slot * 8 + 8; i++) if (old.types[i] !== ByteType.INVALID) return false;
    }
  }
  return true;
}

export function stackEqual(a: StackState, b: StackState): boolean {
  for (let i = 0; i < STACK_FRAME_SIZE; i++) if (a.types[i] !== b.types[i]) return false;
  for (let slot = 0; slot < SLOTS; slot++) {
    const x = a.spills[slot];
    const y = b.spills[slot];
    if (!x || !y) {
      if (x !== y) return false;
      continue;
    }
    if (x.size !== y.size || !regEqual(x.reg, y.reg)) return false;
  }
  return true;
}
