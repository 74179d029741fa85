/**
 * The AAPCS64 argument and result classification model: for a signature, where each byte of each
 * argument is when the callee starts, and where the result is when it returns.
 *
 * It follows the "Parameter passing rules" of the Procedure Call Standard for the Arm 64-bit
 * Architecture (AAPCS64, 2023Q3 and later numbering), section 6.8.2, stages A (initialisation),
 * B (pre-padding and extension) and C (assignment to registers and stack), and 6.9 "Result return".
 * The SVE rules (B.1, C.7, C.8: scalable types and predicate registers) are out of scope: no type
 * here is scalable.
 *
 * The 'apple' variant applies the documented differences of Apple's arm64 ABI ("Writing ARM64 code
 * for Apple platforms", section "Pass arguments to functions correctly"):
 *  - stack arguments are packed: each takes its own size at its natural alignment, not an 8-byte
 *    slot (AAPCS64 C.5 and C.16 do not apply; composites are still rounded by B.5);
 *  - the caller sign- or zero-extends arguments narrower than 32 bits to 32 bits;
 *  - all variadic (anonymous) arguments go on the stack, in 8-byte-aligned slots.
 */
import {
  homogeneousAggregate,
  isFloatScalar,
  isIntegralScalar,
  isSignedScalar,
  isVectorScalar,
  layoutOf,
  roundUp,
  type AbiType,
  type Homogeneous,
  type Signature,
} from './types.js';

export type Variant = 'aapcs64' | 'apple';

/** Where some bytes of a value are: a byte offset inside x<reg>/v<reg>, or an offset from the SP at entry. */
export type Location =
  | { readonly kind: 'x'; readonly reg: number; readonly byte: number }
  | { readonly kind: 'v'; readonly reg: number; readonly byte: number }
  | { readonly kind: 'stack'; readonly offset: number };

/** Bytes [from, from + size) of a value (or of the pointer to it, when passed by reference) are at `at`. */
export interface Piece {
  readonly from: number;
  readonly size: number;
  readonly at: Location;
}

export interface ArgClass {
  readonly index: number;
  readonly type: AbiType;
  readonly size: number;
  readonly align: number;
  readonly variadic: boolean;
  /** B.4: the argument is a copy in caller memory; `pieces` locate the 8-byte pointer to it */
  readonly byReference: boolean;
  readonly pieces: readonly Piece[];
  /** Apple: the caller extends a register argument narrower than 32 bits to 32 bits */
  readonly extendTo32?: { readonly signed: boolean };
  /** the rules that decided, e.g. 'AAPCS64 6.8.2 C.9' */
  readonly rules: readonly string[];
}

export interface ResultClass {
  readonly type: AbiType;
  readonly size: number;
  /** 6.9: returned through memory whose address the caller passes in x8 */
  readonly indirect: boolean;
  /** register pieces (empty when indirect) */
  readonly pieces: readonly Piece[];
  readonly rules: readonly string[];
}

export interface Classification {
  readonly variant: Variant;
  readonly signature: Signature;
  readonly args: readonly ArgClass[];
  readonly result: ResultClass | null;
  /** bytes of outgoing stack arguments (the final NSAA), before rounding */
  readonly stackBytes: number;
  /** the stack area a caller reserves: stackBytes rounded up to 16 (AAPCS64 6.4.5.1, SP mod 16 = 0) */
  readonly stackArea: number;
}

export class AbiModelError extends Error {
  override readonly name = 'AbiModelError';
}

const R = {
  A: 'AAPCS64 6.8.2 A.1-A.4: NGRN = NSRN = 0, NSAA = SP',
  B3: 'AAPCS64 6.8.2 B.3: HFA/HVA used unmodified',
  B4: 'AAPCS64 6.8.2 B.4: composite > 16 bytes replaced by a pointer to a caller copy',
  B5: 'AAPCS64 6.8.2 B.5: composite size rounded up to a multiple of 8',
  C1: 'AAPCS64 6.8.2 C.1: FP/short vector in v[NSRN]',
  C2: 'AAPCS64 6.8.2 C.2: HFA/HVA in consecutive v registers, one per member',
  C3: 'AAPCS64 6.8.2 C.3: HFA/HVA does not fit: NSRN = 8 (no back-filling)',
  C4: 'AAPCS64 6.8.2 C.4: NSAA rounded to 8 (alignment <= 8) or 16',
  C5: 'AAPCS64 6.8.2 C.5: half/single FP takes 8 bytes',
  C6: 'AAPCS64 6.8.2 C.6: FP/vector/HFA/HVA copied to the stack at NSAA',
  C9: 'AAPCS64 6.8.2 C.9: integral/pointer <= 8 bytes in x[NGRN]',
  C10: 'AAPCS64 6.8.2 C.10: alignment 16: NGRN rounded up to even',
  C11: 'AAPCS64 6.8.2 C.11: 16-byte integral in x[NGRN], x[NGRN+1]',
  C12: 'AAPCS64 6.8.2 C.12: composite in consecutive x registers',
  C13: 'AAPCS64 6.8.2 C.13: NGRN = 8 (no back-filling)',
  C14: 'AAPCS64 6.8.2 C.14: NSAA rounded up to max(8, natural alignment)',
  C15: 'AAPCS64 6.8.2 C.15: composite copied to the stack at NSAA',
  C16: 'AAPCS64 6.8.2 C.16: argument < 8 bytes takes 8 bytes',
  C17: 'AAPCS64 6.8.2 C.17: copied to the stack at NSAA',
  RES_REG: 'AAPCS64 6.9: result in the registers an argument of its type would use',
  RES_MEM: 'AAPCS64 6.9: result in memory at the address passed in x8',
  APPLE_PACK: 'Apple arm64: stack arguments packed at their natural alignment',
  APPLE_EXT: 'Apple arm64: caller extends arguments narrower than 32 bits to 32 bits',
  APPLE_VARARG: 'Apple arm64: variadic arguments on the stack, 8-byte aligned slots',
} as const;
export const RULES = R;

