import type { InsnKind } from '../../insn-kind.js';
import { jumpTarget } from '../../insn-kind.js';
import { BpfJmpOp } from '../../opcodes.js';
import { MSG } from '../messages.js';
import type { PtrReg, RegState, ScalarReg } from '../reg-state.js';
import { constReg, isPtr, scalarReg } from '../reg-state.js';
import { constValue, isConst } from '../scalar.js';
import { SWAPPED_JMP } from '../../opcodes.js';
import { negateJmp, refineScalars } from '../scalar-cmp.js';
import type { VerifierState } from '../state.js';
import type { StepContext, Successor } from './common.js';
import { readReg } from './common.js';

/**
 * Conditional jumps (the kernel's check_cond_jmp_op): each side gets the state narrowed by the
 * condition, or is dropped when the condition cannot hold there. Scalars are narrowed by
 * scalar-cmp.ts (and every register linked to them by a copy). A null check on a
 * map_value_or_null (or ringbuf record) makes every copy of it a pointer on one side and the
 * constant 0 on the other. Comparing a packet pointer with pkt_end proves bytes of the packet
 * for every pointer with the same variable base (find_good_pkt_pointers).
 */
type JcondKind = Extract<InsnKind, { kind: 'jcond' }>;

const ALWAYS_SELF = new Set<number>([BpfJmpOp.JEQ, BpfJmpOp.JGE, BpfJmpOp.JLE, BpfJmpOp.JSGE, BpfJmpOp.JSLE]);

