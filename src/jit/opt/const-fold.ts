import { BpfAluOp, BpfJmpOp, SWAPPED_JMP, byteOrder, evalAlu, evalCondition } from '../../bpf/index.js';
import { removeEdge, simplifyCfg } from './cfg.js';
import { FLAG_OPAQUE, Op, isConst, mask, replace, resolve, resolveFixedOperands, type Func, type Inst } from './ir.js';
import type { PassContext } from './passes.js';

/**
 * Constant propagation and folding, and the algebraic identities that need no constant
 * result: an operation whose operands are all constants becomes a constant (computed by the
 * interpreter's own ALU, so the JIT cannot disagree with it), a register operand that is a
 * constant fitting the immediate form becomes the immediate, `x + 0`, `x * 1`, `x & x`, ...
 * become x, a conditional jump on constants becomes a jump, and the code it cannot reach
 * goes. Values derived from constant blinding's AX are never folded (that would put the
 * program's immediates back into the code).
 */
export function constantFold(fn: Func, _ctx: PassContext): number {
  let fired = 0;
  for (let round = 0; round < 4; round++) {
    const n = foldOnce(fn);
    fired += n;
    if (n === 0) break;
  }
  // jumps to jumps (a loop latch's `if c goto out; goto top`) are threaded even when
  // nothing folded
  return fired + simplifyCfg(fn);
}

const BPF_OP: Partial<Record<Op, number>> = {
  [Op.Add]: BpfAluOp.ADD,
  [Op.Sub]: BpfAluOp.SUB,
  [Op.Mul]: BpfAluOp.MUL,
  [Op.UDiv]: BpfAluOp.DIV,
  [Op.SDiv]: BpfAluOp.DIV,
  [Op.UMod]: BpfAluOp.MOD,
  [Op.SMod]: BpfAluOp.MOD,
  [Op.Or]: BpfAluOp.OR,
  [Op.And]: BpfAluOp.AND,
  [Op.Xor]: BpfAluOp.XOR,
  [Op.Shl]: BpfAluOp.LSH,
  [Op.LShr]: BpfAluOp.RSH,
  [Op.AShr]: BpfAluOp.ARSH,
};

const COMMUTATIVE = new Set<Op>([Op.Add, Op.Mul, Op.And, Op.Or, Op.Xor]);

/** A constant the optimizer may use (not one of constant blinding's). */
function known(x: Inst | null): x is Inst {
  return isConst(x) && (x.flags & FLAG_OPAQUE) === 0;
}

/** The value of operand b (register or immediate) when known. */
function operandB(x: Inst): bigint | null {
  if (x.b === null) return BigInt.asUintN(x.w, BigInt(x.imm));
  return known(x.b) ? x.b.k & mask(x.w) : null;
}

/** Fold x into a constant in place. */
function toConst(x: Inst, value: bigint): void {
  x.op = Op.Const;
  x.k = BigInt.asUintN(64, value);
  x.a = x.b = x.c = x.d = null;
  x.w = 64;
  x.imm = 0;
}

/** x becomes (a zero-extended copy of) its operand a. */
function toOperand(x: Inst): void {
  if (x.w === 64) {
    replace(x, x.a!);
    return;
  }
  x.op = Op.Mov;
  x.b = null;
  x.imm = 0;
}

/** Does an immediate of this op at width w hold value v (RFC 9669: ALU64 sign-extends imm)? */
function immediateFor(x: Inst, v: bigint): number | null {
  if (x.op === Op.Shl || x.op === Op.LShr || x.op === Op.AShr) return Number(v & BigInt(x.w - 1));
  const s = BigInt.asIntN(x.w, v);
  if (x.w === 32) return Number(BigInt.asIntN(32, v));
  return s >= -0x8000_0000n && s <= 0x7fff_ffffn ? Number(s) : null;
}

function foldOnce(fn: Func): number {
  let fired = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.removed) continue;
      resolveFixedOperands(x);
      if ((x.flags & FLAG_OPAQUE) !== 0) continue;
      const bop = BPF_OP[x.op];
      if (bop !== undefined) {
        // a constant first operand of a commutative operation goes second
        if (x.b !== null && COMMUTATIVE.has(x.op) && known(x.a) && !known(x.b)) [x.a, x.b] = [x.b, x.a!];
        const bv = operandB(x);
        if (known(x.a) && bv !== null) {
          const av = x.a.k & mask(x.w);
          const signed = x.op === Op.SDiv || x.op === Op.SMod;
          toConst(x, evalAlu(x.w, bop, av, bv, signed ? 1 : 0));
          fired++;
          continue;
        }
        if (bv !== null && x.b !== null) {
          const imm = immediateFor(x, bv);
          if (imm !== null) {
            x.b = null;
            x.imm = imm;
            fired++;
          }
        }
        fired += identities(x, bv) ? 1 : 0;
        continue;
      }
      switch (x.op) {
        case Op.Neg:
          if (known(x.a)) {
            toConst(x, BigInt.asUintN(x.w, -(x.a.k & mask(x.w))));
            fired++;
          }
          break;
        case Op.Mov:
          if (x.w === 64) {
            replace(x, x.a!);
            fired++;
          } else if (known(x.a)) {
            toConst(x, x.a.k & 0xffff_ffffn);
            fired++;
          }
          break;
        case Op.Sext:
          if (known(x.a)) {
            toConst(x, BigInt.asUintN(x.w, BigInt.asIntN(x.imm, x.a.k)));
            fired++;
          }
          break;
        case Op.Zext:
          if (known(x.a)) {
            toConst(x, BigInt.asUintN(x.imm, x.a.k));
            fired++;
          }
          break;
        case Op.Bswap:
          if (known(x.a)) {
            toConst(x, byteOrder(x.a.k, x.imm, 'swap'));
            fired++;
          }
          break;
        case Op.Phi:
          fired += constantPhi(fn, x) ? 1 : 0;
          break;
        case Op.CondBr:
          fired += foldBranch(x) ? 1 : 0;
          break;
        default:
          break;
      }
    }
  }
  if (fired > 0) simplifyCfg(fn);
  return fired;
}

