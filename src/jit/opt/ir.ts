import type { FunctionInfo } from '../../bpf/index.js';

/**
 * The optimizer's IR: one function at a time, basic blocks of SSA instructions whose opcodes
 * are BPF's operations plus the AArch64 forms instruction selection folds them into (shifted
 * operands, bitfield moves, rotates, conditional selects, merged loads). Every instruction
 * remembers the BPF slot it came from (`pc`), which becomes the origin of the machine code
 * emitted for it. Instructions are plain objects of one shape (class Inst) so the passes run
 * monomorphic; operands are direct references, and a replaced instruction forwards to its
 * replacement (`fwd`) until the next operand sweep (`resolveOperands`).
 */
export enum Op {
  // values without operands
  /** an incoming argument: imm = 1..5 for R1-R5, 5 + k for stack-argument slot k (1..7) */
  Param,
  /** a register read before any write (any value will do; valid programs never read one) */
  Undef,
  /** the 64-bit constant `k` */
  Const,
  /** R10, the top of this function's BPF stack */
  Frame,
  /** the address of the function starting at slot imm (LDDW src 4) */
  FuncAddr,

  // ALU (w = 32 | 64; operand b, or the immediate `imm` when b is null)
  Add,
  Sub,
  Mul,
  UDiv,
  SDiv,
  UMod,
  SMod,
  Or,
  And,
  Xor,
  Shl,
  LShr,
  AShr,
  /** -a */
  Neg,
  /** a, zero-extended from 32 bits when w = 32 (MOV32); a plain copy when w = 64 */
  Mov,
  /** the low imm bits (8, 16, 32) of a, sign-extended to w */
  Sext,
  /** the low imm bits (8, 16, 32) of a, zero-extended */
  Zext,
  /** the low imm bits (16, 32, 64) of a, byte-reversed, zero-extended */
  Bswap,

  // selected AArch64 forms
  /** a rotated right by imm (by register b when b is set) */
  Ror,
  /** the w bits of a in reverse order (RBIT) */
  Rbit,
  /** the bytes of each halfword of a swapped (REV16, w bits) */
  Rev16,
  /** EXTR: the w bits at position imm of a:b (a high, b low) */
  Extr,
  /** imm2 bits of a from bit imm, zero-/sign-extended */
  Ubfx,
  Sbfx,
  /** the low imm2 bits of a, shifted left by imm (zeros elsewhere) */
  Ubfiz,
  /** a with its imm2 bits from bit imm replaced by the low bits of b */
  Bfi,
  /** a & ~b, a | ~b, a ^ ~b */
  Bic,
  Orn,
  Eon,
  /** a * b + c, c - a * b */
  Madd,
  Msub,
  /**
   * cond(c <imm2> d|imm at width sw) ? a : f(b), where `sel` picks f: 0 CSEL (b), 1 CSINC
   * (b + 1), 2 CSINV (~b), 3 CSNEG (-b)
   */
  Csel,

  // memory (a = base, b = index or null, imm = offset, size; Store: c = value or k when null)
  Load,
  Store,
  /** imm2 = the BPF atomic op (imm field); c = src; d = expected value (CMPXCHG's R0) */
  Atomic,
  LoadAcq,
  StoreRel,

  /** a call: imm2 = CallKind, imm = helper id / callee start slot / native id; args */
  Call,

  // control
  Phi,
  /** to succs[0] */
  Br,
  /** if a <imm2> (b | imm) at width w: succs[0], else succs[1] */
  CondBr,
  /** return a */
  Ret,
}

export enum CallKind {
  Helper,
  Local,
  Native,
  /** through register a: a helper id or a function address */
  Indirect,
}

/** Shift or extend applied to operand b (AArch64 shifted- and extended-register forms). */
export enum Mod {
  None,
  Lsl,
  Lsr,
  Asr,
  Ror,
  Uxtb,
  Uxth,
  Uxtw,
  Sxtb,
  Sxth,
  Sxtw,
}

export const FLAG_SIGNED = 1;
/** fetching atomics: the instruction's value is the old memory contents */
export const FLAG_FETCH = 2;
/** a value the optimizer must not see through (constant blinding's AX) */
export const FLAG_OPAQUE = 4;

export class Inst {
  op: Op;
  w: 32 | 64 = 64;
  a: Inst | null = null;
  b: Inst | null = null;
  c: Inst | null = null;
  d: Inst | null = null;
  imm = 0;
  imm2 = 0;
  /** Const value (unsigned, canonical at width w); Store of a constant: its value */
  k = 0n;
  /** modifier of operand b and its amount */
  mod: Mod = Mod.None;
  amount = 0;
  size: 1 | 2 | 4 | 8 = 8;
  flags = 0;
  /** Phi operands (parallel to block.preds) or call arguments */
  args: Inst[] | null = null;
  block: Block;
  /** BPF slot this came from */
  pc: number;
  id: number;
  /** replaced by: read operands through resolve() */
  fwd: Inst | null = null;
  uses = 0;
  /** allocated register number, -1 when none */
  reg = -1;
  removed = false;

  constructor(op: Op, block: Block, pc: number, id: number) {
    this.op = op;
    this.block = block;
    this.pc = pc;
    this.id = id;
  }
}

export class Block {
  readonly id: number;
  /** first BPF slot (edge blocks made by the optimizer take their predecessor's) */
  readonly start: number;
  insts: Inst[] = [];
  preds: Block[] = [];
  succs: Block[] = [];
  /** loop nesting depth (0 outside loops) */
  depth = 0;
  /** position in the current order (RPO, then layout) */
  order = 0;
  idom: Block | null = null;
  removed = false;
  /** an empty block made on a critical edge to hold phi moves */
  split = false;
  /** traversal stamp (cfg.ts reversePostOrder): reached by the walk with this number */
  visit = 0;

