// Unit tests of the AAPCS64 model, one group per rule of AAPCS64 6.8.2 / 6.9 and per documented
// difference of Apple's arm64 ABI. Expected locations are read off the rules themselves; the
// compilers check the model independently in the native suite (stub -> C, C -> probe).
import { describe, expect, it } from 'vitest';
import { RULES, classify, describePieces, type Variant } from '../../src/abi/classify.js';
import { parseSignature } from '../../src/abi/signature-text.js';
import { homogeneousAggregate, layoutOf, struct, scalar } from '../../src/abi/types.js';

/** Where each argument is, as text: ['x0', 'v0', 'stack+0', ...]. */
function where(text: string, variant: Variant = 'aapcs64'): string[] {
  return classify(parseSignature(text), variant).args.map(describePieces);
}
const cls = (text: string, variant: Variant = 'aapcs64') => classify(parseSignature(text), variant);
const ints = (n: number, t = 'i64') => Array.from({ length: n }, () => t).join(',');

describe('layout and homogeneous aggregates (AAPCS64 5.9)', () => {
  it('lays structs out with C padding and natural alignment', () => {
    expect(layoutOf(struct([scalar('u8'), scalar('u32')]))).toMatchObject({ size: 8, align: 4 });
    expect(layoutOf(struct([[scalar('u8'), 3]]))).toMatchObject({ size: 3, align: 1 });
    expect(layoutOf(struct([scalar('u64')], 16))).toMatchObject({ size: 16, align: 16 });
    expect(layoutOf(struct([scalar('i8'), struct([scalar('i16'), scalar('i8')])]))).toMatchObject({ size: 6, align: 2 });
  });
  it('recognises HFAs and HVAs of 1-4 identical members, nested or in arrays', () => {
    expect(homogeneousAggregate(parseSignature('void({f32})').params[0]!)).toMatchObject({ base: 'f32', count: 1 });
    expect(homogeneousAggregate(parseSignature('void({{f64,f64},f64[2]})').params[0]!)).toMatchObject({ base: 'f64', count: 4 });
    expect(homogeneousAggregate(parseSignature('void({v128,v128})').params[0]!)).toMatchObject({ base: 'v128', count: 2 });
  });
  it('rejects mixed, too long, integer and padded aggregates', () => {
    for (const t of ['{f32,f64}', '{f32[5]}', '{i32,i32}', '{f32,i32}', '{f32}@16', '{v64,v128}']) {
      expect(homogeneousAggregate(parseSignature(`void(${t})`).params[0]!), t).toBeNull();
    }
  });
});

describe('stage C: integral and pointer arguments', () => {
  it('C.9: x0-x7 in order, one register each, whatever the size', () => {
    expect(where('void(i8,u16,i32,u64,ptr,i64,u8,i16)')).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7']);
    expect(cls('void(i8)').args[0]!.rules).toContain(RULES.C9);
  });
  it('C.13/C.14/C.16/C.17: the 9th and later integers take 8-byte stack slots', () => {
    expect(where(`void(${ints(8)},i8,i32,i64,u16)`).slice(8)).toEqual(['stack+0', 'stack+8', 'stack+16', 'stack+24']);
    const c = cls(`void(${ints(8)},i8)`);
    expect(c.args[8]!.rules).toEqual(expect.arrayContaining([RULES.C13, RULES.C14, RULES.C16, RULES.C17]));
    expect(c.stackBytes).toBe(8);
    expect(c.stackArea).toBe(16);
  });
  it('C.10/C.11: a 16-byte integral takes an even register pair', () => {
    expect(where('void(i32,i128,i32)')).toEqual(['x0', 'x2,x3', 'x4']);
    expect(cls('void(i32,i128)').args[1]!.rules).toEqual(expect.arrayContaining([RULES.C10, RULES.C11]));
  });
  it('C.10: the register skipped for alignment stays unused (no back-filling)', () => {
    expect(where('void(i32,i128,i32,i32)')).toEqual(['x0', 'x2,x3', 'x4', 'x5']);
  });
  it('C.11/C.13/C.14: a 16-byte integral that does not fit goes to a 16-aligned stack slot and closes the registers', () => {
    expect(where(`void(${ints(7)},i128,i64)`).slice(7)).toEqual(['stack+0', 'stack+16']);
    expect(where(`void(${ints(9)},i128)`).slice(8)).toEqual(['stack+0', 'stack+16']);
  });
  it('by reference: a pointer argument is just an integral (B.4 keeps it 8 bytes)', () => {
    expect(where('void({u8[17]},{u64[3]})')).toEqual(['x0 (pointer to a copy)', 'x1 (pointer to a copy)']);
  });
});