function identities(x: Inst, bv: bigint | null): boolean {
  const a = x.a!;
  const all = mask(x.w);
  if (x.b !== null && x.b === a) {
    // the same value on both sides
    if (x.op === Op.Sub || x.op === Op.Xor) {
      toConst(x, 0n);
      return true;
    }
    if (x.op === Op.And || x.op === Op.Or) {
      toOperand(x);
      return true;
    }
  }
  if (x.op === Op.Sub && known(a) && (a.k & all) === 0n && x.b !== null) {
    x.op = Op.Neg;
    x.a = x.b;
    x.b = null;
    return true;
  }
  if (bv === null) return false;
  switch (x.op) {
    case Op.Add:
    case Op.Sub:
    case Op.Or:
    case Op.Xor:
    case Op.Shl:
    case Op.LShr:
    case Op.AShr:
      if (bv !== 0n) return false;
      toOperand(x);
      return true;
    case Op.Mul:
    case Op.UDiv:
    case Op.SDiv:
      if (bv === 1n) toOperand(x);
      else if (bv === 0n) toConst(x, 0n); // x * 0, and division by zero is 0 (RFC 9669 4.1)
      else return false;
      return true;
    case Op.UMod:
    case Op.SMod:
      if (bv === 0n) toOperand(x); // x % 0 = x
      else if (bv === 1n) toConst(x, 0n);
      else return false;
      return true;
    case Op.And:
      if (bv === 0n) toConst(x, 0n);
      else if (bv === all) toOperand(x);
      else return false;
      return true;
    default:
      return false;
  }
}

/** phi(c, c, ...) of equal constants becomes that constant (after the block's phis). */
function constantPhi(fn: Func, p: Inst): boolean {
  let value: bigint | null = null;
  for (const a0 of p.args!) {
    const a = resolve(a0);
    if (a === p) continue;
    if (!known(a)) return false;
    if (value !== null && a.k !== value) return false;
    value = a.k;
  }
  if (value === null) return false;
  const b = p.block;
  let at = 0;
  while (at < b.insts.length && b.insts[at]!.op === Op.Phi) at++;
  const c = fn.inst(Op.Const, b, p.pc);
  c.k = value;
  b.insts.splice(at, 0, c);
  replace(p, c);
  return true;
}


/** if c1 <op> c2: always or never; a jump on the same value twice too. */
function foldBranch(x: Inst): boolean {
  if (x.b !== null && known(x.a) && !known(x.b) && SWAPPED_JMP[x.imm2] !== undefined) {
    // the constant goes right, where the immediate form can take it
    [x.a, x.b] = [x.b, x.a];
    x.imm2 = SWAPPED_JMP[x.imm2]!;
  }
  const a = x.a!;
  const w = x.w;
  let taken: boolean | null = null;
  const bv = x.b === null ? BigInt.asUintN(w, BigInt(x.imm)) : known(x.b) ? x.b.k & mask(w) : null;
  if (known(a) && bv !== null) taken = evalCondition(x.imm2, a.k & mask(w), bv, w);
  else if (x.b !== null && x.b === a) {
    const op = x.imm2;
    if (op === BpfJmpOp.JEQ || op === BpfJmpOp.JGE || op === BpfJmpOp.JLE || op === BpfJmpOp.JSGE || op === BpfJmpOp.JSLE) taken = true;
    else if (op === BpfJmpOp.JNE || op === BpfJmpOp.JGT || op === BpfJmpOp.JLT || op === BpfJmpOp.JSGT || op === BpfJmpOp.JSLT) taken = false;
  } else if (bv !== null && x.b !== null) {
    // a constant right operand becomes the immediate when it fits (sign-extended for JMP)
    const s = BigInt.asIntN(w, bv);
    if (w === 32 || (s >= -0x8000_0000n && s <= 0x7fff_ffffn)) {
      x.b = null;
      x.imm = Number(w === 32 ? BigInt.asIntN(32, bv) : s);
      return true;
    }
  }
  if (taken === null) return false;
  const b = x.block;
  const [t, f] = b.succs as [typeof b, typeof b];
  removeEdge(b, taken ? f : t);
  x.op = Op.Br;
  x.a = x.b = null;
  return true;
}
