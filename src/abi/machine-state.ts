/**
 * The argument-passing state at a call boundary as bytes: x0-x8, v0-v7 (all 128 bits) and the
 * stack from the SP upwards. Probes capture it, caller stubs load it; the model's pieces say which
 * bytes of it belong to which argument.
 */
import { formatLocation, type ArgClass, type Classification, type Location, type Piece, type ResultClass } from './classify.js';
import { layoutOf } from './types.js';
import { sameValue } from './values.js';

export interface MachineState {
  /** x0..x8, 8 bytes each */
  readonly x: Uint8Array;
  /** v0..v7, 16 bytes each */
  readonly v: Uint8Array;
  /** the stack from the SP at the call */
  readonly stack: Uint8Array;
}

export const X_REGS = 9;
export const V_REGS = 8;

/** A state filled with a recognisable filler (never a plausible pattern run: 0xe0 | register). */
export function emptyState(stackBytes: number): MachineState {
  const x = new Uint8Array(X_REGS * 8);
  for (let r = 0; r < X_REGS; r++) x.fill(0xe0 | r, r * 8, r * 8 + 8);
  const v = new Uint8Array(V_REGS * 16);
  for (let r = 0; r < V_REGS; r++) v.fill(0xd0 | r, r * 16, r * 16 + 16);
  const stack = new Uint8Array(stackBytes);
  for (let i = 0; i < stackBytes; i++) stack[i] = 0xc0 | ((i >> 3) & 0xf);
  return { x, v, stack };
}

function region(state: MachineState, at: Location, size: number): { bytes: Uint8Array; offset: number } {
  switch (at.kind) {
    case 'x':
      if (at.reg >= X_REGS || at.byte + size > 8) throw new RangeError(`${formatLocation(at)} +${size} is outside x${at.reg}`);
      return { bytes: state.x, offset: at.reg * 8 + at.byte };
    case 'v':
      if (at.reg >= V_REGS || at.byte + size > 16) throw new RangeError(`${formatLocation(at)} +${size} is outside v${at.reg}`);
      return { bytes: state.v, offset: at.reg * 16 + at.byte };
    case 'stack':
      if (at.offset + size > state.stack.length) throw new RangeError(`stack+${at.offset} +${size} is outside the ${state.stack.length} captured stack bytes`);
      return { bytes: state.stack, offset: at.offset };
  }
}

export function readAt(state: MachineState, at: Location, size: number): Uint8Array {
  const r = region(state, at, size);
  return r.bytes.slice(r.offset, r.offset + size);
}

export function writeAt(state: MachineState, at: Location, bytes: Uint8Array): void {
  const r = region(state, at, bytes.length);
  r.bytes.set(bytes, r.offset);
}

/** Gather the bytes the pieces describe into one image of `size` bytes. */
export function gather(state: MachineState, pieces: readonly Piece[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (const p of pieces) out.set(readAt(state, p.at, p.size), p.from);
  return out;
}

export function scatter(state: MachineState, pieces: readonly Piece[], bytes: Uint8Array): void {
  for (const p of pieces) writeAt(state, p.at, bytes.subarray(p.from, p.from + p.size));
}

/** The 8 little-endian bytes of a pointer. */
export function pointerBytes(address: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, address, true);
  return out;
}

/**
 * Place argument values where the model says. `pointers[i]` is the address of the caller copy of
 * argument i when it is passed by reference (B.4); `resultAddress` goes to x8 for an indirect result.
 */
export function placeArguments(
  cls: Classification,
  values: readonly Uint8Array[],
  pointers: ReadonlyMap<number, bigint>,
  resultAddress: bigint | undefined,
): MachineState {
  const state = emptyState(cls.stackArea);
  for (const a of cls.args) {
    if (a.byReference) {
      const p = pointers.get(a.index);
      if (p === undefined) throw new Error(`argument ${a.index} is passed by reference but has no caller copy`);
      scatter(state, a.pieces, pointerBytes(p));
    } else {
      scatter(state, a.pieces, values[a.index]!);
      if (a.extendTo32) extend32(state, a, values[a.index]!);
    }
  }
  if (cls.result?.indirect) {
    if (resultAddress === undefined) throw new Error('an indirect result needs memory for x8');
    writeAt(state, { kind: 'x', reg: 8, byte: 0 }, pointerBytes(resultAddress));
  }
  return state;
}

/** Apple: bytes size..3 of the register hold the sign or zero extension. */
function extend32(state: MachineState, a: ArgClass, value: Uint8Array): void {
  const p = a.pieces[0]!;
  if (p.at.kind !== 'x') return;
  const negative = a.extendTo32!.signed && (value[a.size - 1]! & 0x80) !== 0;
  writeAt(state, { ...p.at, byte: a.size }, new Uint8Array(4 - a.size).fill(negative ? 0xff : 0));
}

/** The bytes of a value the model says are meaningful in a state: extension bytes included. */
export function expectedExtension(a: ArgClass, value: Uint8Array): Uint8Array | undefined {
  if (!a.extendTo32) return undefined;
  const negative = a.extendTo32.signed && (value[a.size - 1]! & 0x80) !== 0;
  const out = new Uint8Array(4);
  out.set(value.subarray(0, a.size));
  out.fill(negative ? 0xff : 0, a.size);
  return out;
}

/** Result state of a callee: the result bytes where the model says, filler elsewhere. */
export function placeResult(result: ResultClass | null, value: Uint8Array | undefined): MachineState {
  const state = emptyState(0);
  if (result && !result.indirect && value) scatter(state, result.pieces, value);
  return state;
}

/**
 * Where some bytes are in a state, for failure reports: every location whose bytes start with the
 * needle ('x3', 'v1+8', 'stack+16'), or an empty list.
 */
export function locate(state: MachineState, needle: Uint8Array): string[] {
  if (needle.length === 0 || needle.every((b) => b === needle[0])) return [];
  const found: string[] = [];
  const scan = (bytes: Uint8Array, name: (i: number) => string, stride: number): void => {
    for (let i = 0; i + needle.length <= bytes.length; i++) {
      let ok = true;
      for (let k = 0; k < needle.length && ok; k++) ok = bytes[i + k] === needle[k];
      if (ok) found.push(name(i));
      void stride;
    }
  };
  scan(state.x, (i) => `x${i >> 3}${i & 7 ? `+${i & 7}` : ''}`, 8);
  scan(state.v, (i) => `v${i >> 4}${i & 15 ? `+${i & 15}` : ''}`, 16);
  scan(state.stack, (i) => `stack+${i}`, 1);
  return found;
}

/** A short needle to search for: the first member's bytes (up to 8) of a value. */
export function needleOf(type: Parameters<typeof layoutOf>[0], value: Uint8Array): Uint8Array {
  const leaf = layoutOf(type).leaves[0]!;
  return value.subarray(leaf.offset, leaf.offset + Math.min(8, leaf.size));
}

export { sameValue };
