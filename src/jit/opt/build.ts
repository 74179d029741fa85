import {
  BPF_REG_FP,
  BpfAluOp,
  BpfAtomicOp,
  STACK_FRAME_SIZE,
  lddwValue,
  type BpfInsn,
  type FunctionInfo,
  type InsnKind,
} from '../../bpf/index.js';
import { BPF_REG_AX } from '../registers.js';
import { Block, CallKind, FLAG_FETCH, FLAG_OPAQUE, FLAG_SIGNED, Func, Inst, Op, replace, resolve, resolveOperands } from './ir.js';

/**
 * BPF slots of one function -> basic blocks in SSA form.
 *
 * 1. Blocks start at the function's first slot, at jump targets and after jumps and exits.
 * 2. The stack frame is analysed: when R10 is only ever a load/store base (its address never
 *    escapes), every 8/4/2/1-byte slot that all accesses touch with the same offset and size is
 *    promoted to a pseudo-register, so its loads and stores become values (mem2reg).
 * 3. Liveness of the registers (and promoted slots) per block, as bitmasks.
 * 4. SSA: a phi for every live register at each join, then renaming in reverse post-order. A
 *    register copy (`rX = rY`) creates no instruction: rX simply names rY's value (copy
 *    propagation), unless that pass is off.
 * Calls read R1-R5 as far as the callee reads them (`calleeLiveIn`), clobber R1-R5 and define
 * R0. Anything the optimizer does not handle throws OptUnsupported, and the program is
 * compiled by the 1:1 path instead.
 */
export class OptUnsupported extends Error {
  override readonly name = 'OptUnsupported';
}

export interface BuildOptions {
  readonly program: readonly BpfInsn[];
  /** decoded kinds of every slot (undefined for LDDW tails) */
  readonly kinds: readonly (InsnKind | undefined)[];
  /** R1-R5 read by the function starting at a slot, as a bitmask of BPF registers */
  readonly calleeLiveIn: (start: number) => number;
  /** the same for `callx` (union over every function reachable through an address) */
  readonly indirectLiveIn: number;
  readonly helperIds: ReadonlySet<number>;
  readonly natives: ReadonlyMap<number, bigint> | undefined;
  readonly resolvePseudo: ((pseudo: number, imm: number, nextImm: number, pc: number) => bigint) | undefined;
  /** register copies become no instructions */
  readonly copyPropagation: boolean;
  /** non-escaping stack slots become values: at most this many (the most used in loops first) */
  readonly promoteSlots: number;
}

/** Bits of the register masks: BPF registers 0-9 and AX (12), then promoted slots. */
const SLOT_BASE = 13;
const MAX_SLOTS = 32 - SLOT_BASE;
const ARG_MASK = 0b111110; // R1-R5
const CALL_DEFS = 0b111111; // R0-R5
const NREGS = 32;

/** A promoted stack slot: all accesses at exactly [r10 + off], `size` bytes. */
interface Slot {
  readonly off: number;
  readonly size: 1 | 2 | 4 | 8;
}

