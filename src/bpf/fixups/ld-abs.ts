import type { BpfInsn } from '../instruction.js';
import { insnKind } from '../insn-kind.js';
import { BpfAluOp, BpfJmpOp } from '../opcodes.js';
import { SKB_INTERNAL } from '../program-types/skb.js';
import { Sequence, aluImm, aluReg, exit, ldx, movImm, movReg, movsx32, toBe } from './builder.js';

/**
 * Legacy packet access (RFC 9669 section 5.5) for the socket-buffer program types, lowered to
 * plain BPF over the internal sk_buff as the kernel lowers it (bpf_gen_ld_abs and
 * bpf_skb_load_helper_{8,16,32}): R6 is the context; the offset is imm (LD_ABS) or
 * (s32)(src + imm) (LD_IND); offsets from 0 read from skb->data, SKF_NET_OFF.. from the
 * network header and SKF_LL_OFF.. from the MAC header (bpf_internal_load_pointer_neg_helper);
 * the value is loaded big-endian into R0; a load outside the packet ends the program with
 * R0 = 0. R1-R5 are clobbered (the kernel's rule), which is what leaves room for the scratch
 * registers used here.
 */

export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

const CTX = 6;
const T = SKB_INTERNAL;

/** The replacement of LD_ABS/LD_IND `insn`. */
export function lowerLdAbs(insn: BpfInsn): BpfInsn[] {
  const k = insnKind(insn);
  if (k?.kind !== 'ld-legacy') throw new Error('lowerLdAbs: not a legacy packet access');
  const size = k.size as 1 | 2 | 4;
  const s = new Sequence();
  const loadAndFinish = (): void => {
    // r1 = pointer; bounds: r1 + size <= data_end
    s.emit(movReg(3, 1), aluImm(BpfAluOp.ADD, 3, size), ldx(8, 4, CTX, T.data_end.offset));
    s.jumpReg(BpfJmpOp.JGT, 3, 4, 'fail');
    s.emit(ldx(size, 0, 1, 0));
    if (size > 1) s.emit(toBe(0, size === 2 ? 16 : 32));
    s.goto('done');
    s.label('fail').emit(movImm(0, 0), exit());
    s.label('done');
  };
  const negative = (base: number, adjust: number): void => {
    // r1 = header + adjusted offset (in r2); it must not be below the buffer's head.
    s.emit(ldx(8, 1, CTX, base), aluImm(BpfAluOp.ADD, 2, adjust), aluReg(BpfAluOp.ADD, 1, 2), ldx(8, 3, CTX, T.head.offset));
    s.jumpReg(BpfJmpOp.JLT, 1, 3, 'fail');
  };
  if (!k.indirect) {
    const imm = insn.imm;
    if (imm >= 0) {
      s.emit(ldx(8, 1, CTX, T.data.offset), aluImm(BpfAluOp.ADD, 1, imm));
    } else if (imm >= SKF_LL_OFF) {
      s.emit(movImm(2, imm));
      negative(imm >= SKF_NET_OFF ? T.network_header.offset : T.mac_header.offset, imm >= SKF_NET_OFF ? -SKF_NET_OFF : -SKF_LL_OFF);
    } else {
      // Below SKF_LL_OFF nothing is addressable: the load always fails.
      return [movImm(0, 0), exit()];
    }
    loadAndFinish();
    return s.finish();
  }
  // LD_IND: offset = (s32)(src + imm), computed before r1-r3 are reused.
  s.emit(movReg(2, insn.src));
  if (insn.imm !== 0) s.emit(aluImm(BpfAluOp.ADD, 2, insn.imm));
  s.emit(movsx32(2, 2));
  s.jumpImm(BpfJmpOp.JSLT, 2, 0, 'negative');
  s.emit(ldx(8, 1, CTX, T.data.offset), aluReg(BpfAluOp.ADD, 1, 2));
  s.goto('check');
  s.label('negative');
  s.jumpImm(BpfJmpOp.JSLT, 2, SKF_LL_OFF, 'fail');
  s.jumpImm(BpfJmpOp.JSLT, 2, SKF_NET_OFF, 'll');
  negative(T.network_header.offset, -SKF_NET_OFF);
  s.goto('check');
  s.label('ll');
  negative(T.mac_header.offset, -SKF_LL_OFF);
  s.label('check');
  loadAndFinish();
  return s.finish();
}
