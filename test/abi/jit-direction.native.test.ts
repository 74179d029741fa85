// Direction 4 of the AAPCS64 matrix: BPF compiled by the JIT calls C functions (gcc's and clang's
// builds of direction 2's recording callees) with 1 to 12 integer/pointer arguments through
// R1-R5 and the R11 stack-argument slots; every argument must arrive intact.
import { beforeAll, describe, expect, it } from 'vitest';
import { findCompiler, oracleLibrary } from '../../src/abi/c-oracle.js';
import { corpus } from '../../src/abi/corpus.js';
import { exchangeBuffer } from '../../src/abi/directions/c-oracle.js';
import { NOT_EXPRESSIBLE, jitToC, jitToClang, jitToGcc, notExpressibleInBpf, type DirectionRun } from '../../src/abi/directions/index.js';
import { randomSignatures } from '../../src/abi/random-signatures.js';
import { parseSignature } from '../../src/abi/signature-text.js';
import type { Signature } from '../../src/abi/types.js';

const ctx = { variant: 'aapcs64' as const, seed: 1 };
const signatures: Signature[] = [...corpus(), ...randomSignatures(6, 120, { integerOnly: 0.6 })];
const arity = new Map(signatures.map((s) => [s.id, s.params.length]));
const runs = new Map<string, DirectionRun>();

beforeAll(async () => {
  for (const d of [jitToGcc, jitToClang]) {
    expect(d.unavailable(ctx)).toBeUndefined();
    runs.set(d.id, await d.run(signatures, ctx));
  }
}, 900_000);

for (const id of ['jit-to-gcc', 'jit-to-clang']) {
  describe(`${id}: BPF (JIT) -> C`, () => {
    it('every signature BPF can express passes', () => {
      const r = runs.get(id)!;
      const bad = r.outcomes.filter((o) => o.status !== 'pass' && o.status !== 'skipped');
      expect(bad.map((o) => `${o.id} ${o.signature} ${o.reason ?? ''} ${JSON.stringify(o.mismatches)}`)).toEqual([]);
      const expressible = signatures.filter((s) => !notExpressibleInBpf(s)).length;
      expect(r.outcomes.filter((o) => o.status === 'pass').length).toBe(expressible);
      expect(expressible).toBeGreaterThanOrEqual(80);
    });

    it('checked at least one signature (corpus and random) for every arity 6..12', () => {
      const passed = runs.get(id)!.outcomes.filter((o) => o.status === 'pass');
      for (let n = 6; n <= 12; n++) {
        expect(passed.filter((o) => !o.id.startsWith('rand-') && arity.get(o.id) === n).length, `corpus, ${n} args`).toBeGreaterThanOrEqual(1);
        expect(passed.filter((o) => o.id.startsWith('rand-') && arity.get(o.id) === n).length, `random, ${n} args`).toBeGreaterThanOrEqual(1);
      }
    });

    it('skips only what BPF cannot express', () => {
      const reasons = new Set<string>(Object.values(NOT_EXPRESSIBLE));
      for (const o of runs.get(id)!.outcomes.filter((x) => x.status === 'skipped')) expect(reasons.has(o.reason ?? '')).toBe(true);
    });
  });
}

/** Exchange the places two arguments are given in (registers or R11 slots) in the program text. */
const swap = (a: string, b: string) => (source: string) => source.replaceAll(a, '\u0000').replaceAll(b, a).replaceAll('\u0000', b);

describe('the check catches a wrong placement', () => {
  const sig = parseSignature('i64(i64,i64,i64,i64,i64,i64,ptr,u8,u64,i64,ptr,i16)', 'swap-me');
  const describeMismatches = (edit?: (s: string) => string): string[] => {
    const lib = oracleLibrary(findCompiler('gcc')!, [sig]);
    const io = exchangeBuffer(lib);
    return jitToC(lib, io, 0, ctx, edit ? { edit } : {}).map((m) => `${m.what}: ${m.expected} | ${m.found}`);
  };

  it('the unmodified program passes', () => {
    expect(describeMismatches()).toEqual([]);
  });

  it('swapping the slots of arguments 6 and 7 (x5, x6) fails both, naming where the bytes came from', () => {
    expect(describeMismatches(swap('[%r11-8]', '[%r11-16]'))).toEqual([
      'arg 5 (i64): x5 (BPF [%r11-8]) | read from x6; the program put those bytes in [%r11-16] (arg 6)',
      'arg 6 (ptr): x6 (BPF [%r11-16]) | read from x5; the program put those bytes in [%r11-8] (arg 5)',
    ]);
  });

  it('swapping the slots of arguments 10 and 11 ([sp+8], [sp+16]) fails both', () => {
    expect(describeMismatches(swap('[%r11-40]', '[%r11-48]'))).toEqual([
      'arg 9 (i64): stack+8 (BPF [%r11-40]) | read from stack+16; the program put those bytes in [%r11-48] (arg 10)',
      'arg 10 (ptr): stack+16 (BPF [%r11-48]) | read from stack+8; the program put those bytes in [%r11-40] (arg 9)',
    ]);
  });

  it('swapping R1 and R2 fails arguments 1 and 2', () => {
    expect(describeMismatches(swap('lddw %r1,', 'lddw %r2,'))).toEqual([
      'arg 0 (i64): x0 (BPF %r1) | read from x1; the program put those bytes in %r2 (arg 1)',
      'arg 1 (i64): x1 (BPF %r2) | read from x0; the program put those bytes in %r1 (arg 0)',
    ]);
  });
});
