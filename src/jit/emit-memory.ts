import {
  X29,
  SP,
  WZR,
  XZR,
  isLoadStoreOffset,
  ldr,
  ldrb,
  ldrh,
  ldrsb,
  ldrsh,
  ldrsw,
  mem,
  memIndex,
  mov,
  str,
  strb,
  strh,
  withWidth,
  type Address,
  type GpReg,
  type XReg,
} from '../arm64/index.js';
import { BPF_REG_FP, STACK_FRAME_SIZE, type AccessKind, type BpfInsn } from '../bpf/index.js';
import { emitAddConstant } from './emit-alu.js';
import { imm64, type Emit } from './emit-context.js';
import { JitCompileError } from './errors.js';
import { emitSandboxedAddress } from './safety/sandbox.js';
import { STACK_ARG_REGS, STACK_ARG_REG_SLOTS, TMP1, TMP2, a64 } from './registers.js';

type Size = 1 | 2 | 4 | 8;

/**
 * Where a load or store goes. Every memory access of compiled code (the 1:1 path and the
 * optimizer's) is described by one of these and emitted by emitLoad/emitStore below, so
 * checks that must cover every access (sandboxing) have one place to live.
 * - `base: 'frame'`: this function's BPF stack, `off` relative to R10;
 * - `base` + `off`: a register and a constant offset;
 * - `base` + `index` (`scaled`: the index shifted left by log2 of the access size), off 0.
 */
export interface MemOperand {
  readonly base: XReg | 'frame';
  readonly off: number;
  readonly index?: XReg;
  readonly scaled?: boolean;
}

/** The BPF form `[rN + off]` as a MemOperand (R10 is the frame). */
export function bpfMem(reg: number, off: number): MemOperand {
  return reg === BPF_REG_FP ? { base: 'frame', off } : { base: a64(reg), off };
}

/**
 * The machine address of a MemOperand for an access of `size` bytes, in the cheapest form:
 * - frame: re-based onto sp (`[sp, #(spBelowFp + off)]`) when that offset fits, since the BPF
 *   stack sits at a fixed distance above sp; otherwise relative to the frame register (x25)
 *   when the function keeps one, else sp plus the offset in TMP1;
 * - [base, #off] scaled unsigned imm12 or unscaled signed imm9 (LDUR/STUR);
 * - else the offset in TMP1 and a register-offset access.
 * Under the sandbox (safety/sandbox.ts) every access but a frame access inside the frame is
 * checked first and then goes through [x13]; the frame is x25 (the shadow stack), never sp.
 */
export function address(e: Emit, m: MemOperand, size: Size, access: AccessKind): Address {
  if (m.index !== undefined && (m.base === 'frame' || m.off !== 0)) throw new JitCompileError('a register-offset access takes a base register and no offset', e.pc);
  const sandbox = e.safety.sandbox;
  if (sandbox && !inFrame(m, size)) return mem(emitSandboxedAddress(e.a, sandbox, sandboxTarget(e, m, size), size, access), 0);
  if (m.index !== undefined && m.base !== 'frame') return memIndex(m.base, m.index, 'lsl', m.scaled ?? false);
  if (m.base === 'frame') {
    const fromSp = e.frame.spBelowFp + m.off;
    if (!e.frame.shadowStack && fromSp >= 0 && fromSp % size === 0 && fromSp / size < 4096) return mem(SP, fromSp);
    if (e.frame.fpRegister !== null) return registerPlusOffset(e, e.frame.fpRegister, m.off, size);
    return registerPlusOffset(e, SP, fromSp, size);
  }
  return registerPlusOffset(e, m.base, m.off, size);
}

/** A frame access inside [-512, 0): the sandbox needs no check (the frame is the program's). */
function inFrame(m: MemOperand, size: Size): boolean {
  return m.base === 'frame' && m.index === undefined && m.off >= -STACK_FRAME_SIZE && m.off + size <= 0;
}

/** What the sandbox checks: the frame register for a frame access (one outside the frame), else the operand. */
function sandboxTarget(e: Emit, m: MemOperand, size: Size): Parameters<typeof emitSandboxedAddress>[2] {
  if (m.base !== 'frame') return { base: m.base, off: m.off, ...(m.index ? { index: m.index, shift: m.scaled ? Math.log2(size) : 0 } : {}) };
  if (e.frame.fpRegister === null) throw new JitCompileError('a frame access in a function without a frame register', e.pc);
  return { base: e.frame.fpRegister, off: m.off, outsideFrame: true };
}

/**
 * base + off in a register, for the accesses that take no offset (exclusive, acquire/release
 * and LSE forms): checked under the sandbox like address().
 */
export function addressRegister(e: Emit, base: XReg, off: number, size: Size, access: AccessKind): XReg {
  const sandbox = e.safety.sandbox;
  if (sandbox) return emitSandboxedAddress(e.a, sandbox, { base, off }, size, access);
  if (off === 0) return base;
  emitAddConstant(e, TMP1, base, BigInt(off));
  return TMP1;
}

function registerPlusOffset(e: Emit, base: XReg, off: number, size: Size): Address {
  if (isLoadStoreOffset(off, size)) return mem(base, off);
  e.a.materialize(TMP1, BigInt(off));
  return memIndex(base, TMP1);
}