export function buildFunction(fnInfo: FunctionInfo, o: BuildOptions): Func {
  const fn = new Func(fnInfo);
  const { program, kinds } = o;
  const start = fnInfo.start;
  const end = fnInfo.end;

  const slots = o.promoteSlots > 0 ? frameAnalysis(fn, program, kinds, start, end, Math.min(o.promoteSlots, MAX_SLOTS)) : unpromoted(fn, program, kinds, start, end);
  const slotOf = (off: number, size: number): number => {
    for (let i = 0; i < slots.length; i++) if (slots[i]!.off === off && slots[i]!.size === size) return SLOT_BASE + i;
    return -1;
  };

  // --- 1. blocks -------------------------------------------------------------------------------
  const leader = new Uint8Array(end - start + 1);
  leader[0] = 1;
  for (let pc = start; pc < end; pc++) {
    const k = kinds[pc];
    if (k === undefined) continue;
    if (k.kind === 'ja' || k.kind === 'jcond') {
      const target = pc + 1 + (k.kind === 'ja' ? k.offset : program[pc]!.off);
      if (target < start || target >= end) throw new OptUnsupported(`jump at ${pc} leaves its function`);
      leader[target - start] = 1;
      leader[pc + 1 - start] = 1;
    } else if (k.kind === 'exit') leader[pc + 1 - start] = 1;
  }
  const blockAt: (Block | undefined)[] = new Array(end - start);
  const entry = fn.newBlock(start);
  const blocks: Block[] = [];
  for (let pc = start; pc < end; pc++) {
    if (leader[pc - start]) {
      const b = fn.newBlock(pc);
      blocks.push(b);
      blockAt[pc - start] = b;
    }
  }
  const blockOf = (pc: number): Block => {
    const b = blockAt[pc - start];
    if (b === undefined) throw new OptUnsupported(`slot ${pc} starts no block`);
    return b;
  };
  // the end of each block and its successors
  const blockEnd = new Map<Block, number>();
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const stop = i + 1 < blocks.length ? blocks[i + 1]!.start : end;
    blockEnd.set(b, stop);
    let last = stop - 1;
    if (kinds[last] === undefined && last > b.start) last--; // an LDDW tail
    const k = kinds[last];
    if (k?.kind === 'ja') b.succs = [blockOf(last + 1 + k.offset)];
    else if (k?.kind === 'jcond') {
      const taken = blockOf(last + 1 + program[last]!.off);
      if (stop >= end) throw new OptUnsupported(`conditional jump at ${last} falls off its function`);
      const next = blockOf(stop);
      b.succs = taken === next ? [next] : [taken, next];
    } else if (k?.kind === 'exit') b.succs = [];
    else {
      if (stop >= end) throw new OptUnsupported(`function ${fnInfo.index} does not end with exit or a jump`);
      b.succs = [blockOf(stop)];
    }
  }
  entry.succs = [blocks[0]!];

  // reverse post-order from the entry; unreachable blocks are dropped
  const rpo: Block[] = [];
  {
    // visited, by block id (the entry is block 0, the others follow)
    const state = new Uint8Array(blocks.length + 1);
    const stack: Block[] = [entry];
    const index: number[] = [0];
    state[entry.id] = 1;
    while (stack.length > 0) {
      const b = stack[stack.length - 1]!;
      const i = index[index.length - 1]!;
      if (i < b.succs.length) {
        index[index.length - 1] = i + 1;
        const s = b.succs[i]!;
        if (state[s.id] === 0) {
          state[s.id] = 1;
          stack.push(s);
          index.push(0);
        }
      } else {
        stack.pop();
        index.pop();
        rpo.push(b);
      }
    }
    rpo.reverse();
    for (const b of blocks) if (state[b.id] === 0) for (let pc = b.start; pc < blockEnd.get(b)!; pc++) fn.fate(pc, 'unreachable');
  }
  rpo.forEach((b, i) => (b.order = i));
  for (const b of rpo) for (const s of b.succs) s.preds.push(b);

  // --- 3. liveness of registers and slots ------------------------------------------------------
  const use = new Int32Array(rpo.length);
  const def = new Int32Array(rpo.length);
  for (const b of rpo) {
    if (b === entry) continue;
    let u = 0;
    let d = 0;
    const stop = blockEnd.get(b)!;
    for (let pc = b.start; pc < stop; pc++) {
      const k = kinds[pc];
      if (k === undefined) continue;
      const r = readsWrites(program[pc]!, k, pc, o, slotOf);
      u |= r & ~d;
      d |= writes;
    }
    use[b.order] = u;
    def[b.order] = d;
  }
  const liveIn = new Int32Array(rpo.length);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = rpo.length - 1; i >= 0; i--) {
      const b = rpo[i]!;
      let out = 0;
      for (const s of b.succs) out |= liveIn[s.order]!;
      const inn = use[i]! | (out & ~def[i]!);
      if (inn !== liveIn[i]) {
        liveIn[i] = inn;
        changed = true;
      }
    }
  }

  // --- 4. SSA ----------------------------------------------------------------------------------
  fn.entry = entry;
  fn.frame = fn.inst(Op.Frame, entry, start);
  fn.undef = fn.inst(Op.Undef, entry, start);
  const outState = new Map<Block, Inst[]>();
  const phis = new Map<Block, Inst[]>();
  {
    const cur: Inst[] = new Array<Inst>(NREGS).fill(fn.undef);
    for (let r = 1; r <= 5; r++) {
      const p = fn.inst(Op.Param, entry, start);
      p.imm = r;
      entry.insts.push(p);
      cur[r] = p;
    }
    entry.insts.push(fn.frame);
    const br = fn.inst(Op.Br, entry, start);
    entry.insts.push(br);
    outState.set(entry, cur);
  }
  const b2 = new Builder(fn, o, slotOf);
  for (const b of rpo) {
    if (b === entry) continue;
    let cur: Inst[];
    if (b.preds.length === 1 && b.preds[0]!.order < b.order) cur = outState.get(b.preds[0]!)!.slice();
    else {
      cur = new Array<Inst>(NREGS).fill(fn.undef);
      const live = liveIn[b.order]!;
      const list: Inst[] = [];
      for (let r = 0; r < NREGS; r++) {
        if (!(live & (1 << r))) continue;
        const p = fn.inst(Op.Phi, b, b.start);
        p.imm = r;
        p.args = [];
        if (r === BPF_REG_AX) p.flags |= FLAG_OPAQUE;
        b.insts.push(p);
        list.push(p);
        cur[r] = p;
      }
      phis.set(b, list);
    }
    b2.block(b, b.start, blockEnd.get(b)!, cur);
    outState.set(b, cur);
  }
  for (const [b, list] of phis) {
    for (const p of list) p.args = b.preds.map((pr) => outState.get(pr)![p.imm]!);
  }
  fn.blocks = rpo;
  removeTrivialPhis(fn);
  return fn;
}

