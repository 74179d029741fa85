import {
  Assembler,
  Cond,
  SP,
  WZR,
  X0,
  X16,
  X29,
  X30,
  X8,
  XZR,
  addExt,
  addImm,
  addReg,
  andImm,
  andReg,
  asrImm,
  asrv,
  bfi,
  bicReg,
  cmpReg,
  csel,
  csinc,
  csinv,
  csneg,
  eonReg,
  eorImm,
  eorReg,
  extr,
  isLogicalImmediate,
  ldp,
  ldr,
  lslImm,
  lslv,
  lsrImm,
  lsrv,
  madd,
  mem,
  mov,
  msub,
  mul,
  mvn,
  neg,
  ornReg,
  orrImm,
  orrReg,
  postIndex,
  preIndex,
  ret,
  rev,
  rbit,
  rev16,
  rorImm,
  rorv,
  sbfx,
  sdiv,
  stp,
  str,
  subExt,
  subImm,
  subReg,
  sxtb,
  sxth,
  sxtw,
  tstImm,
  tstReg,
  ubfiz,
  ubfx,
  udiv,
  uxtb,
  uxth,
  withWidth,
  xreg,
  type Extend,
  type GpReg,
  type Label,
  type Shift,
  type XReg,
} from '../../arm64/index.js';
import { BpfJmpOp } from '../../bpf/index.js';
import { CTX_EXIT_VALUE } from '../context-layout.js';
import { emitAddConstant } from '../emit-alu.js';
import { emitAtomic, emitLoadAcquire, emitStoreRelease } from '../emit-atomic.js';
import { CONDITIONS, JNSET, emitCompareConstant, emitCondBranch } from '../emit-branch.js';
import { emitCallx, emitHelperCall, emitLocalCall, emitNativeCall } from '../emit-call.js';
import type { Emit } from '../emit-context.js';
import { emitLoad, emitStore, emitStoreConstant, type MemOperand } from '../emit-memory.js';
import type { FrameLayout } from '../frame.js';
import { CTX, ENTRY_FP, TMP1, TMP2, TMP3 } from '../registers.js';
import { emitFaultLanding } from '../safety/unwind.js';
import { OptUnsupported } from './build.js';
import { INVERSE_CONDITION } from './conditions.js';
import { CallKind, FLAG_FETCH, FLAG_SIGNED, Mod, Op, type Block, type Func, type Inst } from './ir.js';
import type { Allocation } from './regalloc.js';

/**
 * Lowering of allocated SSA to AArch64. Memory accesses, calls and conditional branches go
 * through the same emit helpers as the 1:1 path (emit-memory.ts, emit-call.ts,
 * emit-branch.ts, emit-atomic.ts); everything else is one or two instructions per IR
 * instruction. Each emitted word records the BPF slot of the instruction it came from.
 */

/** What the program-level driver gives each function. */
export interface ProgramEmitter {
  readonly a: Assembler;
  readonly atomics: 'lse' | 'llsc';
  readonly contextAddress: bigint;
  readonly natives: ReadonlyMap<number, bigint> | undefined;
  readonly helperIds: ReadonlySet<number>;
  readonly functionLabel: (start: number) => Label;
  readonly callbackEntries: readonly Label[];
  /** the entry function's unwind-everything path */
  readonly exitAll: Label;
  /** record that the words emitted since the last mark came from slot pc */
  mark(pc: number): void;
  /** record prologue/epilogue ranges */
  readonly prologues: [number, number][];
  readonly epilogues: [number, number][];
  /** fault containment (CompileOptions.contain): the entry's landing and where faults must not land */
  readonly contain: boolean;
  containment?: { landing: number; exclude: [number, number][] };
  readonly functionOffsets: number[];
  /** test-bit branches (TBZ/TBNZ) may be used (their reach is 32 KiB) */
  readonly testBits: boolean;
  /** TBZ/TBNZ emitted so far (the compare-branch pass's count) */
  testBitBranches: number;
}