const LOADS: Record<Size, (rt: GpReg, addr: Address) => number> = {
  1: (rt, addr) => ldrb(withWidth(rt, 32), addr),
  2: (rt, addr) => ldrh(withWidth(rt, 32), addr),
  4: (rt, addr) => ldr(withWidth(rt, 32), addr),
  8: (rt, addr) => ldr(rt, addr),
};
/** Sign-extending loads to 64 bits (LDX|MEMSX, cpu v4). */
const SIGNED_LOADS: Record<1 | 2 | 4, (rt: XReg, addr: Address) => number> = {
  1: (rt, addr) => ldrsb(rt, addr),
  2: (rt, addr) => ldrsh(rt, addr),
  4: (rt, addr) => ldrsw(rt, addr),
};
const STORES: Record<Size, (rt: GpReg, addr: Address) => number> = {
  1: (rt, addr) => strb(withWidth(rt, 32), addr),
  2: (rt, addr) => strh(withWidth(rt, 32), addr),
  4: (rt, addr) => str(withWidth(rt, 32), addr),
  8: (rt, addr) => str(rt, addr),
};

/** A load: narrower sizes zero-extend (W writes) or sign-extend to 64 bits into `dst`. */
export function emitLoad(e: Emit, dst: XReg, m: MemOperand, size: Size, signed: boolean): void {
  const addr = address(e, m, size, 'read');
  if (signed && size !== 8) e.a.emit(SIGNED_LOADS[size](dst, addr));
  else e.a.emit(LOADS[size](dst, addr));
}

/** A store of the low `size` bytes of `value` (XZR/WZR store zeros). */
export function emitStore(e: Emit, value: GpReg, m: MemOperand, size: Size): void {
  e.a.emit(STORES[size](value, address(e, m, size, 'write')));
}

/** A store of a constant: zero from the zero register, anything else through TMP2. */
export function emitStoreConstant(e: Emit, value: bigint, m: MemOperand, size: Size): void {
  const v = BigInt.asUintN(size * 8, value);
  if (v === 0n) return emitStore(e, size === 8 ? XZR : WZR, m, size);
  e.a.materialize(TMP2, v);
  emitStore(e, TMP2, m, size);
}

/** LDX|MEM and LDX|MEMSX of the 1:1 path. */
export function emitBpfLoad(e: Emit, insn: BpfInsn, size: Size, signed: boolean): void {
  emitLoad(e, a64(insn.dst), bpfMem(insn.src, insn.off), size, signed);
}

/** STX|MEM (register) and ST|MEM (immediate, sign-extended to 64 bits, then truncated). */
export function emitBpfStore(e: Emit, insn: BpfInsn, size: Size, source: 'imm' | 'reg'): void {
  const m = bpfMem(insn.dst, insn.off);
  if (source === 'reg') emitStore(e, a64(insn.src), m, size);
  else emitStoreConstant(e, imm64(insn.imm), m, size);
}

/**
 * Stack arguments through R11 (../shared/docs/bpf-stack-args.md, "arm64 mapping"):
 * outgoing slot idx = -off/8 - 1 goes to x5..x7 for idx < 3, else [sp, #(idx-3)*8] where the
 * callee (native or BPF) finds it as an AAPCS64 stack argument (6.8.2 stage C.12-C.14).
 */
export function emitStackArgStore(e: Emit, insn: BpfInsn, source: 'imm' | 'reg'): void {
  const idx = -insn.off / 8 - 1;
  if (!Number.isInteger(idx) || idx < 0 || idx >= 7) throw new JitCompileError(`invalid stack-argument store offset ${insn.off}`, e.pc);
  if (idx < STACK_ARG_REG_SLOTS) {
    const target = STACK_ARG_REGS[idx]!;
    if (source === 'reg') e.a.emit(mov(target, a64(insn.src)));
    else e.a.materialize(target, imm64(insn.imm));
    return;
  }
  let value: XReg = XZR;
  if (source === 'reg') value = a64(insn.src);
  else if (insn.imm !== 0) {
    e.a.materialize(TMP2, imm64(insn.imm));
    value = TMP2;
  }
  e.a.emit(str(value, mem(SP, (idx - STACK_ARG_REG_SLOTS) * 8)));
}

/**
 * Incoming slot idx = off/8 - 1: x5..x7 for idx < 3 (the verifier's "r11 load must be before
 * any r11 store or call insn" keeps them intact until read), else the caller's [sp] area,
 * which is [x29, #16] and up once this function has pushed its frame record.
 */
export function emitStackArgLoad(e: Emit, insn: BpfInsn): void {
  const idx = insn.off / 8 - 1;
  if (!Number.isInteger(idx) || idx < 0 || idx >= 7) throw new JitCompileError(`invalid stack-argument load offset ${insn.off}`, e.pc);
  const dst = a64(insn.dst);
  if (idx < STACK_ARG_REG_SLOTS) e.a.emit(mov(dst, STACK_ARG_REGS[idx]!));
  else e.a.emit(ldr(dst, mem(X29, (idx - STACK_ARG_REG_SLOTS) * 8 + 16)));
}