/**
 * phi(x, x, ..., self) -> x, until none is left. A removed phi may make the phis that read it
 * trivial in turn: those go on a worklist (Braun et al., "Simple and Efficient Construction of
 * Static Single Assignment Form", CC 2013, tryRemoveTrivialPhi).
 */
export function removeTrivialPhis(fn: Func): number {
  const readers = new Map<Inst, Inst[]>();
  const work: Inst[] = [];
  for (const b of fn.blocks) {
    for (const p of b.insts) {
      if (p.op !== Op.Phi) break;
      work.push(p);
      for (const a of p.args!) if (a.op === Op.Phi) (readers.get(a) ?? readers.set(a, []).get(a)!).push(p);
    }
  }
  let removed = 0;
  while (work.length > 0) {
    const p = work.pop()!;
    if (p.removed) continue;
    let same: Inst | null = null;
    let trivial = true;
    for (const raw of p.args!) {
      const a = resolve(raw);
      if (a === p || a === same) continue;
      if (same !== null) {
        trivial = false;
        break;
      }
      same = a;
    }
    if (!trivial) continue;
    replace(p, same ?? fn.undef);
    removed++;
    for (const r of readers.get(p) ?? []) if (!r.removed) work.push(r);
  }
  resolveOperands(fn);
  return removed;
}

/** The registers (and promoted slots) the last readsWrites call found written, as a mask. */
let writes = 0;

const bit = (r: number): number => (r === BPF_REG_FP ? 0 : 1 << r);

/** reads, with `writes` set to w */
function rw(reads: number, w: number): number {
  writes = w;
  return reads;
}

/**
 * Registers (and promoted slots) an instruction reads, as a mask; what it writes goes to
 * `writes` (no pair allocated per slot: this runs for every slot of every function).
 */
