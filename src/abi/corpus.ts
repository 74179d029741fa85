/**
 * Hand-picked signatures, each aimed at one rule or one boundary of AAPCS64 6.8.2/6.9 (and the
 * places where implementations get it wrong): register exhaustion, no back-filling, HFA limits,
 * every struct size 1-16 and some above, 16-byte alignment, narrow integers, variadic arguments.
 */
import { parseSignature } from './signature-text.js';
import type { Signature } from './types.js';

const rep = (t: string, n: number): string => Array.from({ length: n }, () => t).join(',');
const I8 = rep('i64', 8);
const D8 = rep('f64', 8);

/** [name, signature text] */
const ENTRIES: readonly (readonly [string, string])[] = [
  // integers and pointers: x0-x7, then 8-byte stack slots (C.9, C.13-C.17)
  ['int-1', 'i32(i32)'],
  ['int-8', `i64(${I8})`],
  ['int-9', `i64(${I8},i64)`],
  ['int-12-mixed-width', `u64(${I8},i8,u16,i32,u64)`],
  ['int-16', `i64(${rep('i64', 16)})`],
  ['ptr-mixed', 'ptr(ptr,i32,ptr,u8,ptr,i16,ptr,u32,ptr,ptr)'],
  ['narrow-ints-regs', 'i8(i8,u8,i16,u16,i8,u8,i16,u16)'],
  ['narrow-ints-stack', `u16(${I8},i8,u8,i16,u16,i8)`],
  ['narrow-results-u8', 'u8(u8)'],
  ['narrow-results-i16', 'i16(i16,i16)'],
  // what a BPF program can pass to a native function: 6 to 12 integers/pointers of mixed widths
  // (R1-R5 -> x0-x4, R11 slots -> x5-x7 then [sp]; narrow ones leave upper bits unspecified, C.9/C.16)
  ['bpf-args-6', 'u32(u8,i16,u32,i64,ptr,u8)'],
  ['bpf-args-7', 'i64(ptr,i64,u8,i16,u32,i64,i16)'],
  ['bpf-args-8', 'u8(i8,u16,i32,u64,ptr,i64,u32,ptr)'],
  ['bpf-args-9', 'ptr(u8,u8,u8,u8,u8,ptr,i16,u32,i64)'],
  ['bpf-args-10', 'i16(i64,i64,i64,i64,i64,u8,i16,u32,i8,ptr)'],
  ['bpf-args-11', 'u64(ptr,u32,i16,u8,i64,u64,i8,ptr,u16,i32,u8)'],
  ['bpf-args-12', 'i32(i8,i16,i32,i64,u8,u16,u32,u64,ptr,i8,u16,i64)'],
  ['bpf-args-12-narrow', `u8(${rep('u8', 12)})`],
  // floating point: v0-v7, then the stack (C.1, C.4-C.6)
  ['double-8', `f64(${D8})`],
  ['double-9', `f64(${D8},f64)`],
  ['double-12', `f64(${rep('f64', 12)})`],
  ['float-10', `f32(${rep('f32', 10)})`],
  ['float-double-stack', `f64(${D8},f32,f64,f32,f32,f64)`],
  ['mixed-int-double', 'f64(i32,f64,i64,f32,u8,f64,ptr,f32)'],
  ['mixed-both-spill', `f64(${I8},${D8},i32,f64,i64,f32)`],
  ['int-spill-fp-regs', `i64(${I8},i32,f64,f64)`],
  ['fp-spill-int-regs', `f64(${D8},f64,i32,i64)`],
  // HFAs (C.2, C.3)
  ['hfa-f32x1', '{f32}({f32})'],
  ['hfa-f32x2', '{f32,f32}({f32,f32})'],
  ['hfa-f32x3', '{f32,f32,f32}({f32,f32,f32})'],
  ['hfa-f32x4', '{f32,f32,f32,f32}({f32,f32,f32,f32})'],
  ['hfa-f64x1', '{f64}({f64})'],
  ['hfa-f64x2', '{f64,f64}({f64,f64})'],
  ['hfa-f64x3', '{f64,f64,f64}({f64,f64,f64})'],
  ['hfa-f64x4', '{f64,f64,f64,f64}({f64,f64,f64,f64})'],
  ['hfa-array-member', '{f32[4]}({f32[3]},{f64[2]})'],
  ['hfa-nested', '{{f64,f64},f64}({{f32,f32},{f32,f32}},f32)'],
  ['hfa-two-fill-regs', 'void({f64,f64,f64,f64},{f64,f64,f64,f64})'],
  ['hfa-no-fit-stack', 'void(f64,f64,f64,f64,f64,f64,{f32,f32,f32})'],
  ['hfa-no-backfill', 'void(f64,f64,f64,f64,f64,f64,{f64,f64,f64},f64,f32)'],
  ['hfa-stack-after-fp-stack', `void(${D8},{f32,f32,f32},f64,{f64,f64})`],
  ['hfa-not-in-x', `void(${D8},{f32,f32},i32)`],
  ['hfa-mixed-is-not', '{f32,f64}({f32,f64},{f64,f32},{f32,f32,f64})'],
  ['hfa-five-is-not', '{f32[5]}({f32[5]},{f64[5]})'],
  // composites of every size 1-16 (C.12), and when they go to the stack (C.13, C.15)
  ...Array.from({ length: 16 }, (_, i) => [`struct-u8x${i + 1}`, `{u8[${i + 1}]}({u8[${i + 1}]},i32,{u8[${i + 1}]})`] as const),
  ['struct-u16x3', '{u16[3]}({u16[3]},{u16,u8})'],
  ['struct-i32-u8', '{i32,u8}({i32,u8},{u8,i32},{u8,u16,u8})'],
  ['struct-int-float', '{i32,f32}({i32,f32},{f64,i64},{f32,i32,f32})'],
  ['struct-two-regs-at-x7', `void(${rep('i64', 7)},{u64,u64},i64)`],
  ['struct-one-reg-at-x7', `void(${rep('i64', 7)},{u64},{u8[3]})`],
  ['struct-stack-sizes', `void(${I8},{u8[3]},{u8[9]},{u16[5]},i8,{u64,u64})`],
  ['struct-nested-small', '{{u8,u16},u32}({{u8,u16},u32},{{u8},{u8}})'],
  // larger composites by reference (B.4) and indirect results (6.9, x8)
  ['struct-17', '{u8[17]}({u8[17]})'],
  ['struct-24', '{u64[3]}({u64[3]},i32)'],
  ['struct-32-mixed', '{f64,i64,f32,i32,u8[8]}({f64,i64,f32,i32,u8[8]},f64)'],
  ['struct-big-64', 'void({u64[8]},{u8[40]})'],
  ['byref-on-stack', `{u64[3]}(${I8},{u64[3]},{u8[20]})`],
  ['indirect-result-with-9-ints', `{u32[5]}(${I8},i64)`],
  ['result-16-bytes-in-x0-x1', '{u64,u64}()'],
  ['result-12-bytes', '{u32[3]}(i32)'],
  // 16-byte alignment (C.10, C.11, C.14): __int128 and aligned structs
  ['int128-even-pair', 'i128(i32,i128,i32)'],
  ['int128-x6-x7', `i128(${rep('i64', 5)},i128)`],
  ['int128-no-fit', `i128(${rep('i64', 7)},i128,i64)`],
  ['int128-stack-align', `void(${I8},i32,i128)`],
  ['aligned-struct-even-pair', '{u64,u64}@16(i32,{u64,u64}@16,i32)'],
  ['aligned-struct-stack', `void(${I8},i32,{u64,u64}@16)`],
  ['aligned-small-struct', 'void(i32,{u32}@16,i32)'],
  ['long-double', 'f128(f128,i32,f128,f64)'],
  ['long-double-stack', `f128(${D8},f32,f128)`],
  ['vectors', 'v128(v128,v64,{v128,v128},{v64,v64,v64})'],
  ['vectors-stack', `v64(${D8},v64,v128,{v128,v128})`],
  // variadic (same rules as named ones on Linux; on the stack on Apple)
  ['variadic-ints', 'i32(i32,...,i32,i64,u32,ptr)'],
  ['variadic-doubles', 'f64(i32,...,f64,f64,f64)'],
  ['variadic-mixed-spill', `i64(i32,...,${rep('i64', 8)},f64,${D8},f64)`],
  ['variadic-structs', 'void(i32,...,{u8[3]},{f64,f64},{u64[3]},{i32,f32})'],
  ['variadic-after-fp', 'void(f64,f32,i32,...,f64,i64)'],
  ['variadic-int128', 'void(i32,...,i32,i128)'],
];

export function corpus(): Signature[] {
  return ENTRIES.map(([name, text]) => parseSignature(text, name));
}