describe('stage C: floating-point and vector arguments', () => {
  it('C.1: v0-v7 in order, independent of the general registers', () => {
    expect(where('void(f32,i32,f64,v64,i64,v128,f128)')).toEqual(['v0', 'x0', 'v1', 'v2', 'x1', 'v3', 'v4']);
  });
  it('C.4/C.5/C.6: the 9th double and a 9th float take 8-byte stack slots', () => {
    expect(where(`void(${ints(8, 'f64')},f64,f32,f64)`).slice(8)).toEqual(['stack+0', 'stack+8', 'stack+16']);
    expect(cls(`void(${ints(8, 'f64')},f32)`).args[8]!.rules).toEqual(expect.arrayContaining([RULES.C4, RULES.C5, RULES.C6]));
  });
  it('C.4: quad floats and 16-byte vectors on the stack are 16-byte aligned', () => {
    expect(where(`void(${ints(8, 'f64')},f32,f128,v128,v64)`).slice(8)).toEqual(['stack+0', 'stack+16', 'stack+32', 'stack+48']);
  });
  it('integers on the stack do not disturb FP registers, and vice versa', () => {
    expect(where(`void(${ints(9)},f64,f64)`).slice(8)).toEqual(['stack+0', 'v0', 'v1']);
    expect(where(`void(${ints(9, 'f64')},i64)`).slice(8)).toEqual(['stack+0', 'x0']);
  });
});

describe('stage C: HFAs and HVAs', () => {
  it('C.2: one v register per member, consecutive', () => {
    expect(where('void(f32,{f32,f32,f32},{f64,f64},{f64})')).toEqual(['v0', 'v1,v2,v3', 'v4,v5', 'v6']);
    expect(where('void({v128,v128,v128,v128},{v64})')).toEqual(['v0,v1,v2,v3', 'v4']);
  });
  it('C.3/C.4/C.6: an HFA that does not fit goes wholly to the stack, and no later FP argument back-fills', () => {
    expect(where('void(f64,f64,f64,f64,f64,f64,{f32,f32,f32},f64)')).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'stack+0', 'stack+16']);
    const c = cls('void(f64,f64,f64,f64,f64,f64,{f32,f32,f32},f64)');
    expect(c.args[6]!.rules).toEqual(expect.arrayContaining([RULES.C3, RULES.C4, RULES.C6]));
    // {f32 x3} is 12 bytes, rounded to 16 by C.3; the double then follows at 16.
    expect(c.stackBytes).toBe(24);
  });
  it('C.4: an HVA of 16-byte vectors on the stack is 16-byte aligned', () => {
    expect(where(`void(${ints(7, 'f64')},f32,f32,{v128,v128})`).slice(8)).toEqual(['stack+0', 'stack+16']);
  });
  it('HFAs never use general registers', () => {
    expect(where(`void(${ints(8, 'f64')},{f64,f64},i64)`).slice(8)).toEqual(['stack+0', 'x0']);
  });
});

describe('stage B/C: other composites', () => {
  it('C.12: composites up to 16 bytes in one or two general registers', () => {
    expect(where('void({u8},{u8[9]},{f32,i32},{f64,f32})')).toEqual(['x0', 'x1,x2', 'x3', 'x4,x5']);
  });
  it('C.10: a 16-byte aligned composite starts at an even register', () => {
    expect(where('void(i32,{u64,u64}@16)')).toEqual(['x0', 'x2,x3']);
  });
  it('C.12/C.13: a composite that does not fit goes wholly to the stack and closes the registers', () => {
    expect(where(`void(${ints(7)},{u64,u64},i64)`).slice(7)).toEqual(['stack+0', 'stack+16']);
    const c = cls(`void(${ints(7)},{u64,u64},i64)`);
    expect(c.args[7]!.rules).toEqual(expect.arrayContaining([RULES.C13, RULES.C14, RULES.C15]));
  });
  it('B.5/C.15: a composite on the stack takes its size rounded up to 8; C.14 aligns 16-byte ones', () => {
    expect(where(`void(${ints(8)},{u8[3]},{u8[9]},i8)`).slice(8)).toEqual(['stack+0', 'stack+8', 'stack+24']);
    expect(where(`void(${ints(8)},i32,{u64,u64}@16)`).slice(8)).toEqual(['stack+0', 'stack+16']);
  });
  it('B.4: composites over 16 bytes go by reference; the pointer follows the integer rules', () => {
    expect(cls('void({u8[17]})').args[0]!.rules).toContain(RULES.B4);
    expect(where(`void(${ints(8)},{u64[3]})`).slice(8)).toEqual(['stack+0 (pointer to a copy)']);
  });
});