  constructor(id: number, start: number) {
    this.id = id;
    this.start = start;
  }

  get terminator(): Inst {
    return this.insts[this.insts.length - 1]!;
  }
}

/** What happened to a BPF slot that has no code of its own, for listings. */
export type SlotFate = string;

export class Func {
  readonly info: FunctionInfo;
  blocks: Block[] = [];
  entry!: Block;
  /** the function's R10 value (one per function) */
  frame!: Inst;
  undef!: Inst;
  /** stack-frame bytes loads and stores may still touch below R10 (0: none) */
  frameBytes = 0;
  /** R10's value is used as data (passed to a call, stored, computed with) */
  frameEscapes = false;
  /** stack-argument slots this function passes at most (R11 stores), from validation */
  stackArgsOut: number;
  #nextInst = 0;
  #nextBlock = 0;
  readonly fates = new Map<number, SlotFate>();

  constructor(info: FunctionInfo) {
    this.info = info;
    this.stackArgsOut = info.stackArgsOut;
  }

  get instCount(): number {
    return this.#nextInst;
  }

  newBlock(start: number): Block {
    return new Block(this.#nextBlock++, start);
  }

  inst(op: Op, block: Block, pc: number): Inst {
    return new Inst(op, block, pc, this.#nextInst++);
  }

  /** Record why slot `pc` lost its code (the first reason sticks). */
  fate(pc: number, why: SlotFate): void {
    if (!this.fates.has(pc)) this.fates.set(pc, why);
  }
}

/** The instruction an operand now stands for (following replacements). */
export function resolve(i: Inst): Inst {
  let r = i;
  while (r.fwd !== null) r = r.fwd;
  if (r !== i) {
    // path compression: later reads of i are one step
    let p = i;
    while (p.fwd !== null && p.fwd !== r) {
      const n: Inst = p.fwd;
      p.fwd = r;
      p = n;
    }
  }
  return r;
}

/** Replace `old` by `by` everywhere (lazily: operands forward until resolveOperands). */
export function replace(old: Inst, by: Inst): void {
  if (old === by) return;
  old.fwd = by;
  old.removed = true;
}

/** Rewrite every operand to its current instruction and drop removed instructions. */
/** Operands a, b, c, d of x read through forwarding (phi and call arguments: `args`). */
export function resolveFixedOperands(x: Inst): void {
  if (x.a !== null) x.a = resolve(x.a);
  if (x.b !== null) x.b = resolve(x.b);
  if (x.c !== null) x.c = resolve(x.c);
  if (x.d !== null) x.d = resolve(x.d);
}

export function resolveOperands(fn: Func): void {
  for (const b of fn.blocks) {
    let n = 0;
    const insts = b.insts;
    for (let i = 0; i < insts.length; i++) {
      const x = insts[i]!;
      if (x.removed) continue;
      resolveFixedOperands(x);
      const args = x.args;
      if (args !== null) for (let j = 0; j < args.length; j++) args[j] = resolve(args[j]!);
      insts[n++] = x;
    }
    insts.length = n;
  }
}

/** Recount `uses` of every instruction (after resolveOperands). */
export function countUses(fn: Func): void {
  for (const b of fn.blocks) for (const x of b.insts) x.uses = 0;
  fn.frame.uses = 0;
  fn.undef.uses = 0;
  for (const b of fn.blocks) {
    for (const x of b.insts) {
      if (x.a !== null) x.a.uses++;
      if (x.b !== null) x.b.uses++;
      if (x.c !== null) x.c.uses++;
      if (x.d !== null) x.d.uses++;
      if (x.args !== null) for (const y of x.args) y.uses++;
    }
  }
}

/** True for a Const (a value known at compile time). */
export function isConst(i: Inst | null): i is Inst {
  return i !== null && i.op === Op.Const;
}

const PURE = new Set<Op>([
  Op.Param,
  Op.Undef,
  Op.Const,
  Op.Frame,
  Op.FuncAddr,
  Op.Add,
  Op.Sub,
  Op.Mul,
  Op.UDiv,
  Op.SDiv,
  Op.UMod,
  Op.SMod,
  Op.Or,
  Op.And,
  Op.Xor,
  Op.Shl,
  Op.LShr,
  Op.AShr,
  Op.Neg,
  Op.Mov,
  Op.Sext,
  Op.Zext,
  Op.Bswap,
  Op.Ror,
  Op.Rbit,
  Op.Rev16,
  Op.Extr,
  Op.Ubfx,
  Op.Sbfx,
  Op.Ubfiz,
  Op.Bfi,
  Op.Bic,
  Op.Orn,
  Op.Eon,
  Op.Madd,
  Op.Msub,
  Op.Csel,
  Op.Phi,
]);

/** No side effect and no fault: removable when unused, computable anywhere its operands are. */
export function isPure(i: Inst): boolean {
  return PURE.has(i.op);
}

export function isTerminator(i: Inst): boolean {
  return i.op === Op.Br || i.op === Op.CondBr || i.op === Op.Ret;
}

/** All 64 (or 32) bits set. */
export function mask(w: 32 | 64): bigint {
  return w === 64 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
}

/** The immediate operand of an ALU instruction as the value the operation sees at width w. */
export function immValue(i: Inst): bigint {
  // RFC 9669 section 3: ALU64 sign-extends imm to 64 bits; ALU32 takes its 32 bits
  return BigInt.asUintN(i.w, BigInt(i.imm));
}
