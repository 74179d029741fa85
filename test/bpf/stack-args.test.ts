import { describe, expect, it } from 'vitest';
import type { NativeFunction } from '../../src/bpf/helpers.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { assembleUbpf } from '../../src/bpf/ubpf-assembler.js';
import { BpfValidationError, validateProgram } from '../../src/bpf/validate.js';
import { callerArgs, digitsCallee, sumCallee, twoCalleesProgram, pointerAndSizeProgram } from '../support/stack-arg-programs.js';

/**
 * Functions with more than five arguments (docs/bpf-stack-args.md): args 6..12 go through
 * R11 slots, `[r11-8*k]` outgoing in the caller and `[r11+8*k]` incoming in the callee.
 */

const run = (lines: readonly string[], natives?: ReadonlyMap<number, NativeFunction>, mem?: Uint8Array): bigint =>
  interpret(assembleUbpf(lines.join('\n')), { natives, mem, validate: natives ? { natives } : true }).value;

function rejection(lines: readonly string[], natives?: ReadonlyMap<number, NativeFunction>): BpfValidationError {
  try {
    validateProgram(assembleUbpf(lines.join('\n')), natives ? { natives } : {});
  } catch (e) {
    if (e instanceof BpfValidationError) return e;
    throw e;
  }
  throw new Error('the program was accepted');
}

describe('stack arguments: BPF-to-BPF calls', () => {
  // Hex digits 1..n in argument order: any swapped, lost or shifted slot changes the result.
  it.each([6, 8, 9, 12])('passes %i arguments in order', (n) => {
    const program = [...callerArgs(n), 'call local f', 'exit', ...digitsCallee('f', n)];
    expect(run(program)).toBe(BigInt(`0x${'123456789abc'.slice(0, n)}`));
  });

  it('a 10-argument function returns the sum of 1..10 = 55', () => {
    expect(run([...callerArgs(10), 'call local sum10', 'exit', ...sumCallee('sum10', 10)])).toBe(55n);
  });

  it('two callees with 10 and 12 arguments: 55 + 78 = 133, slots stored again for the second call', () => {
    expect(run(twoCalleesProgram())).toBe(133n);
  });

  it('nested: an 8-argument function forwards arguments 2..8 to a 7-argument one', () => {
    const program = [
      ...callerArgs(8),
      'call local f8',
      'exit',
      'f8:',
      // incoming slots first: loads must precede any r11 store or call
      'ldxdw %r6, [%r11+8]',
      'ldxdw %r7, [%r11+16]',
      'ldxdw %r8, [%r11+24]',
      'mov %r9, %r1',
      'mov %r1, %r2',
      'mov %r2, %r3',
      'mov %r3, %r4',
      'mov %r4, %r5',
      'mov %r5, %r6',
      'stxdw [%r11-8], %r7',
      'stxdw [%r11-16], %r8',
      'call local g7',
      // g7 returned digits of (a2..a8) = 0x2345678; put a1 (kept in the callee-saved r9) on top
      'lsh %r9, 28',
      'add %r0, %r9',
      'exit',
      ...digitsCallee('g7', 7),
    ];
    expect(run(program)).toBe(0x12345678n);
  });

  it('a callee reading only its highest argument still needs every lower slot stored', () => {
    const callee = ['f7:', 'ldxdw %r0, [%r11+16]', 'exit'];
    expect(run([...callerArgs(7), 'call local f7', 'exit', ...callee])).toBe(7n);
    expect(rejection(['stdw [%r11-16], 7', 'call local f7', 'exit', ...callee]).reason).toBe(
      'callee expects 7 args, stack arg1 is not initialized',
    );
  });

  it('reports the expected layout to the JIT', () => {
    const info = validateProgram(assembleUbpf([...callerArgs(9), 'call local f', 'exit', ...digitsCallee('f', 9)].join('\n')));
    expect(info.functions.map((f) => [f.stackArgsOut, f.stackArgsIn])).toEqual([
      [4, 0],
      [0, 4],
    ]);
  });
});

describe('stack arguments: native functions (CALL src 2)', () => {
  const natives = new Map<number, NativeFunction>([
    [1, { name: 'sum10', arity: 10, call: (args) => args.reduce((a, b) => a + b, 0n) }],
    [
      2,
      {
        // sum of the bytes of a buffer given as (pointer, size) in arguments 6 and 7
        name: 'sum_buf',
        arity: 7,
        call: (args, env) => {
          let total = 0n;
          const [ptr, size] = [args[5] as bigint, args[6] as bigint];
          for (let i = 0n; i < size; i++) total += env.memory.load(ptr + i, 1, env.pc);
          return total + (args[0] as bigint);
        },
      },
    ],
  ]);

  it('10 scalars: 55', () => {
    expect(run([...callerArgs(10), 'call native 1', 'exit'], natives)).toBe(55n);
  });

  it('a memory pointer and its size in arguments 6 and 7', () => {
    const mem = Uint8Array.from([10, 20, 30, 40, 50]);
    const program = pointerAndSizeProgram('call native 2');
    expect(run(program, natives, mem)).toBe(1n + 10n + 20n + 30n + 40n + 50n);
  });

  it('a native function with missing slots is rejected with the arity from the registry', () => {
    expect(rejection(['stdw [%r11-8], 6', 'call native 1', 'exit'], natives).reason).toBe(
      'callee expects 10 args, stack arg2 is not initialized',
    );
  });
});