const LOGICAL_REG: Partial<Record<Op, (rd: GpReg, rn: GpReg, rm: GpReg, shift: Shift, amount: number) => number>> = {
  [Op.Or]: orrReg,
  [Op.And]: andReg,
  [Op.Xor]: eorReg,
  [Op.Bic]: bicReg,
  [Op.Orn]: ornReg,
  [Op.Eon]: eonReg,
};

/** The frame of one optimized function. */
export interface OptFrame {
  readonly isEntry: boolean;
  readonly holdsContext: boolean;
  /** callee-saved registers saved by the prologue (sorted) */
  readonly saved: readonly number[];
  /** frame record (x29/x30) and everything under it; false for frameless leaf functions */
  readonly record: boolean;
  /** BPF stack bytes below R10 */
  readonly bpfStack: number;
  readonly outgoingArgs: number;
}

const SHIFTS: Partial<Record<Mod, Shift>> = { [Mod.Lsl]: 'lsl', [Mod.Lsr]: 'lsr', [Mod.Asr]: 'asr', [Mod.Ror]: 'ror' };
const EXTENDS: Partial<Record<Mod, Extend>> = {
  [Mod.Uxtb]: 'uxtb',
  [Mod.Uxth]: 'uxth',
  [Mod.Uxtw]: 'uxtw',
  [Mod.Sxtb]: 'sxtb',
  [Mod.Sxth]: 'sxth',
  [Mod.Sxtw]: 'sxtw',
};

/** CSEL, CSINC, CSINV, CSNEG by a Csel's `amount` (sel) */
const SELECTS = [csel, csinc, csinv, csneg] as const;

interface Move {
  /** destination register number */
  readonly to: number;
  /** source register number, or a constant to materialize */
  readonly from: number | bigint;
}

