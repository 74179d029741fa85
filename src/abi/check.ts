/**
 * Comparing what was observed with what the model says, producing mismatches that name the
 * argument, where the model expected it and where it was actually found.
 */
import { describePieces, formatLocation, type ArgClass, type Classification } from './classify.js';
import { expectedExtension, gather, locate, needleOf, readAt, type MachineState } from './machine-state.js';
import { formatType } from './signature-text.js';
import { hex, sameValue } from './values.js';

export interface Mismatch {
  /** 'arg 3 (f64)' or 'result ({f32,f32})' */
  readonly what: string;
  /** where the model puts it */
  readonly expected: string;
  /** where the bytes were found instead (or what was observed) */
  readonly found: string;
  readonly expectedBytes: string;
  readonly actualBytes: string;
}

export const argName = (a: ArgClass): string => `arg ${a.index} (${formatType(a.type)}${a.variadic ? ', variadic' : ''})`;

function whereFound(state: MachineState | undefined, needleSource: Uint8Array, a: { type: ArgClass['type'] } & Partial<Pick<ArgClass, 'pieces'>>): string {
  if (!state) return 'elsewhere';
  const places = locate(state, needleOf(a.type, needleSource));
  const first = a.pieces?.[0];
  if (first && places[0] === formatLocation(first.at)) return `starts there but later bytes differ (${describeRest(places)})`;
  return places.length ? `found at ${places.slice(0, 3).join(', ')}` : 'not found in x0-x8, v0-v7 or the stack';
}
const describeRest = (places: readonly string[]): string => (places.length > 1 ? `also found at ${places.slice(1, 3).join(', ')}` : 'overwritten or missing');

/**
 * Receiver side is a capture probe: read each argument from the captured state where the model
 * says it is. `refCopy(i)` gives the probe's copy of a by-reference argument's pointee.
 */
export function checkCapturedArguments(
  cls: Classification,
  values: readonly Uint8Array[],
  captured: MachineState,
  /** undefined: the pointees were not copied; by-reference arguments are not checked */
  refCopy: ((index: number) => Uint8Array) | undefined,
): Mismatch[] {
  const out: Mismatch[] = [];
  const owner = stackOwners(cls);
  for (const a of cls.args) {
    const want = values[a.index]!;
    if (a.byReference && !refCopy) continue;
    let got: Uint8Array;
    try {
      got = a.byReference ? refCopy!(a.index) : gather(captured, a.pieces, a.size);
    } catch (e) {
      out.push({ what: argName(a), expected: describePieces(a), found: (e as Error).message, expectedBytes: hex(want), actualBytes: '' });
      continue;
    }
    if (!covered(a, want, got, owner)) {
      out.push({ what: argName(a), expected: describePieces(a), found: whereFound(captured, want, a), expectedBytes: hex(want), actualBytes: hex(got) });
      continue;
    }
    const ext = expectedExtension(a, want);
    if (ext) {
      const reg = readAt(captured, a.pieces[0]!.at, 4);
      if (hex(reg) !== hex(ext)) {
        out.push({ what: `${argName(a)} extension`, expected: `${describePieces(a)} extended to 32 bits`, found: 'not extended', expectedBytes: hex(ext), actualBytes: hex(reg) });
      }
    }
  }
  return out;
}

/**
 * Which argument last writes each stack byte. In the model no two arguments overlap; in the model
 * of a defective implementation (ModelQuirks) a later argument may overwrite an earlier one, and
 * then only the later one can be checked there.
 */
export function stackOwners(cls: Classification): Map<number, number> {
  const owner = new Map<number, number>();
  for (const a of cls.args) {
    // a caller writes whole slots (C.5, C.16: 8 bytes for smaller arguments; packed on Apple)
    const slot = (n: number) => (cls.variant === 'apple' ? n : Math.ceil(n / 8) * 8);
    for (const p of a.pieces) if (p.at.kind === 'stack') for (let k = 0; k < slot(p.size); k++) owner.set(p.at.offset + k, a.index);
  }
  return owner;
}

/** Do the bytes the pieces cover (members only, padding and overwritten bytes ignored) agree? */
function covered(a: ArgClass, want: Uint8Array, got: Uint8Array, owner: ReadonlyMap<number, number>): boolean {
  if (a.byReference) return sameValue(a.type, want, got);
  const mask = new Uint8Array(a.size);
  for (const p of a.pieces) {
    for (let k = 0; k < p.size; k++) mask[p.from + k] = p.at.kind !== 'stack' || owner.get(p.at.offset + k) === a.index ? 1 : 0;
  }
  const masked = (b: Uint8Array) => b.map((x, i) => (mask[i] ? x : 0));
  return sameValue(a.type, masked(want), masked(got));
}

/**
 * Receiver side reports values (a C function, a JS callback): compare each with what was placed,
 * and when different say where the received bytes had been placed.
 */
export function checkReceivedArguments(
  cls: Classification,
  values: readonly Uint8Array[],
  received: readonly (Uint8Array | undefined)[],
  placed: MachineState,
): Mismatch[] {
  const out: Mismatch[] = [];
  for (const a of cls.args) {
    const want = values[a.index]!;
    const got = received[a.index];
    if (!got) {
      out.push({ what: argName(a), expected: describePieces(a), found: 'nothing received', expectedBytes: hex(want), actualBytes: '' });
      continue;
    }
    if (!sameValue(a.type, want, got)) {
      const places = locate(placed, needleOf(a.type, got));
      const found = places.length ? `read from ${places.slice(0, 3).join(', ')}` : 'received bytes that were not placed anywhere';
      out.push({ what: argName(a), expected: describePieces(a), found, expectedBytes: hex(want), actualBytes: hex(got) });
    }
  }
  return out;
}

/** Compare a result value (bytes) with the pattern. `state` (optional) helps to say where it was. */
export function checkResult(cls: Classification, want: Uint8Array | undefined, got: Uint8Array | undefined, state?: MachineState): Mismatch[] {
  const r = cls.result;
  if (!r || !want) return [];
  const what = `result (${formatType(r.type)})`;
  if (!got) return [{ what, expected: describePieces(r), found: 'no result', expectedBytes: hex(want), actualBytes: '' }];
  if (sameValue(r.type, want, got)) return [];
  return [{ what, expected: describePieces(r), found: state ? whereFound(state, want, r) : 'a different value', expectedBytes: hex(want), actualBytes: hex(got) }];
}

/** The result bytes as a caller sees them, per the model: registers, or the x8 block. */
export function resultFromState(cls: Classification, state: MachineState, memory: Uint8Array | undefined): Uint8Array | undefined {
  const r = cls.result;
  if (!r) return undefined;
  return r.indirect ? memory : gather(state, r.pieces, r.size);
}
