import { FLAG_SIGNED, Op, replace, resolveOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Zero-extension elimination from known bits: for each value, how many low bits can be set
 * (the rest are known zero). A 32-bit move (`w1 = w1`, the zero-extension idiom), a zero-
 * extension, or an AND with a low mask, of a value that already has no bits above it, is
 * that value. Loads of 1/2/4 bytes, 32-bit ALU results, masks and right shifts give the facts;
 * phis take the widest of their operands (iterated to a fixed point over loops).
 */
export function zeroExtensions(fn: Func, _ctx: PassContext): number {
  const known = knownBits(fn);
  const bits = { get: (v: Inst): number => known[v.id] ?? 64 };
  let fired = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed) continue;
      const a = x.a;
      if (a === null) continue;
      const ab = bits.get(a) ?? 64;
      let redundant = false;
      if (x.op === Op.Mov && x.w === 32) redundant = ab <= 32;
      else if (x.op === Op.Zext) redundant = ab <= x.imm;
      else if (x.op === Op.And && x.b === null) {
        const m = BigInt.asUintN(x.w, BigInt(x.imm));
        // a low mask 2^n - 1 that keeps every bit the value can have
        redundant = (m & (m + 1n)) === 0n && m !== 0n && ab <= m.toString(2).length && (x.w === 64 || ab <= 32);
      }
      if (redundant) {
        replace(x, a);
        fn.fate(x.pc, 'zero-extension not needed');
        fired++;
      }
    }
  }
  if (fired > 0) resolveOperands(fn);
  return fired;
}

/** Bits needed by an unsigned value. */
function bitLength(v: bigint): number {
  if (v < 0x1_0000_0000n) return 32 - Math.clz32(Number(v));
  return 64 - Math.clz32(Number(v >> 32n));
}

/** Bits needed by an ALU immediate as the operation sees it (ALU64 sign-extends). */
function immBits(x: Inst): number {
  const i = x.imm;
  if (i < 0) return x.w;
  return 32 - Math.clz32(i);
}

/**
 * Highest possible set bit + 1 of every value, by instruction id (64 when nothing is known);
 * instructions made later (ids past the array) read as unknown.
 */
export function knownBits(fn: Func): Uint8Array {
  const bits = new Uint8Array(fn.instCount).fill(64);
  const seen = new Uint8Array(fn.instCount);
  const state: KnownBitsState = { bits, seen, early: false };
  // rounds in reverse post-order: phis grow until nothing changes
  for (let round = 0; round < 8; round++) {
    let changed = false;
    state.early = false;
    for (const b of fn.blocks) {
      for (const x of b.insts) {
        if (x.removed) continue;
        const v = eval1(state, x);
        if (!seen[x.id]) {
          seen[x.id] = 1;
          bits[x.id] = v;
          changed = true;
        } else if (v > bits[x.id]!) {
          bits[x.id] = v;
          changed = true;
        }
      }
    }
    // a first round that read no operand before its own round-one value was set (no back
    // edge into a phi, nothing out of order) is already the fixed point: the next round would
    // read the same values, compute the same facts and change nothing
    if (!changed || (round === 0 && !state.early)) return bits;
  }
  // no fixed point in time: assume nothing of phis and recompute everything from them once
  bits.fill(64);
  for (const b of fn.blocks) for (const x of b.insts) if (!x.removed && x.op !== Op.Phi) bits[x.id] = eval1(state, x);
  return bits;
}

interface KnownBitsState {
  readonly bits: Uint8Array;
  readonly seen: Uint8Array;
  /** an operand was read before its value was first set in this round */
  early: boolean;
}

function get(s: KnownBitsState, v: Inst | null): number {
  if (v === null || v.id >= s.bits.length) return 64;
  if (s.seen[v.id] === 0) s.early = true;
  return s.bits[v.id]!;
}

function operandB(s: KnownBitsState, x: Inst): number {
  return x.b === null ? immBits(x) : get(s, x.b);
}

function cap(n: number, w: number): number {
  return n < w ? n : w;
}

/** The fact of one instruction from its operands' current facts. */
function eval1(s: KnownBitsState, x: Inst): number {
  const w = x.w;
  switch (x.op) {
    case Op.Const:
      return bitLength(x.k);
    case Op.Load:
      return (x.flags & FLAG_SIGNED) !== 0 ? 64 : x.size * 8;
    case Op.LoadAcq:
      return x.size * 8;
    case Op.And:
      return Math.min(get(s, x.a), operandB(s, x), w);
    case Op.Or:
    case Op.Xor:
      return cap(Math.max(get(s, x.a), operandB(s, x)), w);
    case Op.Add:
      return cap(Math.max(get(s, x.a), operandB(s, x)) + 1, w);
    case Op.Mul:
      return cap(get(s, x.a) + operandB(s, x), w);
    case Op.UDiv:
      return cap(get(s, x.a), w);
    case Op.UMod: {
      // a % 0 is a (RFC 9669 4.1): only a divisor known to be non-zero bounds the result
      const d = x.b;
      const divisor = d === null ? (x.imm !== 0 ? immBits(x) : 64) : d.op === Op.Const && BigInt.asUintN(w, d.k) !== 0n ? get(s, d) : 64;
      return cap(Math.min(get(s, x.a), divisor), w);
    }
    case Op.LShr:
      return x.b === null ? Math.max(0, cap(get(s, x.a), w) - x.imm) : cap(get(s, x.a), w);
    case Op.Shl:
      return x.b === null ? cap(get(s, x.a) + x.imm, w) : w;
    case Op.Mov:
      return w === 32 ? Math.min(32, get(s, x.a)) : get(s, x.a);
    case Op.Zext:
      return Math.min(x.imm, get(s, x.a));
    case Op.Bswap:
      return x.imm;
    case Op.Ubfx:
      return x.imm2;
    case Op.Ubfiz:
      return x.imm + x.imm2;
    case Op.Phi: {
      // optimistic: operands not seen yet (back edges) count as nothing until they are
      let m = 0;
      for (const a of x.args!) {
        if (a === x || a.id >= s.bits.length) continue;
        if (s.seen[a.id]) m = Math.max(m, s.bits[a.id]!);
        else s.early = true;
      }
      return m;
    }
    default:
      return w;
  }
}