function readsWrites(insn: BpfInsn, k: InsnKind, pc: number, o: BuildOptions, slotOf: (off: number, size: number) => number): number {
  switch (k.kind) {
    case 'alu':
      if (k.op === BpfAluOp.MOV) return rw(k.source === 'reg' ? bit(insn.src) : 0, bit(insn.dst));
      return rw(bit(insn.dst) | (k.source === 'reg' ? bit(insn.src) : 0), bit(insn.dst));
    case 'neg':
    case 'end':
      return rw(bit(insn.dst), bit(insn.dst));
    case 'ja':
      return rw(0, 0);
    case 'jcond':
      return rw(bit(insn.dst) | (k.source === 'reg' ? bit(insn.src) : 0), 0);
    case 'call-helper':
    case 'call-native':
      return rw(ARG_MASK, CALL_DEFS);
    case 'call-local':
      return rw(o.calleeLiveIn(pc + 1 + k.offset), CALL_DEFS);
    case 'callx':
      return rw(bit(k.reg) | o.indirectLiveIn, CALL_DEFS);
    case 'exit':
      return rw(1, 0);
    case 'lddw':
      return rw(0, bit(insn.dst));
    case 'load': {
      if (k.stackArg) return rw(0, bit(insn.dst));
      if (insn.src === BPF_REG_FP) {
        const s = slotOf(insn.off, k.size);
        return rw(s >= 0 ? 1 << s : 0, bit(insn.dst));
      }
      return rw(bit(insn.src), bit(insn.dst));
    }
    case 'store': {
      const value = k.source === 'reg' ? bit(insn.src) : 0;
      if (k.stackArg) return rw(value, 0);
      if (insn.dst === BPF_REG_FP) {
        const s = slotOf(insn.off, k.size);
        return rw(value, s >= 0 ? 1 << s : 0);
      }
      return rw(bit(insn.dst) | value, 0);
    }
    case 'atomic':
      if (k.op === (BpfAtomicOp.CMPXCHG & 0xf0)) return rw(bit(insn.dst) | bit(insn.src) | 1, 1);
      return rw(bit(insn.dst) | bit(insn.src), k.fetch || k.op === (BpfAtomicOp.XCHG & 0xf0) ? bit(insn.src) : 0);
    case 'load-acquire':
      return rw(bit(insn.src), bit(insn.dst));
    case 'store-release':
      return rw(bit(insn.dst) | bit(insn.src), 0);
    case 'ld-legacy':
      throw new OptUnsupported('legacy packet access');
  }
}

/** Stack slots of a function whose frame address never escapes (fills fn.frameBytes). */
function frameAnalysis(fn: Func, program: readonly BpfInsn[], kinds: readonly (InsnKind | undefined)[], start: number, end: number, limit = MAX_SLOTS): Slot[] {
  // by (off + 512) * 16 + size: one number per distinct access
  const accesses = new Map<number, { off: number; size: 1 | 2 | 4 | 8; count: number; weight: number; pinned: boolean }>();
  const depth = loopNesting(program, kinds, start, end);
  const touched = new Uint16Array(STACK_FRAME_SIZE); // accesses per byte below R10
  let escapes = false;
  for (let pc = start; pc < end; pc++) {
    const k = kinds[pc];
    if (k === undefined) continue;
    const insn = program[pc]!;
    let base = -1;
    let size: 1 | 2 | 4 | 8 = 8;
    let pinned = false;
    switch (k.kind) {
      case 'load':
        if (!k.stackArg) {
          base = insn.src;
          size = k.size;
        }
        break;
      case 'store':
        if (!k.stackArg) {
          base = insn.dst;
          size = k.size;
        }
        if (k.source === 'reg' && insn.src === BPF_REG_FP) escapes = true;
        break;
      case 'atomic':
      case 'load-acquire':
      case 'store-release':
        base = k.kind === 'load-acquire' ? insn.src : insn.dst;
        size = k.size;
        pinned = true;
        if (k.kind !== 'load-acquire' && insn.src === BPF_REG_FP) escapes = true;
        break;
      case 'alu':
      case 'jcond':
        if (k.source === 'reg' && insn.src === BPF_REG_FP) escapes = true;
        if (insn.dst === BPF_REG_FP) escapes = true;
        break;
      case 'callx':
        if (k.reg === BPF_REG_FP) escapes = true;
        break;
      default:
        break;
    }
    if (base !== BPF_REG_FP) continue;
    const off = insn.off;
    if (off < -STACK_FRAME_SIZE || off + size > 0) {
      escapes = true; // outside the frame: leave it exactly as the 1:1 path would
      continue;
    }
    const key = (off + STACK_FRAME_SIZE) * 16 + size;
    const a = accesses.get(key) ?? { off, size, count: 0, weight: 0, pinned: false };
    a.count++;
    a.weight += 8 ** Math.min(depth[pc - start]!, 6);
    a.pinned ||= pinned;
    accesses.set(key, a);
    for (let i = 0; i < size; i++) touched[STACK_FRAME_SIZE + off + i]!++;
  }
  if (escapes) {
    fn.frameEscapes = true;
    fn.frameBytes = STACK_FRAME_SIZE;
    return [];
  }
  const slots: Slot[] = [];
  const candidates = [...accesses.values()].filter((a) => {
    if (a.pinned) return false;
    for (let i = 0; i < a.size; i++) if (touched[STACK_FRAME_SIZE + a.off + i] !== a.count) return false;
    return true;
  });
  candidates.sort((x, y) => y.weight - x.weight || x.off - y.off);
  for (const c of candidates.slice(0, limit)) slots.push({ off: c.off, size: c.size });
  let low = 0;
  for (const a of accesses.values()) if (!slots.some((s) => s.off === a.off && s.size === a.size)) low = Math.min(low, a.off);
  fn.frameBytes = Math.ceil(-low / 16) * 16;
  return slots;
}

