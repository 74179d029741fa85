import { describe, expect, it } from 'vitest';
import { alu, byteOrder, condition } from '../../src/bpf/interpreter.js';
import { BpfAluOp, BpfJmpOp } from '../../src/bpf/opcodes.js';
import { Rng } from '../../src/bpf/program-generator.js';
import { BOUNDS_UNKNOWN, deduceBounds, wrapInterval } from '../../src/bpf/verifier/bounds.js';
import { constScalar, formatScalar, isConst, makeScalar, scalarIn, scalarSext, scalarUnion, unsignedRange } from '../../src/bpf/verifier/scalar.js';
import { scalarAlu, scalarEnd, scalarMov, scalarNeg } from '../../src/bpf/verifier/scalar-alu.js';
import { negateJmp, refineScalars } from '../../src/bpf/verifier/scalar-cmp.js';
import { TNUM_UNKNOWN, tnumConst } from '../../src/bpf/verifier/tnum.js';
import { randomSampled, scalarContains, u64 } from './domain-support.js';

describe('bounds: the eight ranges', () => {
  it('wrapInterval keeps an interval that wraps as a whole, and gives up otherwise', () => {
    expect(wrapInterval(5n, 10n, 64, false)).toEqual([5n, 10n]);
    expect(wrapInterval(1n << 64n, (1n << 64n) + 3n, 64, false)).toEqual([0n, 3n]);
    expect(wrapInterval((1n << 64n) - 1n, 1n << 64n, 64, false)).toBeUndefined();
    expect(wrapInterval(-3n, -1n, 32, false)).toEqual([0xffff_fffdn, 0xffff_ffffn]);
    expect(wrapInterval((1n << 31n) - 1n, 1n << 31n, 32, true)).toBeUndefined();
  });

  it('deduces unsigned from signed, 64 from 32 and back', () => {
    const b = deduceBounds({ ...BOUNDS_UNKNOWN, smin: 0n, smax: 100n });
    expect([b.umin, b.umax, b.u32min, b.u32max, b.s32min, b.s32max]).toEqual([0n, 100n, 0n, 100n, 0n, 100n]);
    const c = deduceBounds({ ...BOUNDS_UNKNOWN, umax: 0xffff_ffffn, u32min: 3n, u32max: 9n });
    expect([c.umin, c.umax, c.smin, c.smax]).toEqual([3n, 9n, 3n, 9n]);
    const n = deduceBounds({ ...BOUNDS_UNKNOWN, smin: -5n, smax: -1n });
    expect([n.umin, n.umax]).toEqual([u64(-5n), u64(-1n)]);
  });
});

describe('scalar: reduced product of tnum and ranges', () => {
  it('reconciles bits and ranges and detects contradictions', () => {
    const s = makeScalar({ value: 0n, mask: 0xffn }, { ...BOUNDS_UNKNOWN, umin: 0x10n })!;
    expect([s.umin, s.umax, s.smin, s.smax]).toEqual([0x10n, 0xffn, 0x10n, 0xffn]);
    expect(makeScalar(tnumConst(4n), { ...BOUNDS_UNKNOWN, umin: 5n })).toBeUndefined();
    expect(makeScalar({ value: 0n, mask: 0xfn }, { ...BOUNDS_UNKNOWN, umin: 16n })).toBeUndefined();
    expect(isConst(makeScalar(TNUM_UNKNOWN, { ...BOUNDS_UNKNOWN, umin: 7n, umax: 7n })!)).toBe(true);
  });

  it('prints like the kernel log', () => {
    expect(formatScalar(constScalar(u64(-1n)))).toBe('-1');
    expect(formatScalar(unsignedRange(0n, 255n))).toBe('scalar(smin=0,smax=255,umax=255,var_off=(0x0; 0xff))');
  });

  it('scalarIn and scalarUnion', () => {
    expect(scalarIn(unsignedRange(0n, 10n), constScalar(3n))).toBe(true);
    expect(scalarIn(constScalar(3n), unsignedRange(0n, 10n))).toBe(false);
    const u = scalarUnion(constScalar(4n), constScalar(9n));
    expect(scalarContains(u, 4n) && scalarContains(u, 9n) && scalarIn(u, constScalar(5n))).toBe(true);
  });

  it('is precise on the shapes bounds checks depend on', () => {
    const idx = scalarAlu(BpfAluOp.AND, 64, unsignedRange(0n, u64(-1n)), constScalar(0xffn));
    expect([idx.umin, idx.umax]).toEqual([0n, 255n]);
    const plus = scalarAlu(BpfAluOp.ADD, 64, idx, constScalar(1n));
    expect([plus.umin, plus.umax, plus.smax]).toEqual([1n, 256n, 256n]);
    const shifted = scalarAlu(BpfAluOp.LSH, 64, idx, constScalar(3n));
    expect([shifted.umax, shifted.t.mask]).toEqual([255n * 8n, 0x7f8n]);
    const m = scalarAlu(BpfAluOp.MOD, 64, unsignedRange(0n, 1000n), constScalar(16n));
    expect([m.umin, m.umax]).toEqual([0n, 15n]);
    const w = scalarAlu(BpfAluOp.ADD, 32, constScalar(0xffff_ffffn), unsignedRange(1n, 2n));
    expect([w.umin, w.umax]).toEqual([0n, 1n]);
  });
});