export function emitFunction(pe: ProgramEmitter, fn: Func, layout: readonly Block[], alloc: Allocation, frame: OptFrame): void {
  const a = pe.a;
  const regOf = alloc.reg;
  const entryResult = frame.isEntry;
  const spBelowFp = frame.bpfStack + frame.outgoingArgs;
  const labels = new Map<number, Label>();
  const labelOf = (b: Block): Label => {
    let l = labels.get(b.id);
    if (l === undefined) {
      l = a.newLabel();
      labels.set(b.id, l);
    }
    return l;
  };
  const blockById = new Map<number, Block>(layout.map((b) => [b.id, b]));
  const epilogue = a.newLabel();
  let pc = fn.info.start;
  const frameLayout: FrameLayout = {
    isEntry: frame.isEntry,
    holdsContext: frame.holdsContext,
    savedPairs: [],
    bpfStack: frame.bpfStack,
    outgoingArgs: frame.outgoingArgs,
    spBelowFp,
    usesFp: false,
    fpRegister: null,
    tailCalls: false,
    shadowStack: false,
  };
  const e: Emit = {
    a,
    // the tier compiles no budget or sandbox (those programs are 1:1)
    safety: { budgetExit: undefined, sandbox: undefined },
    frame: frameLayout,
    program: [],
    get pc() {
      return pc;
    },
    atomics: pe.atomics,
    epilogue,
    exitAll: pe.exitAll,
    functionLabel: pe.functionLabel,
    branchTo(cond: Cond, target: number) {
      a.bCond(cond, labelOf(blockById.get(target)!));
    },
    compareBranchTo(nonZero: boolean, r: GpReg, target: number) {
      const l = labelOf(blockById.get(target)!);
      if (nonZero) a.cbnz(r, l);
      else a.cbz(r, l);
    },
    jumpTo(target: number) {
      a.b(labelOf(blockById.get(target)!));
    },
    ...(pe.testBits
      ? {
          testBitBranchTo(nonZero: boolean, r: GpReg, bit: number, target: number) {
            const l = labelOf(blockById.get(target)!);
            pe.testBitBranches++;
            if (nonZero) a.tbnz(r, bit, l);
            else a.tbz(r, bit, l);
          },
        }
      : {}),
  };

  /** the register of a value at width w; constants 0 and Undef read as the zero register */
  const R = (v: Inst, w: 32 | 64 = 64): GpReg => {
    const r = regOf[v.id]!;
    if (r < 0) {
      if (v.op === Op.Undef || (v.op === Op.Const && v.k === 0n)) return w === 64 ? XZR : WZR;
      throw new OptUnsupported(`no register for the value of slot ${v.pc} (op ${Op[v.op]})`);
    }
    return withWidth(xreg(r), w);
  };
  /**
   * The same, but never the zero register (for SP-capable operand slots): a zero goes through
   * TMP3, since TMP1 may still be needed for the other operand's constant.
   */
  const RN = (v: Inst, w: 32 | 64): GpReg => {
    const r = R(v, w);
    if (r.num !== 31) return r;
    a.emit(mov(withWidth(TMP3, w), w === 64 ? XZR : WZR));
    return withWidth(TMP3, w);
  };
  const D = (x: Inst, w: 32 | 64 = x.w): GpReg => {
    const r = regOf[x.id]!;
    return r < 0 ? (w === 64 ? XZR : WZR) : withWidth(xreg(r), w);
  };

  // --- prologue ------------------------------------------------------------------------------
  pe.functionOffsets.push(a.offset);
  a.bind(pe.functionLabel(fn.info.start));
  const prologueStart = a.offset;
  const pairs: [number, number][] = [];
  for (let i = 0; i < frame.saved.length; i += 2) pairs.push([frame.saved[i]!, frame.saved[i + 1] ?? 31]);
  if (frame.record) {
    a.emit(stp(X29, X30, preIndex(SP, -16)));
    a.emit(mov(X29, SP));
    for (const [r1, r2] of pairs) a.emit(stp(xreg(r1), r2 === 31 ? XZR : xreg(r2), preIndex(SP, -16)));
    if (frame.holdsContext) {
      a.materialize(CTX, pe.contextAddress);
      a.emit(mov(ENTRY_FP, X29));
    }
    if (spBelowFp > 0) a.emit(subImm(SP, SP, spBelowFp));
  }
  // before this, the entry frame is not recorded: a fault there cannot be contained
  const setupEnd = a.offset;
  pe.mark(-1);
  pe.prologues.push([prologueStart, a.offset]);

  // incoming arguments into their registers
  {
    const moves: Move[] = [];
    const loads: [number, number][] = [];
    for (const x of fn.entry.insts) {
      if (x.op !== Op.Param || regOf[x.id]! < 0) continue;
      if (x.imm <= 8) moves.push({ to: regOf[x.id]!, from: x.imm - 1 });
      else loads.push([regOf[x.id]!, 16 + 8 * (x.imm - 9)]);
    }
    pc = fn.info.start;
    parallelMove(a, moves);
    for (const [to, off] of loads) a.emit(ldr(xreg(to), mem(X29, off)));
    pe.mark(fn.info.start);
  }

  // the compare whose flags are live (a Csel's c, d or imm, condition and size), so that
  // consecutive selects on one compare emit it once; flagsFrom null: none
  let flagsFrom: Inst | null = null;
  let flagsD: Inst | null = null;
  let flagsImm = 0;
  let flagsCond = 0;
  let flagsSize = 0;
  const sameFlags = (x: Inst): boolean =>
    flagsFrom !== null && flagsFrom.id === x.c!.id && (x.d === null ? flagsD === null && flagsImm === x.imm : flagsD !== null && flagsD.id === x.d.id) && flagsCond === x.imm2 && flagsSize === x.size;
  const compare = (x: Inst): Cond => {
    const w = x.size === 4 ? 32 : 64;
    if (!sameFlags(x)) {
      const lhs = RN(x.c!, w);
      if (x.d !== null) a.emit(x.imm2 === BpfJmpOp.JSET || x.imm2 === JNSET ? tstReg(lhs, R(x.d, w)) : cmpReg(lhs, R(x.d, w)));
      else {
        const v = BigInt.asUintN(w, BigInt(x.imm));
        if (x.imm2 === BpfJmpOp.JSET || x.imm2 === JNSET) {
          if (isLogicalImmediate(v, w)) a.emit(tstImm(lhs, v));
          else {
            a.materialize(withWidth(TMP1, w), v, w);
            a.emit(tstReg(lhs, withWidth(TMP1, w)));
          }
        } else emitCompareConstant(e, lhs, v);
      }
    }
    return CONDITIONS[x.imm2]!;
  };

  // --- body ----------------------------------------------------------------------------------
  /** edge blocks whose moves were emitted before their predecessor's branch */
  const hoisted = new Set<number>();
  for (let li = 0; li < layout.length; li++) {
    const b = layout[li]!;
    const next = layout[li + 1];
    // an edge block without moves, or whose moves went before its predecessor's branch, is
    // never branched to
    if (b.split && (hoisted.has(b.id) || phiMoves(b, b.succs[0]!).length === 0)) continue;
    a.bind(labelOf(b));
    flagsFrom = null;
    for (const x of b.insts) {
      pc = x.pc;
      if (x.op !== Op.Csel) flagsFrom = null;
      switch (x.op) {
        case Op.Phi:
        case Op.Param:
        case Op.Undef:
          break;
        case Op.Const:
          if (regOf[x.id]! >= 0) a.materialize(xreg(regOf[x.id]!), x.k);
          break;
        case Op.Frame:
          if (regOf[x.id]! >= 0) a.emit(addImm(xreg(regOf[x.id]!), SP, spBelowFp));
          break;
        case Op.FuncAddr:
          if (regOf[x.id]! >= 0) a.adr(xreg(regOf[x.id]!), pe.functionLabel(x.imm));
          break;
        case Op.Br:
        case Op.CondBr:
        case Op.Ret:
          terminator(x, b, next);
          break;
        default:
          if (regOf[x.id]! < 0 && isValueOnly(x)) break; // unused result of a pure instruction
          emitInst(x);
          break;
      }
      pe.mark(x.pc);
    }
  }

  // --- epilogue ------------------------------------------------------------------------------
  const epilogueStart = a.offset;
  a.bind(epilogue);
  emitEpilogue(a, frame, pairs);
  pe.epilogues.push([epilogueStart, a.offset]);
  if (frame.holdsContext) {
    a.bind(pe.exitAll);
    a.emit(mov(X29, ENTRY_FP));
    a.emit(ldr(X0, mem(CTX, CTX_EXIT_VALUE)));
    a.b(epilogue);
    if (pe.contain) {
      const landing = emitFaultLanding(a, pe.exitAll);
      pe.containment = { landing, exclude: [[prologueStart, setupEnd], [epilogueStart, a.offset]] };
    }
  }
  pe.mark(-1);

  function terminator(x: Inst, b: Block, next: Block | undefined): void {
    if (x.op === Op.Ret) {
      const m = moveOf(x.a!, entryResult ? 0 : 8);
      if (m !== null) parallelMove(a, [m]);
      if (!frame.record) a.emit(ret());
      else if (next !== undefined) a.b(epilogue);
      return;
    }
    if (x.op === Op.Br) {
      const s = b.succs[0]!;
      if (b.split) {
        parallelMove(a, phiMoves(b, s));
        a.b(labelOf(s));
        return;
      }
      parallelMove(a, phiMoves(b, s));
      if (s !== next) a.b(labelOf(s));
      return;
    }
    const [taken, other] = b.succs as [Block, Block];
    // an edge block whose moves can run before the branch (not needed by the branch or
    // the other successor) is skipped; one without moves is skipped too
    const target = (s: Block, t: Block): number => {
      if (!s.split) return s.id;
      const moves = phiMoves(s, s.succs[0]!);
      if (moves.length === 0) return s.succs[0]!.id;
      if (hoistable(moves, x, t)) {
        parallelMove(a, moves);
        hoisted.add(s.id);
        return s.succs[0]!.id;
      }
      return s.id;
    };
    const tTarget = target(taken, other);
    const oTarget = target(other, taken);
    const w = x.w;
    const rhs: GpReg | bigint = x.b !== null ? R(x.b, w) : BigInt.asUintN(w, BigInt(x.imm));
    const lhs = RN(x.a!, w);
    const resolved = (id: number): Block => blockById.get(id)!;
    const takenNext = resolved(tTarget) === next;
    const otherNext = resolved(oTarget) === next;
    if (takenNext && !otherNext) {
      emitCondBranch(e, INVERSE_CONDITION[x.imm2]!, w, lhs, rhs, oTarget);
      return;
    }
    emitCondBranch(e, x.imm2, w, lhs, rhs, tTarget);
    if (!otherNext) e.jumpTo(oTarget);
  }

  /** moves may run before `term`: they overwrite neither its operands nor values live into `other` */
  function hoistable(moves: readonly Move[], term: Inst, other: Block): boolean {
    const read = new Set<number>();
    if (term.a !== null && regOf[term.a.id]! >= 0) read.add(regOf[term.a.id]!);
    if (term.b !== null && regOf[term.b.id]! >= 0) read.add(regOf[term.b.id]!);
    const otherTarget = other.split && !hoisted.has(other.id) && phiMoves(other, other.succs[0]!).length > 0 ? other : other.split ? other.succs[0]! : other;
    const at = alloc.blockFrom[otherTarget.order]!;
    for (const m of moves) {
      if (read.has(m.to)) return false;
      if (alloc.busy(m.to, at)) return false;
    }
    return true;
  }

  function moveOf(v: Inst, to: number): Move | null {
    if (v.op === Op.Undef) return null;
    const r = regOf[v.id]!;
    if (r >= 0) return r === to ? null : { to, from: r };
    if (v.op === Op.Const) return { to, from: v.k };
    throw new OptUnsupported(`value of slot ${v.pc} has no register`);
  }

  function phiMoves(from: Block, to: Block): Move[] {
    const j = to.preds.indexOf(from);
    const out: Move[] = [];
    for (const p of to.insts) {
      if (p.op !== Op.Phi) break;
      const dst = regOf[p.id]!;
      if (dst < 0) continue;
      const m = moveOf(p.args![j]!, dst);
      if (m !== null) out.push(m);
    }
    return out;
  }

  function mem_(x: Inst): MemOperand {
    const base = x.a!;
    if (base.op === Op.Frame) {
      if (x.b !== null) throw new OptUnsupported(`slot ${x.pc}: a frame access with an index register`);
      return { base: 'frame', off: x.imm };
    }
    // a base that reads as zero (a null pointer) must not become register 31, which is SP here
    const rb = RN(base, 64) as XReg;
    if (x.b !== null) return { base: rb, off: 0, index: R(x.b) as XReg, scaled: x.mod === Mod.Lsl && x.amount !== 0 };
    return { base: rb, off: x.imm };
  }

  /** a base register for forms without an offset field (atomics, acquire/release) */
  function baseReg(x: Inst): XReg {
    const r = R(x.a!) as XReg;
    if (r.num !== 31) return r;
    // a zero base: x16 (TMP1-TMP3 are the atomics' own temporaries)
    a.emit(mov(X16, XZR));
    return X16;
  }

  function emitInst(x: Inst): void {
    const w = x.w;
    switch (x.op) {
      case Op.Add:
      case Op.Sub: {
        const rd = D(x);
        if (x.b === null) {
          emitAddConstant(e, rd, RN(x.a!, w), x.op === Op.Add ? BigInt(x.imm) : -BigInt(x.imm));
          return;
        }
        const ext = EXTENDS[x.mod];
        if (ext !== undefined) {
          const rn = RN(x.a!, w);
          const rm = R(x.b, ext === 'uxtx' ? 64 : 32);
          a.emit(x.op === Op.Add ? addExt(rd, rn, rm, ext, x.amount) : subExt(rd, rn, rm, ext, x.amount));
          return;
        }
        const sh = SHIFTS[x.mod] ?? 'lsl';
        if (x.op === Op.Sub && x.a!.op === Op.Const && x.a!.k === 0n) a.emit(neg(rd, R(x.b, w), sh, x.amount));
        else a.emit((x.op === Op.Add ? addReg : subReg)(rd, R(x.a!, w), R(x.b, w), sh, x.amount));
        return;
      }
      case Op.Mul:
        a.emit(mul(D(x), R(x.a!, w), operand(x, TMP1)));
        return;
      case Op.UDiv:
      case Op.SDiv:
        // UDIV/SDIV by zero yield 0 (ARM ARM C6.2.388), BPF's rule; SDIV INT_MIN/-1 wraps
        a.emit((x.op === Op.UDiv ? udiv : sdiv)(D(x), R(x.a!, w), operand(x, TMP1)));
        return;
      case Op.UMod:
      case Op.SMod: {
        const src = operand(x, TMP1);
        const q = withWidth(TMP2, w);
        a.emit((x.op === Op.UMod ? udiv : sdiv)(q, R(x.a!, w), src));
        a.emit(msub(D(x), q, src, R(x.a!, w)));
        return;
      }
      case Op.Or:
      case Op.And:
      case Op.Xor:
      case Op.Bic:
      case Op.Orn:
      case Op.Eon:
        logical(x);
        return;
      case Op.Shl:
      case Op.LShr:
      case Op.AShr: {
        const rd = D(x);
        if (x.b === null) {
          const f = x.op === Op.Shl ? lslImm : x.op === Op.LShr ? lsrImm : asrImm;
          a.emit(f(rd, R(x.a!, w), x.imm & (w - 1)));
        } else {
          // LSLV & co. take the amount modulo the width, exactly BPF's mask (RFC 9669 4.1)
          const f = x.op === Op.Shl ? lslv : x.op === Op.LShr ? lsrv : asrv;
          a.emit(f(rd, R(x.a!, w), R(x.b, w)));
        }
        return;
      }
      case Op.Neg:
        a.emit(neg(D(x), R(x.a!, w), SHIFTS[x.mod] ?? 'lsl', x.amount));
        return;
      case Op.Mov: {
        const rd = D(x);
        const rs = R(x.a!, w);
        if (w === 32 || rd.num !== rs.num) a.emit(mov(rd, rs));
        return;
      }
      case Op.Sext: {
        const src = R(x.a!, 32);
        if (x.imm === 8) a.emit(sxtb(D(x), src));
        else if (x.imm === 16) a.emit(sxth(D(x), src));
        else a.emit(w === 64 ? sxtw(D(x, 64), src) : mov(D(x, 32), src));
        return;
      }
      case Op.Zext: {
        const rd = D(x, 32);
        const src = R(x.a!, 32);
        if (x.imm === 8) a.emit(uxtb(rd, src));
        else if (x.imm === 16) a.emit(uxth(rd, src));
        else a.emit(mov(rd, src));
        return;
      }
      case Op.Bswap: {
        if (x.imm === 64) a.emit(rev(D(x, 64), R(x.a!, 64)));
        else if (x.imm === 32) a.emit(rev(D(x, 32), R(x.a!, 32)));
        else {
          a.emit(rev16(D(x, 32), R(x.a!, 32)));
          a.emit(uxth(D(x, 32), D(x, 32)));
        }
        return;
      }
      case Op.Ror:
        if (x.b === null) a.emit(rorImm(D(x), R(x.a!, w), x.imm));
        else a.emit(rorv(D(x), R(x.a!, w), R(x.b, w)));
        return;
      case Op.Extr:
        a.emit(extr(D(x), R(x.a!, w), R(x.b!, w), x.imm));
        return;
      case Op.Rbit:
        a.emit(rbit(D(x), R(x.a!, w)));
        return;
      case Op.Rev16:
        a.emit(rev16(D(x), R(x.a!, w)));
        return;
      case Op.Ubfx:
        a.emit(ubfx(D(x), R(x.a!, w), x.imm, x.imm2));
        return;
      case Op.Sbfx:
        a.emit(sbfx(D(x), R(x.a!, w), x.imm, x.imm2));
        return;
      case Op.Ubfiz:
        a.emit(ubfiz(D(x), R(x.a!, w), x.imm, x.imm2));
        return;
      case Op.Bfi: {
        const rd = D(x);
        const into = R(x.a!, w);
        const src = R(x.b!, w);
        if (rd.num === into.num) a.emit(bfi(rd, src, x.imm, x.imm2));
        else if (rd.num !== src.num) {
          a.emit(mov(rd, into));
          a.emit(bfi(rd, src, x.imm, x.imm2));
        } else {
          const t = withWidth(TMP1, w);
          a.emit(mov(t, into));
          a.emit(bfi(t, src, x.imm, x.imm2));
          a.emit(mov(rd, t));
        }
        return;
      }
      case Op.Madd:
        a.emit(madd(D(x), R(x.a!, w), R(x.b!, w), R(x.c!, w)));
        return;
      case Op.Msub:
        a.emit(msub(D(x), R(x.a!, w), R(x.b!, w), R(x.c!, w)));
        return;
      case Op.Csel: {
        const cond = compare(x);
        flagsFrom = x.c!;
        flagsD = x.d;
        flagsImm = x.imm;
        flagsCond = x.imm2;
        flagsSize = x.size;
        const f = SELECTS[x.amount]!;
        a.emit(f(D(x), R(x.a!, w), R(x.b!, w), cond));
        return;
      }
      case Op.Load: {
        const dst = regOf[x.id]! >= 0 ? (xreg(regOf[x.id]!) as XReg) : XZR;
        emitLoad(e, dst, mem_(x), x.size, (x.flags & FLAG_SIGNED) !== 0);
        return;
      }
      case Op.Store: {
        const m = mem_(x);
        if (x.c !== null) emitStore(e, R(x.c, 64), m, x.size);
        else emitStoreConstant(e, x.k, m, x.size);
        return;
      }
      case Op.LoadAcq:
        emitLoadAcquire(e, regOf[x.id]! >= 0 ? (xreg(regOf[x.id]!) as XReg) : TMP3, baseReg(x), x.imm, x.size);
        return;
      case Op.StoreRel:
        emitStoreRelease(e, R(x.c!) as XReg, baseReg(x), x.imm, x.size);
        return;
      case Op.Atomic:
        atomic(x);
        return;
      case Op.Call:
        call(x);
        return;
      default:
        throw new OptUnsupported(`cannot emit ${Op[x.op]}`);
    }
  }

  /** operand b, or the immediate materialized into `tmp` */
  function operand(x: Inst, tmp: XReg): GpReg {
    if (x.b !== null) return R(x.b, x.w);
    const t = withWidth(tmp, x.w);
    a.materialize(t, BigInt.asUintN(x.w, BigInt(x.imm)), x.w);
    return t;
  }

  function logical(x: Inst): void {
    const w = x.w;
    const rd = D(x);
    if (x.b === null) {
      const v = BigInt.asUintN(w, BigInt(x.imm));
      if (x.op === Op.Xor && v === BigInt.asUintN(w, -1n)) return void a.emit(mvn(rd, R(x.a!, w)));
      if (x.op === Op.And && v === 0n) return void a.emit(mov(rd, w === 64 ? XZR : WZR));
      if ((x.op === Op.Or || x.op === Op.Xor) && v === 0n) return void a.emit(mov(rd, R(x.a!, w)));
      if (isLogicalImmediate(v, w) && (x.op === Op.Or || x.op === Op.And || x.op === Op.Xor)) {
        const f = x.op === Op.Or ? orrImm : x.op === Op.And ? andImm : eorImm;
        a.emit(f(rd, RN(x.a!, w), v));
        return;
      }
    }
    const f = LOGICAL_REG[x.op]!;
    a.emit(f(rd, R(x.a!, w), operand(x, TMP1), SHIFTS[x.mod] ?? 'lsl', x.amount));
  }

  function atomic(x: Inst): void {
    const fetched = regOf[x.id]! >= 0 ? (xreg(regOf[x.id]!) as XReg) : TMP3;
    const base = baseReg(x);
    const src = R(x.c!) as XReg;
    const cmpxchg = x.d !== null;
    if (!cmpxchg) {
      emitAtomic(e, { base, off: x.imm, src, fetched: (x.flags & FLAG_FETCH) !== 0 ? fetched : src, r0: X8 }, x.size, x.imm2 & 0xf0, (x.imm2 & 1) !== 0);
      return;
    }
    // CMPXCHG: the expected value goes in, the old value comes out, in one register
    const expected = R(x.d!) as XReg;
    const direct = fetched.num === expected.num && fetched.num !== src.num && fetched.num !== base.num;
    const r0 = direct ? fetched : X16;
    if (!direct) a.emit(mov(r0, expected));
    emitAtomic(e, { base, off: x.imm, src, fetched: src, r0 }, x.size, x.imm2 & 0xf0, true);
    if (!direct && fetched !== TMP3) a.emit(mov(fetched, r0));
  }

  function call(x: Inst): void {
    const args = x.args!;
    // stack arguments 4..7 (BPF arguments 9..12) go to [sp], before registers are overwritten
    for (let j = 8; j < args.length; j++) {
      const v = args[j]!;
      if (v.op === Op.Undef) continue;
      const off = (j - 8) * 8;
      if (regOf[v.id]! >= 0) a.emit(str(xreg(regOf[v.id]!), mem(SP, off)));
      else if (v.op === Op.Const) emitStoreConstant(e, v.k, { base: SP, off }, 8);
    }
    const moves: Move[] = [];
    for (let j = 0; j < Math.min(8, args.length); j++) {
      const m = moveOf(args[j]!, j);
      if (m !== null) moves.push(m);
    }
    let target: XReg | null = null;
    if (x.imm2 === CallKind.Indirect) {
      target = TMP3;
      const m = moveOf(x.a!, TMP3.num);
      if (m !== null) moves.push(m);
    }
    parallelMove(a, moves);
    const result = regOf[x.id]!;
    switch (x.imm2 as CallKind) {
      case CallKind.Helper:
        emitHelperCall(e, x.imm, pe.helperIds.has(x.imm), null);
        if (result >= 0 && result !== 0) a.emit(mov(xreg(result), X0));
        return;
      case CallKind.Native:
        emitNativeCall(e, pe.natives!.get(x.imm)!, null);
        if (result >= 0 && result !== 0) a.emit(mov(xreg(result), X0));
        return;
      case CallKind.Local:
        emitLocalCall(e, pe.functionLabel(x.imm));
        break;
      case CallKind.Indirect:
        emitCallx(e, target!, pe.callbackEntries, X8);
        break;
    }
    if (result >= 0 && result !== 8) a.emit(mov(xreg(result), X8));
  }
}

