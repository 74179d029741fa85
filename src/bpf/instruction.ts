import { OP_LDDW } from './opcodes.js';

/**
 * One 8-byte instruction slot, as in the kernel's `struct bpf_insn` (RFC 9669 section 3):
 * opcode:8 dst:4 src:4 off:16 (signed) imm:32 (signed), little-endian.
 *
 * A program is an array of slots. LDDW takes two slots: the second has code 0, dst/src/off 0,
 * and its imm holds the upper 32 bits of the constant. Keeping slots (not "instructions")
 * makes pcs, jump offsets and byte offsets line up exactly as in the bytecode.
 */
export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export const BPF_INSN_SIZE = 8;

export class BpfDecodeError extends Error {
  override readonly name = 'BpfDecodeError';
  constructor(
    message: string,
    /** byte offset into the bytecode where the problem is */
    readonly offset: number,
  ) {
    super(`${message} (at byte offset ${offset})`);
  }
}

/** Split bytecode into slots. Only the framing is checked here; validation is separate. */
export function decodeProgram(bytes: Uint8Array): BpfInsn[] {
  if (bytes.length % BPF_INSN_SIZE !== 0) {
    throw new BpfDecodeError(
      `bytecode length ${bytes.length} is not a multiple of ${BPF_INSN_SIZE}`,
      bytes.length - (bytes.length % BPF_INSN_SIZE),
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let at = 0; at < bytes.length; at += BPF_INSN_SIZE) {
    const regs = view.getUint8(at + 1);
    out.push({
      code: view.getUint8(at),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(at + 2, true),
      imm: view.getInt32(at + 4, true),
    });
  }
  return out;
}

/** Serialise slots to bytecode. Field ranges are checked so nothing is silently truncated. */
export function encodeProgram(insns: readonly BpfInsn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * BPF_INSN_SIZE);
  const view = new DataView(bytes.buffer);
  insns.forEach((insn, pc) => {
    const at = pc * BPF_INSN_SIZE;
    checkField(insn.code, 0, 0xff, 'code', pc);
    checkField(insn.dst, 0, 0x0f, 'dst', pc);
    checkField(insn.src, 0, 0x0f, 'src', pc);
    checkField(insn.off, -0x8000, 0x7fff, 'off', pc);
    checkField(insn.imm, -0x8000_0000, 0x7fff_ffff, 'imm', pc);
    view.setUint8(at, insn.code);
    view.setUint8(at + 1, (insn.src << 4) | insn.dst);
    view.setInt16(at + 2, insn.off, true);
    view.setInt32(at + 4, insn.imm, true);
  });
  return bytes;
}

function checkField(value: number, min: number, max: number, field: string, pc: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`instruction ${pc}: ${field} ${value} is outside ${min}..${max}`);
  }
}

export function isLddw(insn: BpfInsn): boolean {
  return insn.code === OP_LDDW;
}

/** The 64-bit constant of an LDDW pair (first slot's imm is the low half). */
export function lddwValue(lo: BpfInsn, hi: BpfInsn): bigint {
  return (BigInt(hi.imm >>> 0) << 32n) | BigInt(lo.imm >>> 0);
}

/** The two slots of `dst = value ll` (optionally a pseudo form via src). */
export function lddw(dst: number, value: bigint, src = 0): [BpfInsn, BpfInsn] {
  const v = BigInt.asUintN(64, value);
  return [
    { code: OP_LDDW, dst, src, off: 0, imm: Number(BigInt.asIntN(32, v)) },
    { code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v >> 32n)) },
  ];
}