/**
 * Loop nesting depth of each slot from the backward jumps around it (a BPF-level estimate,
 * before there is a CFG): which stack slots matter most when not all can be registers.
 */
function loopNesting(program: readonly BpfInsn[], kinds: readonly (InsnKind | undefined)[], start: number, end: number): Uint8Array {
  const depth = new Uint8Array(end - start);
  for (let pc = start; pc < end; pc++) {
    const k = kinds[pc];
    if (k === undefined || (k.kind !== 'ja' && k.kind !== 'jcond')) continue;
    const target = pc + 1 + (k.kind === 'ja' ? k.offset : program[pc]!.off);
    if (target > pc || target < start) continue;
    for (let i = target; i <= pc; i++) if (depth[i - start]! < 255) depth[i - start]!++;
  }
  return depth;
}

/** No promotion: the frame is whatever the accesses reach (or all of it when R10 escapes). */
function unpromoted(fn: Func, program: readonly BpfInsn[], kinds: readonly (InsnKind | undefined)[], start: number, end: number): Slot[] {
  frameAnalysis(fn, program, kinds, start, end);
  if (!fn.frameEscapes) {
    let low = 0;
    for (let pc = start; pc < end; pc++) {
      const k = kinds[pc];
      const insn = program[pc]!;
      if (k?.kind === 'load' && !k.stackArg && insn.src === BPF_REG_FP) low = Math.min(low, insn.off);
      if (k?.kind === 'store' && !k.stackArg && insn.dst === BPF_REG_FP) low = Math.min(low, insn.off);
      if ((k?.kind === 'atomic' || k?.kind === 'store-release') && insn.dst === BPF_REG_FP) low = Math.min(low, insn.off);
      if (k?.kind === 'load-acquire' && insn.src === BPF_REG_FP) low = Math.min(low, insn.off);
    }
    fn.frameBytes = Math.ceil(-low / 16) * 16;
  }
  return [];
}

const ALU_OPS: Readonly<Record<number, Op>> = {
  [BpfAluOp.ADD]: Op.Add,
  [BpfAluOp.SUB]: Op.Sub,
  [BpfAluOp.MUL]: Op.Mul,
  [BpfAluOp.OR]: Op.Or,
  [BpfAluOp.AND]: Op.And,
  [BpfAluOp.XOR]: Op.Xor,
  [BpfAluOp.LSH]: Op.Shl,
  [BpfAluOp.RSH]: Op.LShr,
  [BpfAluOp.ARSH]: Op.AShr,
};

/** Translates the slots of one block, with `cur` the value of every register. */
class Builder {
  /** R11 stores waiting for their call: slot k -> value */
  #stackArgs: Inst[] = [];

  constructor(
    readonly fn: Func,
    readonly o: BuildOptions,
    readonly slotOf: (off: number, size: number) => number,
  ) {}

