/**
 * Pointer-arithmetic checks of the sandbox (issue 10): the one model the verifier's sandbox
 * mode, the interpreter and the JIT share. Pure data and arithmetic, no engine.
 *
 * Run-time region checks know regions, not which object a pointer came from: an array map's
 * values are one region of elements, so `value + (i & 7) * 4` in a 16-byte value reads the
 * NEXT element's bytes, memory the program may touch, and no access check can tell. Where the
 * sandbox's analysis knows a map-value pointer's exact offset F before `ptr += scalar` (or
 * `-=`, or `scalar += ptr`) but cannot prove the scalar keeps it inside its value, the
 * instruction itself is checked, while the element it came from is still known: the new
 * offset t = F +- scalar must lie in [0, value_size), as the kernel requires of unprivileged
 * programs (kernel/bpf/verifier.c, retrieve_ptr_limit: "pointer arithmetic of map value goes
 * out of range, prohibited for !root"), and every access the analysis saw through the pointer
 * afterwards (at t + c + off, c a constant added since) must fit in the value: [min, max] is
 * the window of t that satisfies them all. A program the verifier accepts never leaves it (its
 * proof covers every t the scalar can be); one it refuses stops at the arithmetic, before the
 * access.
 */

export interface PointerCheck {
  /** the register holding the scalar operand */
  readonly scalarReg: number;
  /** the destination register (the pointer afterwards), for the message */
  readonly dst: number;
  /** `ptr -= scalar`: the offset becomes base - scalar */
  readonly negate: boolean;
  /** the pointer's offset into its value before the instruction (a known constant) */
  readonly base: number;
  /** the value's size */
  readonly limit: number;
  /** the offsets t the instruction may produce (inclusive): [0, limit - 1] and what the accesses through it need */
  readonly min: number;
  readonly max: number;
  /** the map's name, for the message */
  readonly map: string;
}

/** The pointer's offset after the instruction for this scalar operand (as a signed number). */
export function checkedOffset(c: PointerCheck, scalar: bigint): bigint {
  const s = BigInt.asIntN(64, scalar);
  return BigInt.asIntN(64, c.negate ? BigInt(c.base) - s : BigInt(c.base) + s);
}

/** Whether the offset lies in the check's window. */
export function offsetInside(c: PointerCheck, offset: bigint): boolean {
  return offset >= BigInt(c.min) && offset <= BigInt(c.max);
}

/** The run-time message, the same from both engines. */
export function pointerCheckMessage(c: PointerCheck, offset: bigint): string {
  const need = c.min === 0 && c.max === c.limit - 1 ? `outside value_size=${c.limit}` : c.min > c.max ? `one no access through the pointer can use (value_size=${c.limit})` : `outside ${c.min}..${c.max}, what the accesses through the pointer allow in value_size=${c.limit}`;
  return `R${c.dst} pointer arithmetic of map value goes out of range: offset ${offset} is ${need} of map '${c.map}'`;
}
