import { describe, expect, it } from 'vitest';
import { assembleUbpf } from '../../src/bpf/index.js';
import { CONTEXT_SIZE } from '../../src/jit/context-layout.js';
import { JitArgumentError } from '../../src/jit/errors.js';
import { decodeJitImage, encodeJitImage, prepareImage } from '../../src/jit/image.js';
import { JitProgram } from '../../src/jit/program.js';
import { generateProgram } from '../../src/bpf/program-generator.js';
import { bufferAddress, hostInfo } from '../../src/runtime/index.js';

/**
 * JitProgram.load (src/jit/image.ts): an image made for a context block runs like the program
 * compile() makes, is registered as a code range, and is refused for another block or other helpers.
 */
const atomics = hostInfo().lse ? 'lse' : 'llsc';

describe('JitProgram.load', () => {
  it('runs an image made elsewhere exactly like compile() runs the program', () => {
    for (const seed of [1, 2, 7]) {
      const g = generateProgram(seed);
      const context = Buffer.alloc(CONTEXT_SIZE);
      const bytes = encodeJitImage(prepareImage(g.insns, { atomics, contextAddress: bufferAddress(context), verify: false, budget: false }).image);
      const loaded = JitProgram.load(decodeJitImage(bytes), context);
      const compiled = JitProgram.compile(g.insns, { atomics, verify: false, budget: false });
      try {
        expect(Buffer.from(loaded.code).equals(Buffer.from(compiled.code))).toBe(false); // other context block, other code
        const a = Buffer.from(g.mem);
        const b = Buffer.from(g.mem);
        expect(loaded.run(a)).toBe(compiled.run(b));
        expect(a.equals(b)).toBe(true);
        expect(loaded.codeRange?.size).toBe(loaded.code.length);
      } finally {
        loaded.free();
        compiled.free();
      }
    }
  });

  it('fills the helper table of the context block it is given', () => {
    const program = assembleUbpf('mov %r1, 20\ncall 1\nadd %r0, 1\nexit');
    const context = Buffer.alloc(CONTEXT_SIZE);
    const helpers = new Map([[1, (r1: bigint) => r1 * 2n]]);
    const { image } = prepareImage(program, { atomics, contextAddress: bufferAddress(context), verify: false, helpers });
    const p = JitProgram.load(image, context, { helpers });
    try {
      expect(p.run()).toBe(41n);
    } finally {
      p.free();
    }
    expect(() => JitProgram.load(image, context)).toThrow(/load: the image calls helpers \[1\], the options give \[\]/);
  });

  it('refuses an image made for another context block', () => {
    const context = Buffer.alloc(CONTEXT_SIZE);
    const { image } = prepareImage(assembleUbpf('mov %r0, 1\nexit'), { atomics, contextAddress: bufferAddress(context) + 64n, verify: false });
    expect(() => JitProgram.load(image, context)).toThrow(JitArgumentError);
    expect(() => JitProgram.load(image, context)).toThrow(/compiled for the context block at 0x[0-9a-f]+, not 0x[0-9a-f]+/);
    expect(() => JitProgram.load(image, Buffer.alloc(8))).toThrow(/context block must be \d+ bytes/);
  });
});
