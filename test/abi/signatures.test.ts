// The corpus and the random generator: deterministic, well-formed, and C compiles what they make.
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/abi/classify.js';
import { compileSharedObject, findCompiler, generateC } from '../../src/abi/c-oracle.js';
import { corpus } from '../../src/abi/corpus.js';
import { randomSignatures } from '../../src/abi/random-signatures.js';
import { formatSignature, parseSignature } from '../../src/abi/signature-text.js';
import { layoutOf } from '../../src/abi/types.js';

describe('signature corpus', () => {
  const sigs = corpus();
  it('has unique names and round-trips through the text form', () => {
    expect(new Set(sigs.map((s) => s.id)).size).toBe(sigs.length);
    for (const s of sigs) expect(formatSignature(parseSignature(formatSignature(s)))).toBe(formatSignature(s));
  });
  it('covers the edge cases the issue lists', () => {
    const text = sigs.map(formatSignature);
    const sizes = new Set(sigs.flatMap((s) => s.params.filter((t) => t.kind === 'struct').map((t) => layoutOf(t).size)));
    for (let n = 1; n <= 16; n++) expect(sizes.has(n), `struct of ${n} bytes`).toBe(true);
    expect([...sizes].some((n) => n > 16)).toBe(true);
    expect(sigs.some((s) => s.params.filter((t) => t.kind === 'scalar' && t.scalar === 'i64').length >= 9)).toBe(true);
    expect(sigs.some((s) => s.params.filter((t) => t.kind === 'scalar' && t.scalar === 'f64').length >= 9)).toBe(true);
    for (const hfa of ['{f32}', '{f32,f32}', '{f32,f32,f32}', '{f32,f32,f32,f32}', '{f64}', '{f64,f64}', '{f64,f64,f64}', '{f64,f64,f64,f64}'])
      expect(text.some((t) => t.includes(hfa)), hfa).toBe(true);
    expect(text.some((t) => t.includes('@16'))).toBe(true);
    expect(text.some((t) => t.includes('i128'))).toBe(true);
    expect(sigs.some((s) => s.variadicFrom !== undefined)).toBe(true);
    expect(sigs.some((s) => classify(s).result?.indirect)).toBe(true);
  });
});

describe('random signatures', () => {
  it('are a function of the seed', () => {
    expect(randomSignatures(7, 50).map(formatSignature)).toEqual(randomSignatures(7, 50).map(formatSignature));
    expect(randomSignatures(7, 50).map(formatSignature)).not.toEqual(randomSignatures(8, 50).map(formatSignature));
  });
  it('respect C: a named parameter before ..., and only promoted types after it', () => {
    const sigs = randomSignatures(3, 2000);
    const variadic = sigs.filter((s) => s.variadicFrom !== undefined);
    expect(variadic.length).toBeGreaterThan(50);
    for (const s of variadic) {
      expect(s.variadicFrom!).toBeGreaterThanOrEqual(1);
      for (const t of s.params.slice(s.variadicFrom)) {
        if (t.kind === 'scalar') expect(['i8', 'u8', 'i16', 'u16', 'f32']).not.toContain(t.scalar);
      }
    }
  });
  it('exercise the stack in both register classes', () => {
    const cls = randomSignatures(1, 700).map((s) => classify(s));
    expect(cls.filter((c) => c.args.some((a) => a.pieces.some((p) => p.at.kind === 'stack'))).length).toBeGreaterThan(150);
    expect(cls.filter((c) => c.args.some((a) => a.pieces.some((p) => p.at.kind === 'v' && p.at.reg === 7))).length).toBeGreaterThan(50);
  });
});

describe('C oracle source', () => {
  const sigs = [...corpus(), ...randomSignatures(1, 100)];
  for (const id of ['gcc', 'clang'] as const) {
    const compiler = findCompiler(id);
    it.skipIf(!compiler)(`compiles for arm64 with ${id}, every callee and caller exported`, () => {
      const so = compileSharedObject(compiler!, generateC(sigs));
      expect(so).toMatch(/\.so$/);
    });
  }
  it('names a variadic callee after its last named parameter', () => {
    const c = generateC([parseSignature('void(i32,...,f64)')]);
    expect(c).toContain('__builtin_va_start(ap, a0)');
    expect(c).toContain('double v = __builtin_va_arg(ap, double)');
  });
});
