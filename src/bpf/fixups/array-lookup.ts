import { BpfAluOp, BpfJmpOp } from '../opcodes.js';
import type { BpfInsn } from '../instruction.js';
import { Sequence, aluImm, aluReg, ldx, movImm } from './builder.js';

/**
 * bpf_map_lookup_elem on an array map whose identity is known at the call, inlined as the
 * kernel's array_map_gen_lookup: R1 holds the map's address, the values follow the map header
 * at `valuesOffset`, each `elemSize` bytes (value_size rounded up to 8):
 *
 *   r1 += valuesOffset; r0 = *(u32 *)(r2 + 0); if r0 >= max_entries goto null;
 *   r0 <<= log2(elemSize) (or *= elemSize); r0 += r1; goto done; null: r0 = 0; done:
 *
 * R1-R5 are dead after a helper call, so clobbering R1 is allowed.
 */
export interface ArrayInline {
  readonly valuesOffset: number;
  readonly elemSize: number;
  readonly maxEntries: number;
}

export function inlineArrayLookup(layout: ArrayInline): BpfInsn[] | undefined {
  if (layout.maxEntries > 0x7fff_ffff || layout.valuesOffset > 0x7fff_ffff || layout.elemSize > 0x7fff_ffff) return undefined;
  const s = new Sequence();
  s.emit(aluImm(BpfAluOp.ADD, 1, layout.valuesOffset), ldx(4, 0, 2, 0));
  s.jumpImm(BpfJmpOp.JGE, 0, layout.maxEntries, 'null');
  const e = layout.elemSize;
  if ((e & (e - 1)) === 0) {
    if (e > 1) s.emit(aluImm(BpfAluOp.LSH, 0, Math.log2(e)));
  } else {
    s.emit(aluImm(BpfAluOp.MUL, 0, e));
  }
  s.emit(aluReg(BpfAluOp.ADD, 0, 1));
  s.goto('done');
  s.label('null').emit(movImm(0, 0));
  s.label('done');
  return s.finish();
}
