/**
 * Materialised constants executed for real: each sequence (plus RET) becomes a function called
 * through the runtime, and must return the value. Also one Assembler-built function with labels,
 * so forward/backward branch patching is checked by execution, not only by encoding.
 */
import { describe, expect, it } from 'vitest';
import { Assembler, Cond, W0, X0, X1, addImm, cmpReg, materialize, ret, subImm } from '../../src/arm64/index.js';
import { loadFunction } from '../../src/runtime/index.js';
import { CONSTANTS_32, CONSTANTS_64 } from './constants.js';

function run(words: readonly number[], signature: string, ...args: bigint[]): bigint | number {
  const a = new Assembler();
  a.emitAll(words);
  a.emit(ret());
  const f = loadFunction(a.finish(), signature);
  try {
    return f.call(...args) as bigint | number;
  } finally {
    f.free();
  }
}

describe('materialised constants, executed', () => {
  it.each(CONSTANTS_64.map((v) => [`0x${v.toString(16)}`, v] as const))('64-bit %s', (_, v) => {
    expect(run(materialize(X0, v), 'uint64_t (void)')).toBe(v);
  });

  it.each(CONSTANTS_32.map((v) => [`0x${v.toString(16)}`, v] as const))('32-bit %s, zero-extended in x0', (_, v) => {
    // Returned as uint64_t: a W write must have cleared bits 63:32.
    expect(run(materialize(W0, v), 'uint64_t (void)')).toBe(v);
  });
});

describe('Assembler labels, executed', () => {
  it('counts down with a backward loop and a forward exit', () => {
    // x0 = 0; while (x1 != 0) { x0 += 3; x1 -= 1 }  -- loop head bound before use, exit bound after.
    const a = new Assembler();
    const head = a.newLabel();
    const exit = a.newLabel();
    a.materialize(X0, 0n);
    a.bind(head);
    a.cbz(X1, exit);
    a.emit(addImm(X0, X0, 3));
    a.emit(subImm(X1, X1, 1));
    a.b(head);
    a.bind(exit);
    a.emit(ret());
    const f = loadFunction(a.finish(), 'uint64_t (uint64_t, uint64_t)');
    try {
      expect(f.call(0n, 5n)).toBe(15n);
      expect(f.call(0n, 0n)).toBe(0n);
    } finally {
      f.free();
    }
  });

  it('selects with a conditional branch', () => {
    // return x0 < x1 (unsigned) ? 1 : 2
    const a = new Assembler();
    const less = a.newLabel();
    a.emit(cmpReg(X0, X1));
    a.bCond(Cond.LO, less);
    a.materialize(X0, 2n);
    a.emit(ret());
    a.bind(less);
    a.materialize(X0, 1n);
    a.emit(ret());
    const f = loadFunction(a.finish(), 'uint64_t (uint64_t, uint64_t)');
    try {
      expect(f.call(1n, 2n)).toBe(1n);
      expect(f.call(3n, 2n)).toBe(2n);
      expect(f.call(0xffffffffffffffffn, 0n)).toBe(2n);
    } finally {
      f.free();
    }
  });
});
