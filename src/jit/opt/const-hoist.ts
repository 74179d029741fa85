import { isAddSubImmediate, isLogicalImmediate } from '../../arm64/index.js';
import { BpfJmpOp } from '../../bpf/index.js';
import { JNSET } from '../emit-branch.js';
import { computeDominators, computeLoopDepth } from './cfg.js';
import { FLAG_OPAQUE, Op, replace, resolveOperands, type Block, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Constants out of loops: an immediate no AArch64 form of its instruction encodes (a
 * multiplier, a mask that is no bitmask immediate, an add beyond 24 bits, a compare with a
 * wide constant, a stored constant) would be rebuilt with MOVZ/MOVK on every iteration.
 * Inside loops such immediates become register operands, and constants used in loops are
 * computed once in the function's entry block (LICM for the one instruction kind that never
 * depends on anything). Register pressure rises; when allocation then fails the function is
 * compiled again without this pass.
 */
export function hoistConstants(fn: Func, ctx: PassContext): number {
  computeDominators(fn);
  computeLoopDepth(fn);
  let fired = 0;
  const entry = fn.entry;
  const pool = new Map<bigint, Inst>();
  const constant = (value: bigint, pc: number): Inst => {
    let c = pool.get(value);
    if (c === undefined) {
      c = fn.inst(Op.Const, entry, pc);
      c.k = value;
      pool.set(value, c);
      entry.insts.splice(entry.insts.length - 1, 0, c);
    }
    return c;
  };
  // constants that something other than a phi reads (a phi's operand is materialized right
  // into the phi's register on its edge, which costs the same as a move from elsewhere)
  const operandUse = new Set<Inst>();
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.op === Op.Phi) continue;
      for (const o of [x.a, x.b, x.c, x.d]) if (o !== null && o.op === Op.Const) operandUse.add(o);
      if (x.args !== null) for (const o of x.args) if (o.op === Op.Const) operandUse.add(o);
    }
  }
  for (const b of fn.blocks) {
    if (b.depth === 0 || b === entry) continue;
    for (let i = 0; i < b.insts.length; i++) {
      const x = b.insts[i]!;
      if (x.removed || (x.flags & FLAG_OPAQUE) !== 0) continue;
      if (x.op === Op.Const) {
        if (x.k === 0n || ctx.blinded || !operandUse.has(x)) continue;
        // move it to the entry (merging it with an equal one there)
        const c = pool.get(x.k);
        if (c !== undefined) {
          replace(x, c);
        } else {
          b.insts.splice(i, 1);
          i--;
          x.block = entry;
          entry.insts.splice(entry.insts.length - 1, 0, x);
          pool.set(x.k, x);
        }
        fired++;
        continue;
      }
      const v = wideImmediate(x);
      if (v === null || ctx.blinded) continue;
      if (x.op === Op.Store) {
        x.c = constant(v, x.pc);
      } else if (x.op === Op.Csel) {
        x.d = constant(v, x.pc);
      } else {
        x.b = constant(v, x.pc);
      }
      fired++;
    }
  }
  keepParamsFirst(entry);
  resolveOperands(fn);
  return fired;
}

/** The value of an immediate operand that the emitter would have to materialize, or null. */
function wideImmediate(x: Inst): bigint | null {
  const w = x.w;
  switch (x.op) {
    case Op.Mul:
    case Op.UDiv:
    case Op.SDiv:
    case Op.UMod:
    case Op.SMod:
      return x.b === null ? BigInt.asUintN(w, BigInt(x.imm)) : null;
    case Op.And:
    case Op.Or:
    case Op.Xor: {
      if (x.b !== null) return null;
      const v = BigInt.asUintN(w, BigInt(x.imm));
      if (v === 0n || v === BigInt.asUintN(w, -1n) || isLogicalImmediate(v, w)) return null;
      return v;
    }
    case Op.Add:
    case Op.Sub: {
      if (x.b !== null) return null;
      const s = BigInt.asIntN(w, BigInt(x.imm));
      const fits = (n: bigint): boolean => n >= 0n && n <= 0xffffffn && isAddSubImmediate(Number(n));
      if (fits(s) || fits(-s)) return null;
      return BigInt.asUintN(w, s);
    }
    case Op.CondBr:
      return compareImmediate(x.b, x.imm, x.imm2, w);
    case Op.Csel:
      return compareImmediate(x.d, x.imm, x.imm2, x.size === 4 ? 32 : 64);
    case Op.Store:
      return x.c === null && x.k !== 0n && BigInt.asUintN(x.size * 8, x.k) !== 0n ? BigInt.asUintN(x.size * 8, x.k) : null;
    default:
      return null;
  }
}

function compareImmediate(b: Inst | null, imm: number, op: number, w: 32 | 64): bigint | null {
  if (b !== null) return null;
  const v = BigInt.asUintN(w, BigInt(imm));
  if (op === BpfJmpOp.JSET || op === JNSET) return v === 0n || isLogicalImmediate(v, w) ? null : v;
  const s = BigInt.asIntN(w, v);
  const fits = (n: bigint): boolean => n >= 0n && n <= 0xffffffn && isAddSubImmediate(Number(n));
  return fits(s) || fits(-s) ? null : v;
}

/** Incoming arguments stay the entry block's first instructions (see emit.ts). */
function keepParamsFirst(entry: Block): void {
  const params = entry.insts.filter((x) => x.op === Op.Param);
  const rest = entry.insts.filter((x) => x.op !== Op.Param);
  entry.insts = [...params, ...rest];
}
