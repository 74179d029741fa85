/**
 * Typed errors of the AArch64 assembler. Everything thrown by `src/arm64` is an `A64Error`, so a
 * caller (the BPF JIT) can tell an assembler refusal from a bug of its own.
 */
export class A64Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An operand that cannot be encoded: wrong register class, unencodable immediate, misaligned offset... */
export class A64EncodeError extends A64Error {
  constructor(
    /** The instruction being encoded, e.g. `add` or `ldr`. */
    readonly mnemonic: string,
    /** Which operand was refused, e.g. `rd`, `imm`, `offset`. */
    readonly operand: string,
    /** Why, in words. */
    readonly reason: string,
  ) {
    super(`${mnemonic}: operand ${operand}: ${reason}`);
  }
}

/**
 * A PC-relative target out of the instruction's reach. Thrown rather than truncating the offset;
 * a JIT catches it (or asks `Assembler.inRange` first) and relaxes, e.g. `b.cond` over a `b`.
 */
export class A64BranchRangeError extends A64EncodeError {
  constructor(
    mnemonic: string,
    /** Byte distance from the instruction to the target. */
    readonly distance: number,
    /** Largest reachable distance in bytes (the range is [-limit, limit - 4] for branches). */
    readonly limit: number,
  ) {
    super(mnemonic, 'target', `distance ${distance} bytes is out of range (reach is +-${limit} bytes)`);
  }
}

/** Misuse of labels: binding twice, finishing with unbound labels, foreign labels. */
export class A64LabelError extends A64Error {}

/** A word the disassembler cannot decode. */
export class A64DecodeError extends A64Error {
  constructor(readonly word: number) {
    super(`cannot decode 0x${(word >>> 0).toString(16).padStart(8, '0')}`);
  }
}
