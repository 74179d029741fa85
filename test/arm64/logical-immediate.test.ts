/**
 * Logical immediates: the encoder and decoder are inverse over every N:immr:imms, and the full
 * set of representable values is checked against llvm-mc-22 (each must assemble, to our fields).
 */
import { describe, expect, it } from 'vitest';
import { allLogicalImmediates, decodeLogicalImmediate, encodeLogicalImmediate, orrImm, X0, W0 } from '../../src/arm64/index.js';
import { rng } from './corpus.js';
import { LLVM_MC, hasTool, llvmMcEncode, wordHex } from './llvm-oracle.js';

describe('logical immediates', () => {
  for (const width of [64, 32] as const) {
    it(`${width}-bit: decode(encode(v)) = v for every decodable field combination, and encode is canonical`, () => {
      for (let n = 0; n <= 1; n++)
        for (let immr = 0; immr < 64; immr++)
          for (let imms = 0; imms < 64; imms++) {
            const v = decodeLogicalImmediate(n, immr, imms, width);
            if (v === null) continue;
            const f = encodeLogicalImmediate(v, width);
            expect(f).not.toBeNull();
            expect(decodeLogicalImmediate(f!.n, f!.immr, f!.imms, width)).toBe(v);
          }
    });

    it.skipIf(!hasTool(LLVM_MC))(`${width}-bit: every representable value assembles in llvm-mc to our encoding`, () => {
      const values = allLogicalImmediates(width);
      const rd = width === 64 ? X0 : W0;
      const lines = values.map((v) => `orr ${rd.name}, ${rd.name}, #0x${v.toString(16)}`);
      const theirs = llvmMcEncode(lines);
      const ours = values.map((v) => wordHex(orrImm(rd, rd, v)));
      expect(ours).toEqual(theirs);
    });
  }

  it('rejects 0, all-ones, out-of-width values and random non-patterns', () => {
    expect(encodeLogicalImmediate(0n, 64)).toBeNull();
    expect(encodeLogicalImmediate(-1n, 64)).toBeNull();
    expect(encodeLogicalImmediate(0xffffffffn, 32)).toBeNull();
    expect(encodeLogicalImmediate(0x1_0000_0000n, 32)).toBeNull();
    expect(decodeLogicalImmediate(1, 0, 0, 32)).toBeNull();
    const all = new Set(allLogicalImmediates(64));
    const r = rng(3);
    for (let i = 0; i < 2000; i++) {
      const v = BigInt(Math.floor(r() * 2 ** 32)) | (BigInt(Math.floor(r() * 2 ** 32)) << 32n);
      expect(encodeLogicalImmediate(v, 64) !== null).toBe(all.has(v));
    }
  });
});