  block(b: Block, from: number, to: number, cur: Inst[]): void {
    const fn = this.fn;
    const { program, kinds } = this.o;
    const mk = (op: Op, pc: number, w: 32 | 64 = 64): Inst => {
      const x = fn.inst(op, b, pc);
      x.w = w;
      b.insts.push(x);
      return x;
    };
    const constant = (value: bigint, pc: number): Inst => {
      const x = mk(Op.Const, pc);
      x.k = BigInt.asUintN(64, value);
      return x;
    };
    /** the value of a register as an operand (R10 is the frame address) */
    const reg = (r: number): Inst => (r === BPF_REG_FP ? fn.frame : cur[r]!);
    const setReg = (r: number, v: Inst): void => {
      if (r === BPF_REG_AX) v.flags |= FLAG_OPAQUE;
      cur[r] = v;
    };
    for (let pc = from; pc < to; pc++) {
      const k = kinds[pc];
      if (k === undefined) continue;
      const insn = program[pc]!;
      switch (k.kind) {
        case 'alu': {
          const w = k.width;
          if (k.op === BpfAluOp.MOV) {
            if (k.source === 'imm') {
              setReg(insn.dst, constant(w === 64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0), pc));
            } else if (k.movsx !== 0) {
              const x = mk(Op.Sext, pc, w);
              x.a = reg(insn.src);
              x.imm = k.movsx;
              setReg(insn.dst, x);
            } else if (w === 64 && this.o.copyPropagation && insn.dst !== BPF_REG_AX && insn.src !== BPF_REG_AX) {
              setReg(insn.dst, reg(insn.src));
              fn.fate(pc, 'copy propagated');
            } else {
              const x = mk(Op.Mov, pc, w);
              x.a = reg(insn.src);
              setReg(insn.dst, x);
            }
            break;
          }
          let op: Op | undefined = ALU_OPS[k.op];
          if (k.op === BpfAluOp.DIV) op = k.signed ? Op.SDiv : Op.UDiv;
          else if (k.op === BpfAluOp.MOD) op = k.signed ? Op.SMod : Op.UMod;
          if (op === undefined) throw new OptUnsupported(`ALU op 0x${k.op.toString(16)}`);
          const x = mk(op, pc, w);
          x.a = reg(insn.dst);
          if (k.source === 'reg') x.b = reg(insn.src);
          else x.imm = op === Op.Shl || op === Op.LShr || op === Op.AShr ? insn.imm & (w - 1) : insn.imm;
          setReg(insn.dst, x);
          break;
        }
        case 'neg': {
          const x = mk(Op.Neg, pc, k.width);
          x.a = reg(insn.dst);
          setReg(insn.dst, x);
          break;
        }
        case 'end': {
          if (k.order === 'le' && k.bits === 64) {
            fn.fate(pc, 'no operation');
            break;
          }
          const x = mk(k.order === 'le' ? Op.Zext : Op.Bswap, pc);
          x.a = reg(insn.dst);
          x.imm = k.bits;
          setReg(insn.dst, x);
          break;
        }
        case 'ja':
          mk(Op.Br, pc);
          break;
        case 'jcond': {
          const target = pc + 1 + insn.off;
          if (target === pc + 1) {
            mk(Op.Br, pc);
            break;
          }
          const x = mk(Op.CondBr, pc, k.width);
          x.a = reg(insn.dst);
          if (k.source === 'reg') x.b = reg(insn.src);
          else x.imm = insn.imm;
          x.imm2 = k.op;
          break;
        }
        case 'call-helper':
        case 'call-local':
        case 'call-native':
        case 'callx': {
          const x = mk(Op.Call, pc);
          let liveIn = ARG_MASK;
          if (k.kind === 'call-helper') {
            if (!this.o.helperIds.has(k.id)) throw new OptUnsupported(`helper ${k.id} is not registered`);
            x.imm2 = CallKind.Helper;
            x.imm = k.id;
          } else if (k.kind === 'call-local') {
            x.imm2 = CallKind.Local;
            x.imm = pc + 1 + k.offset;
            liveIn = this.o.calleeLiveIn(x.imm);
          } else if (k.kind === 'call-native') {
            if (this.o.natives?.get(k.id) === undefined) throw new OptUnsupported(`native ${k.id} is not linked`);
            x.imm2 = CallKind.Native;
            x.imm = k.id;
          } else {
            x.imm2 = CallKind.Indirect;
            x.a = reg(k.reg);
            liveIn = this.o.indirectLiveIn;
          }
          const args: Inst[] = [];
          for (let r = 1; r <= 5; r++) args.push(liveIn & (1 << r) ? reg(r) : fn.undef);
          for (let s = 1; s < this.#stackArgs.length; s++) args.push(this.#stackArgs[s] ?? fn.undef);
          x.args = args;
          this.#stackArgs = [];
          setReg(0, x);
          for (let r = 1; r <= 5; r++) cur[r] = fn.undef;
          break;
        }
        case 'exit': {
          const x = mk(Op.Ret, pc);
          x.a = reg(0);
          break;
        }
        case 'lddw': {
          const next = program[pc + 1]!;
          if (k.pseudo === 0) setReg(insn.dst, constant(lddwValue(insn, next), pc));
          else if (k.pseudo === 4) {
            const x = mk(Op.FuncAddr, pc);
            x.imm = pc + 1 + insn.imm;
            setReg(insn.dst, x);
          } else {
            if (!this.o.resolvePseudo) throw new OptUnsupported(`lddw pseudo form ${k.pseudo} without a resolver`);
            setReg(insn.dst, constant(this.o.resolvePseudo(k.pseudo, insn.imm, next.imm, pc), pc));
          }
          pc++;
          break;
        }
        case 'load': {
          if (k.stackArg) {
            const idx = insn.off / 8;
            const x = mk(Op.Param, pc);
            x.imm = 5 + idx;
            // an incoming stack argument is a value defined at entry: move it there
            b.insts.pop();
            x.block = fn.entry;
            fn.entry.insts.splice(fn.entry.insts.length - 1, 0, x);
            setReg(insn.dst, x);
            break;
          }
          if (insn.src === BPF_REG_FP) {
            const s = this.slotOf(insn.off, k.size);
            if (s >= 0) {
              const v = cur[s]!;
              if (k.size === 8) setReg(insn.dst, v);
              else {
                const x = mk(k.signed ? Op.Sext : Op.Zext, pc);
                x.a = v;
                x.imm = k.size * 8;
                setReg(insn.dst, x);
              }
              if (k.size === 8) fn.fate(pc, 'stack slot in a register');
              break;
            }
          }
          const x = mk(Op.Load, pc);
          x.a = reg(insn.src);
          x.imm = insn.off;
          x.size = k.size;
          if (k.signed) x.flags |= FLAG_SIGNED;
          setReg(insn.dst, x);
          break;
        }
        case 'store': {
          const value = k.source === 'reg' ? reg(insn.src) : null;
          if (k.stackArg) {
            this.#stackArgs[-insn.off / 8] = value ?? constant(BigInt(insn.imm), pc);
            fn.fate(pc, 'argument passed at the call');
            break;
          }
          if (insn.dst === BPF_REG_FP) {
            const s = this.slotOf(insn.off, k.size);
            if (s >= 0) {
              cur[s] = value ?? constant(BigInt(insn.imm), pc);
              fn.fate(pc, 'stack slot in a register');
              break;
            }
          }
          const x = mk(Op.Store, pc);
          x.a = reg(insn.dst);
          x.imm = insn.off;
          x.size = k.size;
          if (value !== null) x.c = value;
          else x.k = BigInt.asUintN(64, BigInt(insn.imm));
          break;
        }
        case 'atomic': {
          const x = mk(Op.Atomic, pc, k.size === 8 ? 64 : 32);
          x.a = reg(insn.dst);
          x.c = reg(insn.src);
          x.imm = insn.off;
          x.size = k.size;
          x.imm2 = insn.imm;
          if (k.op === (BpfAtomicOp.CMPXCHG & 0xf0)) {
            x.d = reg(0);
            x.flags |= FLAG_FETCH;
            setReg(0, x);
          } else if (k.fetch || k.op === (BpfAtomicOp.XCHG & 0xf0)) {
            x.flags |= FLAG_FETCH;
            setReg(insn.src, x);
          }
          break;
        }
        case 'load-acquire': {
          const x = mk(Op.LoadAcq, pc);
          x.a = reg(insn.src);
          x.imm = insn.off;
          x.size = k.size;
          setReg(insn.dst, x);
          break;
        }
        case 'store-release': {
          const x = mk(Op.StoreRel, pc);
          x.a = reg(insn.dst);
          x.c = reg(insn.src);
          x.imm = insn.off;
          x.size = k.size;
          break;
        }
        case 'ld-legacy':
          throw new OptUnsupported('legacy packet access');
      }
    }
    // a block that ends without a jump falls through: make that explicit
    const last = b.insts[b.insts.length - 1];
    if (last === undefined || (last.op !== Op.Br && last.op !== Op.CondBr && last.op !== Op.Ret)) mk(Op.Br, to - 1);
    else if (last.op === Op.CondBr && b.succs.length === 1) last.op = Op.Br;
    if (this.#stackArgs.length > 0 && b.succs.length > 0) {
      // R11 stores reach their call within the block (the validator's ordering rules)
      throw new OptUnsupported('stack arguments stored in one block and passed in another');
    }
  }
}
