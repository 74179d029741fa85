import { describe, expect, it } from 'vitest';
import { alu } from '../../src/bpf/interpreter.js';
import { BpfAluOp } from '../../src/bpf/opcodes.js';
import { Rng } from '../../src/bpf/program-generator.js';
import type { Tnum } from '../../src/bpf/verifier/tnum.js';
import {
  TNUM_UNKNOWN,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumConst,
  tnumIn,
  tnumIntersect,
  tnumIsAligned,
  tnumLshift,
  tnumMul,
  tnumOr,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumUnion,
  tnumXor,
} from '../../src/bpf/verifier/tnum.js';
import { tnumContains, u64 } from './domain-support.js';

const rand64 = (r: Rng): bigint => (BigInt(r.u32()) << 32n) | BigInt(r.u32());

function randomTnum(r: Rng): Tnum {
  const mask = r.chance(0.3) ? BigInt(r.int(1 << 12)) << BigInt(r.int(52)) : r.chance(0.1) ? 0n : rand64(r);
  return { value: rand64(r) & ~mask, mask };
}
const member = (r: Rng, t: Tnum): bigint => t.value | (rand64(r) & t.mask);

describe('tnum: known bits', () => {
  it('keeps value & mask == 0 and is exact on constants', () => {
    expect(tnumAdd(tnumConst(3n), tnumConst(4n))).toEqual(tnumConst(7n));
    expect(tnumSub(tnumConst(3n), tnumConst(4n))).toEqual(tnumConst(u64(-1n)));
    expect(tnumMul(tnumConst(6n), tnumConst(7n))).toEqual(tnumConst(42n));
    expect(tnumAnd(tnumConst(0xf0n), TNUM_UNKNOWN)).toEqual({ value: 0n, mask: 0xf0n });
    expect(tnumOr(tnumConst(0xf0n), TNUM_UNKNOWN)).toEqual({ value: 0xf0n, mask: u64(~0xf0n) });
  });

  it('tnumRange is the smallest tnum over a range', () => {
    expect(tnumRange(0n, 255n)).toEqual({ value: 0n, mask: 0xffn });
    expect(tnumRange(16n, 31n)).toEqual({ value: 16n, mask: 0xfn });
    expect(tnumRange(5n, 5n)).toEqual(tnumConst(5n));
    expect(tnumRange(0n, u64(-1n))).toEqual(TNUM_UNKNOWN);
  });

  it('alignment, containment, union and intersection', () => {
    expect(tnumIsAligned({ value: 8n, mask: 0xf0n }, 8)).toBe(true);
    expect(tnumIsAligned({ value: 8n, mask: 0xf4n }, 8)).toBe(false);
    expect(tnumIn({ value: 0n, mask: 0xffn }, tnumConst(0x7fn))).toBe(true);
    expect(tnumIn({ value: 0n, mask: 0xffn }, tnumConst(0x100n))).toBe(false);
    expect(tnumUnion(tnumConst(4n), tnumConst(6n))).toEqual({ value: 4n, mask: 2n });
    expect(tnumIntersect({ value: 0n, mask: 0xffn }, { value: 0x10n, mask: 0x0fn })).toEqual({ value: 0x10n, mask: 0x0fn });
  });

  // Soundness against the interpreter's arithmetic: any members give a member of the result.
  const binary: [string, (a: Tnum, b: Tnum) => Tnum, number][] = [
    ['add', tnumAdd, BpfAluOp.ADD],
    ['sub', tnumSub, BpfAluOp.SUB],
    ['mul', tnumMul, BpfAluOp.MUL],
    ['and', tnumAnd, BpfAluOp.AND],
    ['or', tnumOr, BpfAluOp.OR],
    ['xor', tnumXor, BpfAluOp.XOR],
  ];
  for (const [name, fn, op] of binary) {
    it(`${name} is sound on 20,000 random members`, () => {
      const r = new Rng(op + 1);
      for (let i = 0; i < 2000; i++) {
        const a = randomTnum(r);
        const b = randomTnum(r);
        const res = fn(a, b);
        expect(res.value & res.mask).toBe(0n);
        for (let k = 0; k < 10; k++) {
          const x = member(r, a);
          const y = member(r, b);
          const z = alu(64, op, x, y, 0);
          if (!tnumContains(res, z)) expect.fail(`${name}(${x}, ${y}) = ${z} not in ${res.value}/${res.mask}`);
        }
      }
    });
  }

  it('shifts and union are sound', () => {
    const r = new Rng(99);
    for (let i = 0; i < 3000; i++) {
      const a = randomTnum(r);
      const n = r.int(64);
      const x = member(r, a);
      expect(tnumContains(tnumLshift(a, n), u64(x << BigInt(n)))).toBe(true);
      expect(tnumContains(tnumRshift(a, n), x >> BigInt(n))).toBe(true);
      expect(tnumContains(tnumArshift(a, n, 64), u64(BigInt.asIntN(64, x) >> BigInt(n)))).toBe(true);
      const a32 = { value: a.value & 0xffff_ffffn, mask: a.mask & 0xffff_ffffn };
      const x32 = x & 0xffff_ffffn;
      expect(tnumContains(tnumArshift(a32, n & 31, 32), BigInt.asUintN(32, BigInt.asIntN(32, x32) >> BigInt(n & 31)))).toBe(true);
      const b = randomTnum(r);
      const u = tnumUnion(a, b);
      expect(tnumContains(u, x) && tnumContains(u, member(r, b))).toBe(true);
      expect(tnumIn(u, a) && tnumIn(u, b)).toBe(true);
    }
  });
});