export function jcondStep(ctx: StepContext, k: JcondKind): Successor[] {
  const { env, state, insn, pc } = ctx;
  const target = jumpTarget(insn, pc);
  const next = pc + 1;
  const a = readReg(env, state, insn.dst, pc);
  const sameReg = k.source === 'reg' && insn.src === insn.dst;
  const b: RegState = k.source === 'reg' ? readReg(env, state, insn.src, pc) : constReg(k.width === 64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
  const srcRegno = k.source === 'reg' ? insn.src : -1;

  if (isPtr(a) || isPtr(b)) return pointerBranch(ctx, k, a, b, srcRegno, target, next);

  const x = (a as ScalarReg).v;
  const y = (b as ScalarReg).v;
  if (sameReg) {
    // r OP r: decided, except JSET, which asks r != 0
    if (k.op === BpfJmpOp.JSET) return scalarSides(ctx, k.width, BpfJmpOp.JNE, x, constReg(0n).v, -1, target, next);
    return [{ state, pc: ALWAYS_SELF.has(k.op) ? target : next }];
  }
  return scalarSides(ctx, k.width, k.op, x, y, srcRegno, target, next);
}

function scalarSides(ctx: StepContext, width: 32 | 64, op: number, x: ScalarReg['v'], y: ScalarReg['v'], srcRegno: number, target: number, next: number): Successor[] {
  const { state, insn } = ctx;
  const taken = refineScalars(op, width, x, y);
  const fall = refineScalars(negateJmp(op), width, x, y);
  const out: Successor[] = [];
  const apply = (s: VerifierState, pair: [ScalarReg['v'], ScalarReg['v']]): VerifierState => {
    setLinked(s, insn.dst, pair[0]);
    if (srcRegno >= 0) setLinked(s, srcRegno, pair[1]);
    return s;
  };
  if (fall && taken) {
    const other = state.clone();
    out.push({ state: apply(state, fall), pc: next });
    out.push({ state: apply(other, taken), pc: target });
  } else if (fall) {
    out.push({ state: apply(state, fall), pc: next });
  } else if (taken) {
    out.push({ state: apply(state, taken), pc: target });
  }
  return out;
}

/** Narrow register r, and every register and spill linked to it by a copy. */
function setLinked(s: VerifierState, r: number, v: ScalarReg['v']): void {
  const old = s.cur.regs[r] as ScalarReg;
  if (old.id === 0) {
    s.cur.regs[r] = scalarReg(v);
    return;
  }
  s.forEachReg((reg, set) => {
    if (reg.type === 'scalar' && reg.id === old.id) set(scalarReg(v, old.id));
  });
}

/** Pointer types that are never null once checked (the kernel's reg_not_null). */
const NOT_NULL = new Set<string>(['map_value', 'map_ptr', 'mem']);

function pointerBranch(ctx: StepContext, k: JcondKind, a: RegState, b: RegState, srcRegno: number, target: number, next: number): Successor[] {
  const { env, state, insn, pc } = ctx;
  // Null checks: a possibly-null pointer against the constant 0, 64-bit.
  const nullCheck = (p: PtrReg, other: RegState): boolean => p.orNull && other.type === 'scalar' && isConst(other.v) && constValue(other.v) === 0n;
  if (k.width === 64 && (k.op === BpfJmpOp.JEQ || k.op === BpfJmpOp.JNE)) {
    const p = isPtr(a) && nullCheck(a, b) ? a : isPtr(b) && nullCheck(b, a) ? b : undefined;
    if (p) {
      const isNull = state.clone();
      markNull(isNull, p, true);
      markNull(state, p, false);
      const nullPc = k.op === BpfJmpOp.JEQ ? target : next;
      const okPc = k.op === BpfJmpOp.JEQ ? next : target;
      return [
        { state, pc: okPc },
        { state: isNull, pc: nullPc },
      ];
    }
    // A pointer that cannot be null against 0 is decided (is_branch_taken / reg_not_null):
    // `inner != 0` again after the null check of a map-in-map lookup.
    const zero = (r: RegState): boolean => r.type === 'scalar' && isConst(r.v) && constValue(r.v) === 0n;
    const nonNull = isPtr(a) && zero(b) ? a : isPtr(b) && zero(a) ? b : undefined;
    if (nonNull && !nonNull.orNull && NOT_NULL.has(nonNull.type)) return [{ state, pc: k.op === BpfJmpOp.JNE ? target : next }];
  }
  if (!isPtr(a) || !isPtr(b) || k.width === 32) return env.fail(MSG.ptrComparison(isPtr(a) ? insn.dst : srcRegno), pc);
  // Packet bounds: pkt vs pkt_end (or pkt_meta vs pkt), in either order.
  let p = a;
  let end = b;
  let op = k.op;
  if (isEnd(a, b)) {
    p = b;
    end = a;
    op = SWAPPED_JMP[k.op] ?? k.op;
  }
  if (isEnd(end, p)) {
    const proven = (fallSide: boolean): number | undefined => {
      const o = fallSide ? negateJmp(op) : op;
      if (p.off < 0) return undefined;
      if (o === BpfJmpOp.JLE) return p.off; // p <= end
      if (o === BpfJmpOp.JLT) return p.off + 1; // p < end
      return undefined;
    };
    const takenState = state.clone();
    const t = proven(false);
    const f = proven(true);
    if (t !== undefined) widenRange(takenState, p, t);
    if (f !== undefined) widenRange(state, p, f);
    return [
      { state, pc: next },
      { state: takenState, pc: target },
    ];
  }
  // Two pointers into one object may be compared (the outcome says nothing about addresses).
  if (k.op !== BpfJmpOp.JSET && sameObject(a, b)) {
    return [
      { state: state.clone(), pc: next },
      { state, pc: target },
    ];
  }
  return env.fail(MSG.ptrComparison(insn.dst), pc);
}

function sameObject(a: PtrReg, b: PtrReg): boolean {
  if (a.type !== b.type || a.orNull || b.orNull) return false;
  switch (a.type) {
    case 'stack':
      return a.frame === b.frame;
    case 'pkt':
    case 'pkt_meta':
    case 'ctx':
      return true;
    case 'map_value':
      return a.id !== 0 && a.id === b.id;
    case 'mem':
      return a.id === b.id && !a.ringbuf;
    default:
      return false;
  }
}

/** `end` bounds `p`: pkt_end over packet pointers, packet data over metadata pointers. */
function isEnd(end: PtrReg, p: PtrReg): boolean {
  return (end.type === 'pkt_end' && p.type === 'pkt') || (end.type === 'pkt' && end.off === 0 && end.id === 0 && p.type === 'pkt_meta');
}

function widenRange(s: VerifierState, p: PtrReg, range: number): void {
  s.forEachReg((r, set) => {
    if (r.type === p.type && r.id === p.id && (r as PtrReg).range < range) set({ ...(r as PtrReg), range });
  });
}

function markNull(s: VerifierState, p: PtrReg, isNull: boolean): void {
  const id = p.id;
  s.forEachReg((r, set) => {
    if (isPtr(r) && r.orNull && r.id === id) set(isNull ? constReg(0n) : { ...r, orNull: false });
  });
  // NULL means nothing was reserved: there is nothing to release on that side
  if (isNull && p.refId) s.refs = s.refs.filter((ref) => ref.id !== p.refId);
}