describe('6.9: results', () => {
  const result = (t: string) => {
    const r = cls(`${t}()`).result!;
    return describePieces(r);
  };
  it('integers and small composites in x0/x1, 16-byte integers in x0,x1', () => {
    expect(result('i8')).toBe('x0');
    expect(result('{u8[3]}')).toBe('x0');
    expect(result('{u64,u32}')).toBe('x0,x1');
    expect(result('i128')).toBe('x0,x1');
  });
  it('FP, vectors and HFAs/HVAs in v0-v3', () => {
    expect(result('f32')).toBe('v0');
    expect(result('{f64,f64,f64,f64}')).toBe('v0,v1,v2,v3');
    expect(result('{v128,v128}')).toBe('v0,v1');
  });
  it('larger composites through memory at x8, which is not an argument register', () => {
    expect(result('{u64[3]}')).toBe('memory at x8');
    expect(cls('{u8[17]}(i64)').result!.rules).toContain(RULES.RES_MEM);
    expect(where('{u8[17]}(i64)')).toEqual(['x0']);
  });
  it('void has no result', () => {
    expect(cls('void()').result).toBeNull();
  });
});

describe('variadic arguments', () => {
  it('AAPCS64 (Linux): anonymous arguments follow the same rules as named ones', () => {
    expect(where('void(i32,...,f64,i64,{f64,f64},{u8[3]})')).toEqual(['x0', 'v0', 'x1', 'v1,v2', 'x2']);
  });
  it('Apple: every anonymous argument goes on the stack in 8-byte aligned slots', () => {
    expect(where('void(i32,...,f64,i64,{f64,f64},{u8[3]},i32)', 'apple')).toEqual(['x0', 'stack+0', 'stack+8', 'stack+16', 'stack+32', 'stack+40']);
    expect(cls('void(i32,...,i32)', 'apple').args[1]!.rules).toContain(RULES.APPLE_VARARG);
  });
  it('Apple: named arguments still use registers, and registers stay free after variadic ones', () => {
    expect(where('void(f64,i32,...,i64,f64)', 'apple')).toEqual(['v0', 'x0', 'stack+0', 'stack+8']);
  });
  it('Apple: an anonymous composite over 16 bytes is passed as a pointer in a stack slot', () => {
    expect(where('void(i32,...,{u64[3]})', 'apple')).toEqual(['x0', 'stack+0 (pointer to a copy)']);
  });
});

describe('Apple arm64 differences for named arguments', () => {
  it('stack arguments are packed at their natural alignment instead of 8-byte slots', () => {
    expect(where(`void(${ints(8)},i8,i8,i16,i32,i64,i8)`, 'apple').slice(8)).toEqual(['stack+0', 'stack+1', 'stack+2', 'stack+4', 'stack+8', 'stack+16']);
    expect(where(`void(${ints(8)},i8,i8,i16,i32,i64,i8)`).slice(8)).toEqual(['stack+0', 'stack+8', 'stack+16', 'stack+24', 'stack+32', 'stack+40']);
    expect(cls(`void(${ints(8, 'f64')},f32,f32,f64)`, 'apple').args.slice(8).map(describePieces)).toEqual(['stack+0', 'stack+4', 'stack+8']);
    expect(cls(`void(${ints(8)},i8)`, 'apple').args[8]!.rules).toContain(RULES.APPLE_PACK);
  });
  it('the caller extends arguments narrower than 32 bits; AAPCS64 leaves those bits unspecified', () => {
    const apple = cls('void(i8,u8,i16,u16,i32)', 'apple').args;
    expect(apple.map((a) => a.extendTo32)).toEqual([{ signed: true }, { signed: false }, { signed: true }, { signed: false }, undefined]);
    expect(apple[0]!.rules).toContain(RULES.APPLE_EXT);
    expect(cls('void(i8,u8,i16,u16)').args.every((a) => a.extendTo32 === undefined)).toBe(true);
  });
  it('register assignment is the same as AAPCS64', () => {
    const text = 'void(i32,f64,{f32,f32},{u8[12]},i128,{u64[3]},v128)';
    expect(where(text, 'apple')).toEqual(where(text));
  });
  it('the total stack area is still rounded up to 16', () => {
    expect(cls(`void(${ints(8)},i8)`, 'apple')).toMatchObject({ stackBytes: 1, stackArea: 16 });
  });
});

describe('signature text', () => {
  it('rejects malformed signatures with a position', () => {
    expect(() => parseSignature('void(i33)')).toThrow(/column 6/);
    expect(() => parseSignature('void(i32,...,...)')).toThrow(/second/);
    expect(() => parseSignature('void({})')).toThrow();
  });
});