describe('scalar transfer functions are sound (interpreter arithmetic as the oracle)', () => {
  const ops: [string, number, boolean][] = [
    ['add', BpfAluOp.ADD, false],
    ['sub', BpfAluOp.SUB, false],
    ['mul', BpfAluOp.MUL, false],
    ['div', BpfAluOp.DIV, false],
    ['sdiv', BpfAluOp.DIV, true],
    ['mod', BpfAluOp.MOD, false],
    ['smod', BpfAluOp.MOD, true],
    ['or', BpfAluOp.OR, false],
    ['and', BpfAluOp.AND, false],
    ['xor', BpfAluOp.XOR, false],
    ['lsh', BpfAluOp.LSH, false],
    ['rsh', BpfAluOp.RSH, false],
    ['arsh', BpfAluOp.ARSH, false],
  ];
  for (const width of [64, 32] as const) {
    for (const [name, op, signed] of ops) {
      it(`${name}${width === 32 ? '32' : ''}: 3,000 abstract pairs x 8 members`, () => {
        const r = new Rng(op * 7 + width + (signed ? 1 : 0));
        for (let i = 0; i < 3000; i++) {
          const a = randomSampled(r);
          // shift counts are mostly small, as in real programs
          const b = (op === BpfAluOp.LSH || op === BpfAluOp.RSH || op === BpfAluOp.ARSH) && r.chance(0.7) ? { s: constScalar(BigInt(r.int(70))), draw: () => 0n, what: '' } : randomSampled(r);
          const fixedB = b.what === '' ? b.s.t.value : undefined;
          const res = scalarAlu(op, width, a.s, b.s, signed);
          for (let k = 0; k < 8; k++) {
            const x = a.draw();
            const y = fixedB ?? b.draw();
            const m = (v: bigint): bigint => (width === 32 ? v & 0xffff_ffffn : v);
            const z = alu(width, op, m(x), m(y), signed ? 1 : 0);
            if (!scalarContains(res, z)) expect.fail(`${name}${width}: ${a.what} (${x}) op ${b.what} (${y}) = ${z} not in ${formatScalar(res)}`);
          }
        }
      });
    }
  }

  it('neg, mov, movsx and byte swaps', () => {
    const r = new Rng(5);
    for (let i = 0; i < 3000; i++) {
      const a = randomSampled(r);
      const x = a.draw();
      for (const width of [32, 64] as const) {
        const m = width === 32 ? x & 0xffff_ffffn : x;
        expect(scalarContains(scalarNeg(a.s, width), alu(width, BpfAluOp.SUB, 0n, m, 0))).toBe(true);
        expect(scalarContains(scalarMov(a.s, width, 0), m)).toBe(true);
      }
      for (const bits of [8, 16, 32] as const) {
        expect(scalarContains(scalarSext(a.s, bits), u64(BigInt.asIntN(bits, x)))).toBe(true);
        if (bits !== 32) expect(scalarContains(scalarMov(a.s, 32, bits), BigInt.asUintN(32, BigInt.asIntN(bits, x)))).toBe(true);
      }
      for (const bits of [16, 32, 64] as const) {
        for (const order of ['le', 'be', 'swap'] as const) {
          if (!scalarContains(scalarEnd(a.s, bits, order), byteOrder(x, bits, order))) expect.fail(`${order}${bits} of ${x} (${a.what})`);
        }
      }
    }
  });

  it('branch refinement keeps every pair that satisfies the condition, and only decides what is decided', () => {
    const jmps = [BpfJmpOp.JEQ, BpfJmpOp.JNE, BpfJmpOp.JGT, BpfJmpOp.JGE, BpfJmpOp.JLT, BpfJmpOp.JLE, BpfJmpOp.JSET, BpfJmpOp.JSGT, BpfJmpOp.JSGE, BpfJmpOp.JSLT, BpfJmpOp.JSLE];
    const r = new Rng(77);
    for (let i = 0; i < 6000; i++) {
      const op = r.pick(jmps);
      const width = r.chance(0.5) ? 64 : 32;
      const a = randomSampled(r);
      const b = r.chance(0.5) ? randomSampled(r) : { ...randomSampled(r) };
      const taken = refineScalars(op, width, a.s, b.s);
      const notTaken = refineScalars(negateJmp(op), width, a.s, b.s);
      for (let k = 0; k < 8; k++) {
        const x = a.draw();
        const y = b.draw();
        const m = (v: bigint): bigint => (width === 32 ? v & 0xffff_ffffn : v);
        const holds = condition(op, m(x), m(y), width);
        const side = holds ? taken : notTaken;
        if (!side || !scalarContains(side[0], x) || !scalarContains(side[1], y)) {
          expect.fail(`${op.toString(16)}/${width} ${a.what} (${x}) vs ${b.what} (${y}) holds=${holds}: lost by refinement`);
        }
      }
    }
  });
});
