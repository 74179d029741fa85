import { describe, expect, it } from 'vitest';
import { assembleLlvm, assembleUbpf } from '../../src/bpf/index.js';
import { arrayMap } from '../verifier/support.js';
import { compileProgram } from '../../src/jit/compiler.js';
import { decodeJitImage, encodeJitImage, prepareImage } from '../../src/jit/image.js';
import { JitCompileError } from '../../src/jit/errors.js';
import { computeOracleBatch, decodeOracleBatch, encodeOracleBatch } from '../../src/jit/fuzz/oracle.js';
import { checkImage, decodeImageTarget, encodeImageTarget, fuzzImage, fuzzImageOptions, type ImageTarget } from '../../src/jit/fuzz/images.js';
import { generateProgram } from '../../src/bpf/program-generator.js';

/**
 * JIT images (src/jit/image.ts) are made on any host: this runs on the host's own CPU. The
 * arm64 side of loading them is test/jit/image.native.test.ts.
 */
const target: ImageTarget = { contextAddress: 0xffff_8000_1230n, lse: true };

describe('JIT images', () => {
  it('are exactly what compileProgram makes for the same options, and survive encoding', () => {
    const program = generateProgram(17).insns;
    const { image } = prepareImage(program, { atomics: 'llsc', contextAddress: 0x1234_5678_9ab0n, verify: false, budget: false });
    const direct = compileProgram(program, { contextAddress: 0x1234_5678_9ab0n, helperIds: new Set(), natives: new Map(), atomics: 'llsc', contain: true, sandbox: false, optimize: {} });
    expect(Buffer.from(image.compiled.code).equals(Buffer.from(direct.code))).toBe(true);
    const back = decodeJitImage(encodeJitImage(image));
    expect(back.contextAddress).toBe(0x1234_5678_9ab0n);
    expect(back.atomics).toBe('llsc');
    expect(back.maps).toEqual(image.maps);
    expect(back.program).toEqual(image.program);
    expect(Buffer.from(back.compiled.code).equals(Buffer.from(image.compiled.code))).toBe(true);
    expect([...back.compiled.origins]).toEqual([...image.compiled.origins]);
    expect(back.compiled.pcOffsets).toEqual(image.compiled.pcOffsets);
    expect(back.compiled.containment).toEqual(image.compiled.containment);
    expect(back.compiled.optimizer).toEqual(image.compiled.optimizer);
    expect([...back.compiled.info.lddwTails].sort()).toEqual([...image.compiled.info.lddwTails].sort());
    expect(back.compiled.slotNotes).toEqual(image.compiled.slotNotes);
    expect(encodeJitImage(back).equals(encodeJitImage(image))).toBe(true);
  });

  it("carry the sandbox's pointer-arithmetic checks, also through constant blinding", () => {
    // a map value, then an index masked wider than it (the verifier's sandbox-mode tests' shape)
    const program = assembleLlvm('*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = map_fd(0x0) ll\ncall 1\nif r0 != 0 goto +2\nr0 = 0\nexit\nr1 = *(u8 *)(r0 + 0)\nr1 &= 31\nr0 += r1\nr0 = *(u32 *)(r0 + 0)\nexit');
    const maps = [arrayMap(16)];
    const options = { atomics: 'llsc' as const, contextAddress: 0x1000n, sandbox: true, sandboxAnalysis: { maps }, nativeHelpers: new Map([[1, 0x2000n]]), resolvePseudo: () => 0x3000n };
    const { image } = prepareImage(program, options);
    expect([...(image.compiled.pointerChecks ?? [])].map(([pc, c]) => [pc, c.min, c.max])).toEqual([[11, 0, 12]]);
    const back = decodeJitImage(encodeJitImage(image));
    expect(back.compiled.pointerChecks).toEqual(image.compiled.pointerChecks);
    expect(encodeJitImage(back).equals(encodeJitImage(image))).toBe(true);
    // blinding inserts slots before the checked instruction: the check moves with it
    const blinded = prepareImage(program, { ...options, blind: { seed: 7 } }).image;
    const [[pc]] = [...(blinded.compiled.pointerChecks ?? [])];
    expect(pc).toBeGreaterThan(11);
    expect(blinded.program[pc!]).toEqual(program[11]);
  });

  it('embed the context address: another address is other code', () => {
    const program = assembleUbpf('mov %r0, 1\nexit');
    const a = prepareImage(program, { atomics: 'lse', contextAddress: 0x1000n, verify: false }).image.compiled.code;
    const b = prepareImage(program, { atomics: 'lse', contextAddress: 0xffff_ffff_1000n, verify: false }).image.compiled.code;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('refuse what compile refuses, with the same errors', () => {
    expect(() => prepareImage(assembleUbpf('call 1\nexit'), { atomics: 'lse', contextAddress: 0x1000n, verify: false, nativeHelpers: new Map([[2000, 1n]]) })).toThrow(JitCompileError);
    expect(() => prepareImage(assembleUbpf('mov %r0, %r1'), { atomics: 'lse', contextAddress: 0x1000n, verify: false })).toThrow(/exit|fall/i);
  });

  it('that are truncated or foreign are errors', () => {
    const bytes = encodeJitImage(prepareImage(assembleUbpf('mov %r0, 1\nexit'), { atomics: 'lse', contextAddress: 0x1000n, verify: false }).image);
    expect(() => decodeJitImage(bytes.subarray(0, bytes.length - 1))).toThrow(/JIT image: \d+ bytes, the header says \d+/);
    expect(() => decodeJitImage(Buffer.from('no image'))).toThrow(/bad magic/);
  });
});

describe('fuzz images (src/jit/fuzz/images.ts)', () => {
  it('compile each case with its seed mode, and travel in oracle batches', () => {
    expect(fuzzImageOptions('plain', 7, target).blind).toEqual({ seed: (7 * 2654435761) >>> 0 });
    expect(fuzzImageOptions('plain', 3, target).atomics).toBe('llsc');
    expect(fuzzImageOptions('plain', 0, target).atomics).toBe('lse');
    expect(fuzzImageOptions('plain', 0, { ...target, lse: false }).atomics).toBe('llsc');
    const batch = computeOracleBatch(100, 8);
    const cases = batch.cases.map((c) => ({ ...c, image: fuzzImage('plain', c, target)! }));
    const back = decodeOracleBatch(encodeOracleBatch({ ...batch, cases }));
    back.cases.forEach((c, k) => expect(Buffer.from(c.image!).equals(Buffer.from(cases[k]!.image))).toBe(true));
    expect(checkImage('plain', back.cases[0]!, target)).toBeUndefined();
  });

  it('the cross-check fails when the other process compiled something else', () => {
    const [c] = computeOracleBatch(5, 1).cases;
    const other = fuzzImage('plain', c!, { ...target, contextAddress: target.contextAddress + 0x10000n })!;
    expect(checkImage('plain', { ...c!, image: other }, target)).toMatch(/seed 5: the oracle process's JIT image differs from this process's .*first different code byte \d+/);
    expect(checkImage('plain', c!, target)).toBe('seed 5: only this process could compile the program');
  });

  it('targets survive the command line', () => {
    const t: ImageTarget = { contextAddress: 0xffff_ffff_fff0n, lse: false, nativeHelpers: [[1, 0xaaaa_bbbb_ccccn]], maps: [0x10n, 0xffff_0000_0000n] };
    expect(decodeImageTarget(encodeImageTarget(t))).toEqual(t);
  });
});
