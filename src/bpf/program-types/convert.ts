import type { BpfInsn } from '../instruction.js';
import { insnKind } from '../insn-kind.js';
import { BpfClass, BpfJmpOp, BpfMode, BpfSize } from '../opcodes.js';
import { checkContextAccess } from './access.js';
import type { AccessSize, ContextStruct, ProgramType } from './model.js';
import { hasStruct } from './model.js';
import type { CtxAccessFact } from './provenance.js';

/**
 * The kernel's convert_ctx_access as a BPF -> BPF rewrite shared by the JIT and the
 * interpreter: each context load or store (found by the provenance facts) becomes the access
 * of the runtime's internal context struct that holds the field.
 * - A packet pointer (a 32-bit uapi field) becomes a 64-bit load of the real pointer.
 * - A field kept at the same width is accessed in place, a narrow load reading the same bytes
 *   of the internal field (little-endian, as the kernel's bpf_ctx_narrow_access_offset).
 * - A field the kernel keeps narrower (the __u16 fields of sk_buff) is loaded at its own
 *   width (zero-extended); a narrow load past its bytes reads 0; a store keeps its low bytes.
 * - queue_mapping stores of NO_QUEUE_MAPPING or more are skipped, as the kernel does.
 * Contexts whose internal layout is the uapi layout (tracing types) are only checked.
 */

export class BpfContextError extends Error {
  override readonly name = 'BpfContextError';
  constructor(
    readonly reason: string,
    /** slot index of the access */
    readonly pc: number,
    /** the context field involved, when there is one */
    readonly field?: string,
  ) {
    super(`pc ${pc}: ${reason}`);
  }
}

const SIZE_CODE: Readonly<Record<AccessSize, number>> = { 1: BpfSize.B, 2: BpfSize.H, 4: BpfSize.W, 8: BpfSize.DW };

const ldx = (dst: number, src: number, off: number, size: AccessSize, signed = false): BpfInsn => ({
  code: BpfClass.LDX | (signed && size < 8 ? BpfMode.MEMSX : BpfMode.MEM) | SIZE_CODE[size],
  dst,
  src,
  off,
  imm: 0,
});
const stx = (dst: number, src: number, off: number, size: AccessSize): BpfInsn => ({ code: BpfClass.STX | BpfMode.MEM | SIZE_CODE[size], dst, src, off, imm: 0 });
const mov64imm = (dst: number, imm: number): BpfInsn => ({ code: BpfClass.ALU64 | 0xb0, dst, src: 0, off: 0, imm });

const S16 = (v: number): boolean => v >= -0x8000 && v <= 0x7fff;

/**
 * The replacement of one context access at `pc` (the access is `insn`, the base register
 * holds ctx + fact.base), or undefined when the context is raw (nothing to rewrite).
 * Throws BpfContextError for an access the type does not allow.
 */
export function convertContextAccess(type: ProgramType, attach: string | undefined, insn: BpfInsn, pc: number, fact: CtxAccessFact): BpfInsn[] | undefined {
  const k = insnKind(insn);
  if (k === undefined || (k.kind !== 'load' && k.kind !== 'store')) {
    throw new BpfContextError(`${k?.kind ?? 'this instruction'} cannot access the context (only loads and register stores can)`, pc);
  }
  const write = k.kind === 'store';
  if (write && k.source === 'imm') throw new BpfContextError(`BPF_ST stores into r${insn.dst} ctx are not allowed`, pc);
  const signed = k.kind === 'load' && k.signed;
  const result = checkContextAccess(type, { offset: fact.offset, size: k.size, write, signed, ...(attach !== undefined ? { attach } : {}) });
  if (!result.ok) throw new BpfContextError(`${result.message}: ${result.reason}`, pc, result.field?.name);
  const ctx = type.context as ContextStruct;
  if (!hasStruct(ctx) || ctx.internal === 'raw') return undefined;
  const field = result.field;
  const t = field.target!;
  const within = fact.offset - field.offset;
  const off = (target: number): number => {
    const o = target - fact.base;
    if (!S16(o)) throw new BpfContextError(`the converted access offset ${o} does not fit in 16 bits`, pc, field.name);
    return o;
  };
  if (!write) {
    const base = insn.src;
    if (field.kind !== 'scalar') return [ldx(insn.dst, base, off(t.offset), 8)];
    // 'bytes' fields (cb[]) and fields of the same width are read in place.
    const sameWidth = t.size >= field.size || field.size > 8;
    if (sameWidth) return [ldx(insn.dst, base, off(t.offset + within), k.size, signed)];
    if (within >= t.size) return [mov64imm(insn.dst, 0)];
    if (k.size >= field.size) return [ldx(insn.dst, base, off(t.offset), t.size)];
    return [ldx(insn.dst, base, off(t.offset + within), Math.min(k.size, t.size - within) as AccessSize, signed && within + k.size <= t.size)];
  }
  const base = insn.dst;
  const sameWidth = t.size >= field.size || field.size > 8;
  const store = sameWidth ? stx(base, insn.src, off(t.offset + within), k.size) : stx(base, insn.src, off(t.offset), t.size);
  if (field.storeBelow !== undefined) {
    return [{ code: BpfClass.JMP | BpfJmpOp.JGE, dst: insn.src, src: 0, off: 1, imm: field.storeBelow }, store];
  }
  return [store];
}
