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
import { BPF_REG_FP, type BpfInsn } from '../bpf/index.js';
import { imm64, type Emit } from './emit-context.js';
import { JitCompileError } from './errors.js';
import { STACK_ARG_REGS, STACK_ARG_REG_SLOTS, TMP1, TMP2, a64 } from './registers.js';

type Size = 1 | 2 | 4 | 8;

/**
 * The address `base + off` for an access of `size` bytes, in the cheapest form:
 * - R10-relative: re-based onto sp (`[sp, #(bpfStack + outgoing + off)]`) when that scaled offset
 *   fits, since the BPF stack sits at a fixed distance above sp; otherwise x25-relative;
 * - [base, #off] scaled unsigned imm12 or unscaled signed imm9 (LDUR/STUR);
 * - else the offset in TMP1 and a register-offset access.
 */
export function address(e: Emit, base: number, off: number, size: Size): Address {
  if (base === BPF_REG_FP) {
    const fromSp = e.frame.spBelowFp + off;
    if (fromSp >= 0 && fromSp % size === 0 && fromSp / size < 4096) return mem(SP, fromSp);
  }
  const b = a64(base);
  if (isLoadStoreOffset(off, size)) return mem(b, off);
  e.a.materialize(TMP1, BigInt(off));
  return memIndex(b, TMP1);
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

/** LDX|MEM and LDX|MEMSX: narrower loads zero-extend (W writes) or sign-extend to 64 bits. */
export function emitLoad(e: Emit, insn: BpfInsn, size: Size, signed: boolean): void {
  const addr = address(e, insn.src, insn.off, size);
  const dst = a64(insn.dst);
  if (signed && size !== 8) e.a.emit(SIGNED_LOADS[size](dst, addr));
  else e.a.emit(LOADS[size](dst, addr));
}

/** STX|MEM (register) and ST|MEM (immediate, materialised unless zero). */
export function emitStore(e: Emit, insn: BpfInsn, size: Size, source: 'imm' | 'reg'): void {
  let value: GpReg;
  if (source === 'reg') {
    value = a64(insn.src);
  } else if (insn.imm === 0) {
    value = size === 8 ? XZR : WZR;
  } else {
    value = TMP2;
    e.a.materialize(TMP2, size === 8 ? imm64(insn.imm) : BigInt.asUintN(size * 8, imm64(insn.imm)));
  }
  e.a.emit(STORES[size](value, address(e, insn.dst, insn.off, size)));
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
