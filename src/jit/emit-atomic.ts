import {
  Cond,
  X17,
  X8,
  andReg,
  addReg,
  cas,
  cmpReg,
  dmb,
  eorReg,
  ldadd,
  ldar,
  ldclr,
  ldeor,
  ldset,
  ldxr,
  mov,
  mvn,
  orrReg,
  stadd,
  stclr,
  steor,
  stlr,
  stlxr,
  stset,
  stxr,
  swp,
  withWidth,
  type GpReg,
  type XReg,
} from '../arm64/index.js';
import { BpfAtomicOp, type BpfInsn } from '../bpf/index.js';
import { addressRegister } from './emit-memory.js';
import type { Emit } from './emit-context.js';
import { JitCompileError } from './errors.js';
import { TMP2, TMP3, a64 } from './registers.js';

type Size = 1 | 2 | 4 | 8;

/** Load-acquire (Linux BPF_LOAD_ACQ): dst = *(base + off), LDAR{B,H} zero-extending. */
export function emitLoadAcquire(e: Emit, dst: XReg, base: XReg, off: number, size: Size): void {
  const addr = addressRegister(e, base, off, size, 'read');
  e.a.emit(ldar(size === 8 ? dst : withWidth(dst, 32), addr, size));
}

/** Store-release (Linux BPF_STORE_REL): *(base + off) = value with STLR{B,H}. */
export function emitStoreRelease(e: Emit, value: XReg, base: XReg, off: number, size: Size): void {
  const addr = addressRegister(e, base, off, size, 'write');
  e.a.emit(stlr(size === 8 ? value : withWidth(value, 32), addr, size));
}

/** The registers of one read-modify-write atomic. */
export interface AtomicOperands {
  readonly base: XReg;
  readonly off: number;
  /** the operand (BPF src) */
  readonly src: XReg;
  /** where a fetching form leaves the old value (the 1:1 path: src itself) */
  readonly fetched: XReg;
  /** CMPXCHG: the expected value in, the old value out (the 1:1 path: x8, R0) */
  readonly r0: XReg;
}

/** The 1:1 path's operands of `lock ... [dst + off], src`. */
export function bpfAtomicOperands(insn: BpfInsn): AtomicOperands {
  const src = a64(insn.src);
  return { base: a64(insn.dst), off: insn.off, src, fetched: src, r0: X8 };
}

/**
 * Read-modify-write atomics (RFC 9669 5.3). With FEAT_LSE: ST<op> for the plain forms and
 * LD<op>AL / SWPAL / CASAL for the fetching ones (fully ordered, as Linux requires of
 * BPF_FETCH); AND is LDCLR of the complement. Without LSE: an LDXR/STXR loop, with STLXR and a
 * trailing DMB ISH for the fetching forms (the kernel's LL/SC sequence). CMPXCHG needs
 * `r0` to hold the expected value; a fetching form needs `fetched` distinct from `base`
 * unless it is `src`.
 */
export function emitAtomic(e: Emit, ops: AtomicOperands, size: Size, op: number, fetch: boolean): void {
  if (size !== 4 && size !== 8) throw new JitCompileError(`atomic operation on ${size} bytes is not defined`, e.pc);
  const w = size === 8 ? 64 : 32;
  // a read-modify-write is a write for the sandbox (the kernel checks BPF_ATOMIC as BPF_WRITE)
  const addr = addressRegister(e, ops.base, ops.off, size, 'write');
  const src = withWidth(ops.src, w);
  const fetched = withWidth(ops.fetched, w);
  const r0 = withWidth(ops.r0, w);
  if (e.atomics === 'lse') emitLse(e, addr, src, fetched, r0, op, fetch, w);
  else emitLlsc(e, addr, src, fetched, r0, op, fetch, w);
}

function emitLse(e: Emit, addr: XReg, src: GpReg, fetched: GpReg, r0: GpReg, op: number, fetch: boolean, w: 32 | 64): void {
  const a = e.a;
  const bytes = w === 64 ? 8 : 4;
  switch (op) {
    case BpfAtomicOp.ADD:
      a.emit(fetch ? ldadd(src, fetched, addr, 'acq_rel', bytes) : stadd(src, addr, 'relaxed', bytes));
      return;
    case BpfAtomicOp.OR:
      a.emit(fetch ? ldset(src, fetched, addr, 'acq_rel', bytes) : stset(src, addr, 'relaxed', bytes));
      return;
    case BpfAtomicOp.XOR:
      a.emit(fetch ? ldeor(src, fetched, addr, 'acq_rel', bytes) : steor(src, addr, 'relaxed', bytes));
      return;
    case BpfAtomicOp.AND: {
      // LDCLR clears the bits set in its operand: AND with src is CLR with ~src.
      const inv = withWidth(TMP2, w);
      a.emit(mvn(inv, src));
      a.emit(fetch ? ldclr(inv, fetched, addr, 'acq_rel', bytes) : stclr(inv, addr, 'relaxed', bytes));
      return;
    }
    case BpfAtomicOp.XCHG & 0xf0:
      a.emit(swp(src, fetched, addr, 'acq_rel', bytes));
      return;
    case BpfAtomicOp.CMPXCHG & 0xf0:
      // CASAL compares R0 with memory, stores src when equal, and leaves the old value in R0.
      a.emit(cas(r0, src, addr, 'acq_rel', bytes));
      return;
    default:
      throw new JitCompileError(`unknown atomic operation 0x${op.toString(16)}`, e.pc);
  }
}

function emitLlsc(e: Emit, addr: XReg, src: GpReg, fetched: GpReg, r0: GpReg, op: number, fetch: boolean, w: 32 | 64): void {
  const a = e.a;
  const bytes = w === 64 ? 8 : 4;
  const old = withWidth(TMP2, w);
  const next = withWidth(TMP3, w);
  const status = withWidth(X17, 32);
  const loop = a.newLabel();
  const out = a.newLabel();
  a.bind(loop);
  a.emit(ldxr(old, addr, bytes));
  let stored: GpReg = next;
  switch (op) {
    case BpfAtomicOp.ADD:
      a.emit(addReg(next, old, src));
      break;
    case BpfAtomicOp.OR:
      a.emit(orrReg(next, old, src));
      break;
    case BpfAtomicOp.AND:
      a.emit(andReg(next, old, src));
      break;
    case BpfAtomicOp.XOR:
      a.emit(eorReg(next, old, src));
      break;
    case BpfAtomicOp.XCHG & 0xf0:
      stored = src;
      break;
    case BpfAtomicOp.CMPXCHG & 0xf0:
      a.emit(cmpReg(old, r0));
      a.bCond(Cond.NE, out);
      stored = src;
      break;
    default:
      throw new JitCompileError(`unknown atomic operation 0x${op.toString(16)}`, e.pc);
  }
  const ordered = fetch || op === (BpfAtomicOp.XCHG & 0xf0) || op === (BpfAtomicOp.CMPXCHG & 0xf0);
  a.emit((ordered ? stlxr : stxr)(status, stored, addr, bytes));
  a.cbnz(status, loop);
  if (ordered) a.emit(dmb('ish'));
  a.bind(out);
  if (op === (BpfAtomicOp.CMPXCHG & 0xf0)) a.emit(mov(r0, old));
  else if (fetch) a.emit(mov(fetched, old));
}
