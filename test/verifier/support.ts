import { expect } from 'vitest';
import { assembleLlvm } from '../../src/bpf/llvm-asm.js';
import type { BpfInsn } from '../../src/bpf/instruction.js';
import type { VerifierMap, VerifyOptions, VerifyResult } from '../../src/bpf/verifier/index.js';
import { BpfVerifierError, verifyProgram } from '../../src/bpf/verifier/index.js';

/** Assemble LLVM-syntax lines (`;` also separates instructions). */
export const asm = (src: string): BpfInsn[] => assembleLlvm(src.replace(/;/g, '\n'));

export function accepts(src: string | BpfInsn[], options: VerifyOptions = {}): VerifyResult {
  const insns = typeof src === 'string' ? asm(src) : src;
  try {
    return verifyProgram(insns, options);
  } catch (e) {
    if (e instanceof BpfVerifierError) expect.fail(`rejected: ${e.message}`);
    throw e;
  }
}

export function rejection(src: string | BpfInsn[], options: VerifyOptions = {}): BpfVerifierError {
  const insns = typeof src === 'string' ? asm(src) : src;
  try {
    verifyProgram(insns, options);
  } catch (e) {
    if (e instanceof BpfVerifierError) return e;
    throw e;
  }
  return expect.fail('the program was accepted');
}

export const hashMap = (keySize: number, valueSize: number, name = 'm'): VerifierMap => ({ name, type: 1, keySize, valueSize, maxEntries: 16, flags: 0 });
export const arrayMap = (valueSize: number, name = 'a'): VerifierMap => ({ name, type: 2, keySize: 4, valueSize, maxEntries: 4, flags: 0 });
export const ringbufMap = (name = 'rb'): VerifierMap => ({ name, type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 });