type Fundamental = 'integral' | 'fp' | 'composite';

function fundamentalOf(t: AbiType): Fundamental {
  if (t.kind === 'struct') return 'composite';
  return isIntegralScalar(t.scalar) ? 'integral' : 'fp';
}

/** Pieces for bytes [0, size) placed contiguously on the stack at `offset`. */
const stackPiece = (size: number, offset: number): Piece[] => [{ from: 0, size, at: { kind: 'stack', offset } }];

/**
 * Deviations of known implementations, modelled only to recognise the exact shape of their
 * failures (never used to decide what is correct).
 */
export interface ModelQuirks {
  /**
   * koffi 3.x defect C (arm64): after an HFA passed on the stack, the next stack argument is placed
   * 8 bytes after the HFA's start instead of after its end, overwriting its later members.
   */
  readonly hfaStackAdvance8?: boolean;
}

/** Classify a signature's arguments and result (AAPCS64 6.8.2, 6.9). */
export function classify(sig: Signature, variant: Variant = 'aapcs64', quirks: ModelQuirks = {}): Classification {
  if (sig.variadicFrom !== undefined && (sig.variadicFrom < 0 || sig.variadicFrom > sig.params.length))
    throw new AbiModelError(`${sig.id}: variadicFrom ${sig.variadicFrom} out of range`);
  // Stage A
  let ngrn = 0;
  let nsrn = 0;
  let nsaa = 0;
  const apple = variant === 'apple';

  const args = sig.params.map((type, index): ArgClass => {
    const { size: rawSize, align } = layoutOf(type);
    const variadic = sig.variadicFrom !== undefined && index >= sig.variadicFrom;
    const rules: string[] = [];
    const base = { index, type, size: rawSize, align, variadic };
    let fund = fundamentalOf(type);
    let size = rawSize;
    let naturalAlign = align;
    let byReference = false;
    const hfa: Homogeneous | null = homogeneousAggregate(type);

    // Stage B
    if (fund === 'composite' && hfa) rules.push(R.B3);
    else if (fund === 'composite' && size > 16) {
      rules.push(R.B4);
      byReference = true;
      fund = 'integral';
      size = 8;
      naturalAlign = 8;
    } else if (fund === 'composite') {
      size = roundUp(size, 8);
      rules.push(R.B5);
    }
    const result = (pieces: Piece[], extra: Partial<ArgClass> = {}): ArgClass => ({ ...base, byReference, pieces, rules, ...extra });

    if (apple && variadic) {
      // Apple: every anonymous argument goes to the stack, aligned to 8 (16 for 16-byte aligned
      // types), taking a multiple of 8 bytes; no register is used, NGRN and NSRN are unchanged.
      rules.push(R.APPLE_VARARG);
      nsaa = roundUp(nsaa, Math.max(8, naturalAlign));
      const at = nsaa;
      nsaa += roundUp(size, 8);
      return result(stackPiece(byReference ? 8 : rawSize, at));
    }

    if (fund === 'fp' || hfa) {
      const members = hfa ? hfa.count : 1;
      // C.1 / C.2
      if (nsrn + members <= 8) {
        rules.push(hfa ? R.C2 : R.C1);
        const memberSize = hfa ? hfa.baseSize : rawSize;
        const pieces = Array.from({ length: members }, (_, i): Piece => ({
          from: i * memberSize,
          size: memberSize,
          at: { kind: 'v', reg: nsrn + i, byte: 0 },
        }));
        nsrn += members;
        return result(pieces);
      }
      // C.3
      if (hfa) {
        nsrn = 8;
        rules.push(R.C3);
        if (!apple) size = roundUp(size, 8);
      }
      if (apple) {
        // Packed: natural alignment, own size (an HFA of floats takes 4 bytes per member).
        rules.push(R.APPLE_PACK);
        nsaa = roundUp(nsaa, naturalAlign);
      } else {
        // C.4, C.5
        nsaa = roundUp(nsaa, naturalAlign <= 8 ? 8 : 16);
        rules.push(R.C4);
        if (!hfa && rawSize < 8) {
          size = 8;
          rules.push(R.C5);
        }
      }
      // C.6
      rules.push(R.C6);
      const at = nsaa;
      if (hfa && quirks.hfaStackAdvance8 && size > 8) {
        nsaa += 8;
        return result(stackPiece(rawSize, at));
      }
      nsaa += size;
      return result(stackPiece(rawSize, at));
    }

    if (fund === 'integral' && size <= 8 && ngrn < 8) {
      // C.9
      rules.push(R.C9);
      const reg = ngrn++;
      const narrow = !byReference && type.kind === 'scalar' && rawSize < 4;
      if (apple && narrow && type.kind === 'scalar') {
        rules.push(R.APPLE_EXT);
        return result([{ from: 0, size, at: { kind: 'x', reg, byte: 0 } }], { extendTo32: { signed: isSignedScalar(type.scalar) } });
      }
      return result([{ from: 0, size, at: { kind: 'x', reg, byte: 0 } }]);
    }
    // C.10
    if (naturalAlign === 16 && ngrn % 2 === 1) {
      ngrn++;
      rules.push(R.C10);
    }
    // C.11
    if (fund === 'integral' && size === 16 && ngrn < 7) {
      rules.push(R.C11);
      const reg = ngrn;
      ngrn += 2;
      return result([
        { from: 0, size: 8, at: { kind: 'x', reg, byte: 0 } },
        { from: 8, size: 8, at: { kind: 'x', reg: reg + 1, byte: 0 } },
      ]);
    }
    // C.12
    if (fund === 'composite' && size / 8 <= 8 - ngrn) {
      rules.push(R.C12);
      const pieces: Piece[] = [];
      for (let j = 0; j * 8 < rawSize; j++) {
        pieces.push({ from: j * 8, size: Math.min(8, rawSize - j * 8), at: { kind: 'x', reg: ngrn + j, byte: 0 } });
      }
      ngrn += size / 8;
      return result(pieces);
    }
    // C.13
    ngrn = 8;
    rules.push(R.C13);
    if (apple && fund === 'integral') {
      // Packed: an int takes 4 bytes at a 4-byte boundary, a short 2 bytes, ...
      rules.push(R.APPLE_PACK);
      nsaa = roundUp(nsaa, naturalAlign);
    } else {
      // C.14
      nsaa = roundUp(nsaa, Math.max(8, naturalAlign));
      rules.push(R.C14);
      if (fund === 'composite') rules.push(R.C15);
      else if (size < 8) {
        size = 8;
        rules.push(R.C16);
      }
    }
    if (fund !== 'composite') rules.push(R.C17);
    const at = nsaa;
    nsaa += size;
    return result(stackPiece(byReference ? 8 : rawSize, at));
  });

  return {
    variant,
    signature: sig,
    args,
    result: sig.result ? classifyResult(sig.result) : null,
    stackBytes: nsaa,
    stackArea: roundUp(nsaa, 16),
  };
}

