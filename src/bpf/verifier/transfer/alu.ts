import type { InsnKind } from '../../insn-kind.js';
import { BpfAluOp } from '../../opcodes.js';
import type { VerifierEnv } from '../env.js';
import { MAX_VAR_OFF } from '../env.js';
import { MSG } from '../messages.js';
import type { PtrReg, RegState, ScalarReg } from '../reg-state.js';
import { UNKNOWN, constReg, fixedOffset, isPtr, regTypeName, scalarReg } from '../reg-state.js';
import { checkedOffset, offsetInside, type PointerCheck } from '../../pointer-checks.js';
import type { Scalar } from '../scalar.js';
import { constScalar, constValue, isConst } from '../scalar.js';
import { scalarAlu, scalarEnd, scalarMov, scalarNeg } from '../scalar-alu.js';
import type { ValueSet } from '../value-set.js';
import { identitySet, mapSet, mapUnary, narrowBySet } from '../value-set.js';
import { alu as evalAlu, byteOrder } from '../../interpreter.js';
import type { VerifierState } from '../state.js';
import type { StepContext } from './common.js';
import { ALU_OP_TEXT, readReg } from './common.js';

/**
 * ALU instructions (the kernel's check_alu_op / adjust_reg_min_max_vals): scalars through the
 * scalar transfer functions; pointers only by adding or subtracting a scalar (64-bit), or as
 * the difference of two pointers into the same object. Anything else on a pointer would turn
 * an address into a number the program could store, return or branch on, and is refused.
 */
type AluKind = Extract<InsnKind, { kind: 'alu' | 'neg' | 'end' }>;

const U32_MAX = 0xffff_ffffn;

