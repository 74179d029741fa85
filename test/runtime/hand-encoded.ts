/**
 * Hand-encoded AArch64 functions for the runtime tests (issue 2 predates the assembler).
 * Each word is checked against llvm-mc-22 by hand-encoded.test.ts, so a typo cannot hide.
 */
export interface HandFunction {
  readonly signature: string;
  /** one instruction per entry: LLVM assembly text and its 32-bit encoding */
  readonly code: readonly (readonly [string, number])[];
}

export const return42: HandFunction = {
  signature: 'int64_t (void)',
  code: [
    ['mov x0, #42', 0xd2800540],
    ['ret', 0xd65f03c0],
  ],
};

export const return7: HandFunction = {
  signature: 'int64_t (void)',
  code: [
    ['mov x0, #7', 0xd28000e0],
    ['ret', 0xd65f03c0],
  ],
};

export const add2: HandFunction = {
  signature: 'int64_t (int64_t, int64_t)',
  code: [
    ['add x0, x0, x1', 0x8b010000],
    ['ret', 0xd65f03c0],
  ],
};

/** AAPCS64 6.8.2: integer args 1-8 in x0-x7, args 9 and 10 in the stack slots [sp] and [sp, #8]. */
export const sum10: HandFunction = {
  signature: 'int64_t (int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)',
  code: [
    ['add x0, x0, x1', 0x8b010000],
    ['add x0, x0, x2', 0x8b020000],
    ['add x0, x0, x3', 0x8b030000],
    ['add x0, x0, x4', 0x8b040000],
    ['add x0, x0, x5', 0x8b050000],
    ['add x0, x0, x6', 0x8b060000],
    ['add x0, x0, x7', 0x8b070000],
    ['ldr x9, [sp]', 0xf94003e9],
    ['ldr x10, [sp, #8]', 0xf94007ea],
    ['add x0, x0, x9', 0x8b090000],
    ['add x0, x0, x10', 0x8b0a0000],
    ['ret', 0xd65f03c0],
  ],
};

/** a * b + a, in d0/d1 (AAPCS64: floating-point args and result in v registers). */
export const mulAdd: HandFunction = {
  signature: 'double (double, double)',
  code: [
    ['fmul d2, d0, d1', 0x1e610802],
    ['fadd d0, d2, d0', 0x1e602840],
    ['ret', 0xd65f03c0],
  ],
};

/** 10^6 iterations adding 3: returns 3,000,000. */
export const loopMillion: HandFunction = {
  signature: 'int64_t (void)',
  code: [
    ['mov x0, #0', 0xd2800000],
    ['mov x1, #16960', 0xd2884801],
    ['movk x1, #15, lsl #16', 0xf2a001e1],
    ['add x0, x0, #3', 0x91000c00],
    ['subs x1, x1, #1', 0xf1000421],
    ['b.ne #-8', 0x54ffffc1],
    ['ret', 0xd65f03c0],
  ],
};

export const allHandFunctions = { return42, return7, add2, sum10, mulAdd, loopMillion };

export function bytesOf(fn: HandFunction): Uint8Array {
  const bytes = new Uint8Array(fn.code.length * 4);
  const view = new DataView(bytes.buffer);
  fn.code.forEach(([, word], i) => view.setUint32(i * 4, word, true));
  return bytes;
}