/**
 * AAPCS64 6.9: a result goes where `void f(T arg)` would pass `arg` in registers; if that would
 * not be in registers (a composite > 16 bytes that is not an HFA/HVA), the caller passes the
 * address of memory for it in x8. Identical on Apple platforms.
 */
export function classifyResult(type: AbiType): ResultClass {
  const { size } = layoutOf(type);
  const first = classify({ id: 'result', result: null, params: [type] }).args[0]!;
  if (first.byReference) return { type, size, indirect: true, pieces: [], rules: [R.B4, R.RES_MEM] };
  return { type, size, indirect: false, pieces: first.pieces, rules: [...first.rules, R.RES_REG] };
}

/** The variant of the machine this process runs on. */
export function hostVariant(): Variant {
  return process.platform === 'darwin' ? 'apple' : 'aapcs64';
}

/** Human form of a location: x3, x3+4, v1, stack+16. */
export function formatLocation(l: Location): string {
  if (l.kind === 'stack') return `stack+${l.offset}`;
  return `${l.kind}${l.reg}${l.byte ? `+${l.byte}` : ''}`;
}

/** Human form of where an argument is: 'x0,x1', 'v0..v3', 'stack+8', 'x2 (pointer)'. */
export function describePieces(a: Pick<ArgClass, 'pieces' | 'byReference'> | Pick<ResultClass, 'pieces' | 'indirect'>): string {
  if ('indirect' in a && a.indirect) return 'memory at x8';
  const text = a.pieces.map((p) => formatLocation(p.at)).join(',');
  return 'byReference' in a && a.byReference ? `${text} (pointer to a copy)` : text;
}

// Re-exported for rule tests and probes.
export { isFloatScalar, isVectorScalar };