export function aluStep(ctx: StepContext, k: AluKind): void {
  const { env, state, insn, pc } = ctx;
  const regs = state.cur.regs;
  const dst = insn.dst;
  if (k.kind === 'neg' || k.kind === 'end') {
    const d = readReg(env, state, dst, pc);
    if (d.type !== 'scalar') env.fail(MSG.ptrArith(dst), pc);
    const x = d as ScalarReg;
    const v = k.kind === 'neg' ? scalarNeg(x.v, k.width) : scalarEnd(x.v, k.bits, k.order);
    const fn =
      x.fn &&
      (k.kind === 'neg'
        ? mapUnary(x.fn, `neg${k.width}`, (a) => evalAlu(k.width, BpfAluOp.SUB, 0n, k.width === 32 ? a & 0xffff_ffffn : a, 0))
        : mapUnary(x.fn, `${k.order}${k.bits}`, (a) => byteOrder(a, k.bits, k.order)));
    regs[dst] = withSet(v, fn);
    return;
  }
  const src: RegState = k.source === 'reg' ? readReg(env, state, insn.src, pc) : constReg(k.width === 64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
  if (k.op === BpfAluOp.MOV) {
    regs[dst] = move(env, state, insn.src, src, k, dst, pc);
    return;
  }
  const d = readReg(env, state, dst, pc);
  if (d.type === 'scalar' && src.type === 'scalar') {
    const v = scalarAlu(k.op, k.width, d.v, src.v, k.signed);
    let fn: ValueSet | undefined;
    if (d.fn && isConst(src.v)) fn = mapSet(d.fn, k.op, k.width, constValue(src.v), k.signed);
    else if (d.fn && src.fn) fn = mapSet(d.fn, k.op, k.width, src.fn, k.signed);
    else if (src.fn && isConst(d.v)) fn = mapSet(src.fn, k.op, k.width, constValue(d.v), k.signed, true);
    regs[dst] = withSet(v, fn);
    return;
  }
  if (k.width === 32) {
    // w = ptr - ptr (clang's `(int)(data_end - data)`) is the 64-bit difference truncated,
    // as the kernel allows pointer subtraction at either width; any other 32-bit pointer
    // arithmetic would drop the address's upper half
    if (k.op !== BpfAluOp.SUB || !isPtr(d) || !isPtr(src)) env.fail(MSG.ptrArith32(dst), pc);
    const diff = pointerDifference(env, dst, d as PtrReg, src as PtrReg, pc) as ScalarReg;
    regs[dst] = scalarReg(scalarMov(diff.v, 32, 0));
    return;
  }
  regs[dst] = pointerAlu(env, k.op, dst, d, src, k.source === 'reg' ? insn.src : -1, pc);
}

/** A scalar result with its value table (if any), narrowed by the table. */
function withSet(v: Scalar, fn: ValueSet | undefined): RegState {
  if (isConst(v) || !fn) return scalarReg(v);
  const n = narrowBySet(v, fn);
  return isConst(n) ? scalarReg(n) : scalarReg(n, 0, fn);
}

/** A loaded number with few possible values: a fresh unknown, which later results may be tables of. */
export function freshUnknown(env: VerifierEnv, v: Scalar): RegState {
  return scalarReg(v, 0, identitySet(env.nextId(), v));
}

function move(env: VerifierEnv, state: VerifierState, srcRegno: number, src: RegState, k: AluKind & { kind: 'alu' }, dst: number, pc: number): RegState {
  if (isPtr(src)) {
    if (k.movsx) env.fail(MSG.sextPtr(dst), pc);
    if (k.width === 32) env.fail(MSG.partialCopy(dst), pc);
    return src;
  }
  const s = src as ScalarReg;
  const v = scalarMov(s.v, k.width, k.movsx);
  const fn =
    s.fn && (k.movsx || k.width === 32)
      ? mapUnary(s.fn, `mov${k.width}sx${k.movsx}`, (a) => {
          const ext = k.movsx ? BigInt.asUintN(64, BigInt.asIntN(k.movsx, a)) : a;
          return k.width === 32 ? ext & 0xffff_ffffn : ext;
        })
      : s.fn;
  // A copy of an unknown value is linked to its source: a branch on one narrows both.
  const same = k.movsx === 0 && (k.width === 64 || s.v.umax <= U32_MAX);
  if (k.source === 'reg' && same && !isConst(v)) {
    let id = s.id;
    if (id === 0) {
      id = env.nextId();
      state.cur.regs[srcRegno] = { ...s, id };
    }
    return scalarReg(v, id, fn);
  }
  return fn ? scalarReg(isConst(v) ? v : narrowBySet(v, fn), 0, isConst(v) ? undefined : fn) : scalarReg(v);
}

/** Pointer +/- scalar with the kernel's sanity limits on offsets (check_reg_sane_offset). */
function pointerAlu(env: VerifierEnv, op: number, dst: number, d: RegState, s: RegState, srcRegno: number, pc: number): RegState {
  const opText = ALU_OP_TEXT[op] ?? '?';
  if (isPtr(d) && isPtr(s)) {
    if (op === BpfAluOp.SUB) return pointerDifference(env, dst, d, s, pc);
    return env.fail(MSG.ptrOpPtr(dst, opText), pc);
  }
  if (op === BpfAluOp.AND || op === BpfAluOp.OR || op === BpfAluOp.XOR) return env.fail(MSG.ptrBitwise(dst, opText), pc);
  if (op !== BpfAluOp.ADD && op !== BpfAluOp.SUB) return env.fail(MSG.ptrArithOp(dst, opText), pc);
  if (!isPtr(d)) {
    // scalar += pointer is pointer += scalar; scalar -= pointer is meaningless
    if (op === BpfAluOp.SUB) return env.fail(MSG.subPtrFromScalar(dst), pc);
    return offsetPointer(env, dst, s as PtrReg, (d as ScalarReg).v, false, dst, pc);
  }
  return offsetPointer(env, dst, d, (s as ScalarReg).v, op === BpfAluOp.SUB, srcRegno, pc);
}

const NO_ARITH = new Set(['pkt_end', 'map_ptr', 'func']);

function offsetPointer(env: VerifierEnv, dst: number, p: PtrReg, by: Scalar, sub: boolean, scalarRegno: number, pc: number): RegState {
  const type = regTypeName(p);
  if (p.orNull) return env.fail(MSG.ptrArithOnNull(dst, type), pc);
  if (NO_ARITH.has(p.type)) return env.fail(MSG.ptrArithOnType(dst, type), pc);
  if (isConst(by)) {
    const c = BigInt.asIntN(64, constValue(by));
    if (c >= BigInt(MAX_VAR_OFF) || c <= -BigInt(MAX_VAR_OFF)) return env.fail(MSG.ptrOffsetTooBig(type, c), pc);
    const off = p.off + (sub ? -Number(c) : Number(c));
    if (off >= MAX_VAR_OFF || off <= -MAX_VAR_OFF) return env.fail(MSG.ptrOffsetOutOfBounds(type, off), pc);
    return { ...p, off };
  }
  // sandbox mode: the offset's bounds are the run-time checks' (every access through the
  // pointer is one), as they are for an unbounded offset the access itself would refuse
  if (by.smin === -(1n << 63n)) env.leaveToRunTime(MSG.ptrUnboundedMin(type), pc);
  let checkedAt: number | undefined;
  if (env.sandbox) {
    if (p.type === 'map_value' && fixedOffset(p) && scalarRegno >= 0) {
      checkPointerArith(env, dst, p, by, sub, scalarRegno, pc);
      checkedAt = pc;
    } else env.facts.pointerArith(pc, undefined, false);
  }
  const v = scalarAlu(sub ? BpfAluOp.SUB : BpfAluOp.ADD, 64, p.v, by);
  // a packet pointer with a new variable part has a new base: nothing is proven about it yet
  if (p.type === 'pkt' || p.type === 'pkt_meta') return { ...p, v, id: env.nextId(), range: 0 };
  // sandbox mode: the accesses through a map-value pointer tell its check what they need
  const { checkedAt: _old, ...q } = p;
  return checkedAt !== undefined ? { ...q, v, checkedAt } : { ...q, v };
}

/**
 * Sandbox mode: a map-value pointer at a known offset moved by a scalar the analysis cannot
 * keep inside the value gets a run-time check at this instruction (src/bpf/pointer-checks.ts).
 * Every path must agree on the check's shape; where they do not (different maps or offsets
 * reaching the same instruction), the instruction is left unchecked and its accesses to the
 * region checks alone (Facts.pointerArith).
 */
function checkPointerArith(env: VerifierEnv, dst: number, p: PtrReg, by: Scalar, sub: boolean, scalarRegno: number, pc: number): void {
  const map = env.map(p.map);
  const check: PointerCheck = { scalarReg: scalarRegno, dst, negate: sub, base: p.off, limit: map.valueSize, map: env.mapName(p.map), min: 0, max: map.valueSize - 1 };
  const lowest = checkedOffset(check, sub ? by.smax : by.smin);
  const highest = checkedOffset(check, sub ? by.smin : by.smax);
  const inside = by.smin <= by.smax && offsetInside(check, lowest) && offsetInside(check, highest) && lowest <= highest;
  env.facts.pointerArith(pc, check, !inside);
}

/**
 * Two pointers into the same object differ by a number the program may use (a length, an
 * index); pointers into different objects would tell it where they are, and are refused.
 */
function pointerDifference(env: VerifierEnv, dst: number, a: PtrReg, b: PtrReg, pc: number): RegState {
  const sameBase =
    (a.type === b.type && a.type === 'stack' && a.frame === b.frame) ||
    (a.type === b.type && (a.type === 'map_value' || a.type === 'mem') && a.id !== 0 && a.id === b.id && !a.orNull) ||
    (a.type === b.type && a.type === 'mem' && a.id === 0 && b.id === 0 && !a.ringbuf && !b.ringbuf) ||
    (a.type === b.type && (a.type === 'pkt' || a.type === 'pkt_meta') && a.id === b.id) ||
    (a.type === 'ctx' && b.type === 'ctx');
  if (sameBase) {
    const diff = scalarAlu(BpfAluOp.SUB, 64, a.v, b.v);
    return scalarReg(scalarAlu(BpfAluOp.ADD, 64, diff, constScalar(BigInt(a.off - b.off))));
  }
  // lengths inside one packet: data_end - data, data - data_end (clang's `60 - len`),
  // data - data_meta, two packet positions
  const packet = (t: string): boolean => t === 'pkt' || t === 'pkt_meta' || t === 'pkt_end';
  if (packet(a.type) && packet(b.type)) return UNKNOWN;
  return env.fail(MSG.ptrOpPtr(dst, '-='), pc);
}