function isValueOnly(x: Inst): boolean {
  switch (x.op) {
    case Op.Load:
    case Op.Store:
    case Op.Atomic:
    case Op.LoadAcq:
    case Op.StoreRel:
    case Op.Call:
      return false;
    default:
      return true;
  }
}

function emitEpilogue(a: Assembler, frame: OptFrame, pairs: readonly [number, number][]): void {
  if (!frame.record) {
    a.emit(ret());
    return;
  }
  pairs.forEach(([r1, r2], i) => a.emit(ldp(xreg(r1), r2 === 31 ? XZR : xreg(r2), mem(X29, -16 * (i + 1)))));
  a.emit(mov(SP, X29));
  a.emit(ldp(X29, X30, postIndex(SP, 16)));
  a.emit(ret());
}

/**
 * Registers (and constants) moved all at once: a move waits while its destination is still
 * to be read by another; a cycle is broken through x16 (never allocated).
 */
export function parallelMove(a: Assembler, moves: readonly Move[]): void {
  if (moves.length === 0) return;
  const pending = moves.filter((m) => m.from !== m.to);
  const regMoves = pending.filter((m) => typeof m.from === 'number') as { to: number; from: number }[];
  const constMoves = pending.filter((m) => typeof m.from === 'bigint') as { to: number; from: bigint }[];
  while (regMoves.length > 0) {
    const i = regMoves.findIndex((m) => !regMoves.some((o) => o !== m && o.from === m.to));
    if (i >= 0) {
      const m = regMoves.splice(i, 1)[0]!;
      a.emit(mov(xreg(m.to), xreg(m.from)));
      continue;
    }
    // a cycle: park one source in x16
    const m = regMoves[0]!;
    a.emit(mov(X16, xreg(m.from)));
    for (const o of regMoves) if (o.from === m.from) (o as { from: number }).from = X16.num;
  }
  for (const m of constMoves) a.materialize(xreg(m.to), m.from);
}