describe('stack arguments: verifier rules', () => {
  const f6 = ['f6:', 'ldxdw %r0, [%r11+8]', 'exit'];

  it.each([
    ['ALU on r11', ['add %r11, 1', 'exit']],
    ['r11 as a source register', ['mov %r0, %r11', 'exit']],
    ['32-bit store', ['stxw [%r11-8], %r1', 'call local f6', 'exit', ...f6]],
    ['offset -4', ['stxdw [%r11-4], %r1', 'exit']],
    ['offset 0', ['stxdw [%r11+0], %r1', 'exit']],
    ['store to a positive offset', ['stxdw [%r11+8], %r1', 'exit']],
    ['load from a negative offset', ['mov %r0, 0', 'exit', 'f:', 'ldxdw %r0, [%r11-8]', 'exit']],
    ['32-bit load', ['call local f', 'exit', 'f:', 'ldxw %r0, [%r11+8]', 'exit']],
    ['atomic on r11', ['lock add [%r11-8], %r1', 'exit']],
    ['loading into r11', ['call local f', 'exit', 'f:', 'ldxdw %r11, [%r10-8]', 'exit']],
  ])('%s: R11 is invalid', (_what, lines) => {
    expect(rejection(lines).reason).toBe('R11 is invalid');
  });

  it('the entry function has no incoming stack arguments', () => {
    const e = rejection(['ldxdw %r0, [%r11+8]', 'exit']);
    expect(e.reason).toBe('invalid read from stack arg off 8 depth 0');
    expect(e.pc).toBe(0);
  });

  it('a 7-argument call without arg 6 stored', () => {
    const e = rejection(['stdw [%r11-16], 7', 'call local f7', 'exit', 'f7:', 'ldxdw %r0, [%r11+16]', 'exit']);
    expect(e.reason).toBe('callee expects 7 args, stack arg1 is not initialized');
    expect(e.pc).toBe(1);
  });

  it('a store missing on one branch only', () => {
    const lines = ['mov %r1, 1', 'jeq %r1, 0, skip', 'stdw [%r11-8], 6', 'skip:', 'call local f6', 'exit', ...f6];
    expect(rejection(lines).reason).toBe('callee expects 6 args, stack arg1 is not initialized');
    // stored on both branches: accepted
    const both = ['mov %r1, 1', 'jeq %r1, 0, other', 'stdw [%r11-8], 6', 'ja done', 'other:', 'stdw [%r11-8], 7', 'done:', 'call local f6', 'exit', ...f6];
    expect(() => validateProgram(assembleUbpf(both.join('\n')))).not.toThrow();
  });

  it('slots are invalid after a call: reuse for a second call without storing again', () => {
    const lines = ['stdw [%r11-8], 6', 'call local f6', 'call local f6', 'exit', ...f6];
    const e = rejection(lines);
    expect(e.reason).toBe('callee expects 6 args, stack arg1 is not initialized');
    expect(e.pc).toBe(2);
    // a helper call in between clobbers the slots too
    expect(rejection(['stdw [%r11-8], 6', 'call 1', 'call local f6', 'exit', ...f6]).pc).toBe(2);
  });

  it('writing beyond 7 slots', () => {
    expect(rejection(['stdw [%r11-80], 1', 'exit']).reason).toBe('stack arg write offset -80 exceeds max 7 stack args');
    expect(rejection(['stdw [%r11-64], 1', 'exit']).reason).toBe('stack arg write offset -64 exceeds max 7 stack args');
  });

  it('writing more slots than any call needs', () => {
    const lines = [...callerArgs(10), 'call local f7', 'exit', 'f7:', 'ldxdw %r0, [%r11+16]', 'exit'];
    expect(rejection(lines).reason).toBe('func#0 writes 5 stack arg slots, but calls only require 2');
    expect(rejection(['stdw [%r11-8], 1', 'exit']).reason).toBe('func#0 writes 1 stack arg slots, but calls only require 0');
  });

  it('r11 loads must come before any r11 store or call', () => {
    const afterStore = ['call local f', 'exit', 'f:', 'stdw [%r11-8], 1', 'ldxdw %r0, [%r11+8]', 'call local f6', 'exit', ...f6];
    expect(rejection([...callerArgs(6), ...afterStore]).reason).toBe('r11 load must be before any r11 store or call insn');
    const afterCall = ['call local f', 'exit', 'f:', 'call 1', 'ldxdw %r0, [%r11+8]', 'exit'];
    expect(rejection([...callerArgs(6), ...afterCall]).reason).toBe('r11 load must be before any r11 store or call insn');
    // also when the call is only on one path to the load
    const onePath = ['call local f', 'exit', 'f:', 'jeq %r1, 0, l', 'call 1', 'l:', 'ldxdw %r0, [%r11+8]', 'exit'];
    expect(rejection([...callerArgs(6), ...onePath]).reason).toBe('r11 load must be before any r11 store or call insn');
  });

  it('reading beyond 12 arguments', () => {
    expect(rejection(['call local f', 'exit', 'f:', 'ldxdw %r0, [%r11+64]', 'exit']).reason).toBe(
      'stack arg read offset 64 exceeds max 7 stack args',
    );
  });

  it('tail calls cannot be mixed with stack arguments', () => {
    const lines = [...callerArgs(6), 'call local f6', 'call 12', 'exit', ...f6];
    expect(rejection(lines).reason).toMatch(/tail call/);
  });
});
