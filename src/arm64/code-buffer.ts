/**
 * A growable buffer of instruction words with labels. Branches to bound labels are encoded at
 * once; branches to unbound labels are recorded as fixups and patched when the label is bound.
 * Range is checked in both cases: an unreachable target throws `A64BranchRangeError` (at emission
 * for a backward target, at `bind` for a forward one); nothing is ever truncated.
 */
import * as br from './branches.js';
import { branchInRange, setBranchOffset, type BranchField } from './branches.js';
import type { Cond } from './conditions.js';
import { A64EncodeError, A64LabelError } from './errors.js';
import { materialize } from './materialize.js';
import type { GpReg, RegWidth } from './registers.js';
import { nop } from './system.js';

/** A position in the code, created by `Assembler.newLabel()`, fixed by `bind()`. */
export class Label {
  /** @internal */
  constructor(
    readonly id: number,
    /** @internal */ readonly owner: Assembler,
  ) {}
}

interface Fixup {
  /** Byte offset of the instruction to patch. */
  readonly at: number;
  readonly field: BranchField;
  readonly mnemonic: string;
}

export class Assembler {
  private words = new Uint32Array(256);
  private count = 0;
  private readonly bound: (number | undefined)[] = [];
  private readonly fixups = new Map<number, Fixup[]>();

  /** Bytes emitted so far; also the offset of the next instruction. */
  get offset(): number {
    return this.count * 4;
  }

  /** Append one instruction word (from any encoder in this module). */
  emit(word: number): void {
    if (!Number.isInteger(word) || word < 0 || word > 0xffffffff) throw new A64EncodeError('emit', 'word', `${word} is not a 32-bit word`);
    if (this.count === this.words.length) {
      const bigger = new Uint32Array(this.words.length * 2);
      bigger.set(this.words);
      this.words = bigger;
    }
    this.words[this.count++] = word;
  }

  emitAll(words: readonly number[]): void {
    for (const w of words) this.emit(w);
  }

  /** The word at a byte offset already emitted. */
  wordAt(offset: number): number {
    this.checkOffset(offset);
    return this.words[offset / 4]!;
  }

  /** Overwrite an emitted word (e.g. a placeholder whose operands were unknown). */
  patch(offset: number, word: number): void {
    this.checkOffset(offset);
    this.words[offset / 4] = word >>> 0;
  }

  private checkOffset(offset: number): void {
    if (!Number.isInteger(offset) || offset % 4 !== 0 || offset < 0 || offset >= this.offset)
      throw new RangeError(`offset ${offset} is not an emitted instruction`);
  }

  newLabel(): Label {
    const l = new Label(this.bound.length, this);
    this.bound.push(undefined);
    return l;
  }

  private own(label: Label): number {
    if (!(label instanceof Label) || label.owner !== this) throw new A64LabelError('label belongs to another assembler');
    return label.id;
  }

  isBound(label: Label): boolean {
    return this.bound[this.own(label)] !== undefined;
  }

  /** Byte offset of a bound label, undefined while unbound. */
  labelOffset(label: Label): number | undefined {
    return this.bound[this.own(label)];
  }

  /** Bind a label to the current offset and patch every branch waiting for it. */
  bind(label: Label): void {
    const id = this.own(label);
    if (this.bound[id] !== undefined) throw new A64LabelError(`label ${id} is already bound (at offset ${this.bound[id]})`);
    const here = this.offset;
    const pending = this.fixups.get(id) ?? [];
    // Check all before patching any, so a range error leaves the buffer unchanged.
    const patched = pending.map((f) => setBranchOffset(f.mnemonic, f.field, this.words[f.at / 4]!, here - f.at));
    pending.forEach((f, i) => (this.words[f.at / 4] = patched[i]!));
    this.fixups.delete(id);
    this.bound[id] = here;
  }

  /**
   * Would an instruction using `field`, emitted at the current offset, reach `label`? Known only
   * for bound labels (undefined otherwise); for forward branches the JIT bounds the distance itself
   * (e.g. from the program size) or catches `A64BranchRangeError` from `bind`.
   */
  canReach(field: BranchField, label: Label): boolean | undefined {
    const target = this.labelOffset(label);
    return target === undefined ? undefined : branchInRange(field, target - this.offset);
  }

  private emitToLabel(mnemonic: string, field: BranchField, encode: (offset: number) => number, label: Label): void {
    const id = this.own(label);
    const target = this.bound[id];
    if (target !== undefined) {
      this.emit(encode(target - this.offset));
      return;
    }
    const list = this.fixups.get(id) ?? [];
    list.push({ at: this.offset, field, mnemonic });
    this.fixups.set(id, list);
    this.emit(encode(0));
  }

  b(label: Label): void {
    this.emitToLabel('b', 'imm26', br.b, label);
  }
  bl(label: Label): void {
    this.emitToLabel('bl', 'imm26', br.bl, label);
  }
  bCond(cond: Cond, label: Label): void {
    this.emitToLabel(br.bCondMnemonic(cond), 'imm19', (o) => br.bCond(cond, o), label);
  }
  cbz(rt: GpReg, label: Label): void {
    this.emitToLabel('cbz', 'imm19', (o) => br.cbz(rt, o), label);
  }
  cbnz(rt: GpReg, label: Label): void {
    this.emitToLabel('cbnz', 'imm19', (o) => br.cbnz(rt, o), label);
  }
  tbz(rt: GpReg, bit: number, label: Label): void {
    this.emitToLabel('tbz', 'imm14', (o) => br.tbz(rt, bit, o), label);
  }
  tbnz(rt: GpReg, bit: number, label: Label): void {
    this.emitToLabel('tbnz', 'imm14', (o) => br.tbnz(rt, bit, o), label);
  }
  adr(rd: GpReg, label: Label): void {
    this.emitToLabel('adr', 'adr', (o) => br.adr(rd, o), label);
  }

  /** Emit the shortest sequence setting rd to `value` (see materialize.ts); returns its length. */
  materialize(rd: GpReg, value: bigint | number, width?: RegWidth): number {
    const seq = materialize(rd, value, width);
    this.emitAll(seq);
    return seq.length;
  }

  /** Pad with NOPs to a multiple of `bytes` (a power of two >= 4). */
  align(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 4 || (bytes & (bytes - 1)) !== 0) throw new RangeError(`bad alignment ${bytes}`);
    while (this.offset % bytes !== 0) this.emit(nop());
  }

  /** Labels that have branches waiting for them. */
  unboundReferences(): Label[] {
    return [...this.fixups.keys()].map((id) => new Label(id, this));
  }

  /** The code as little-endian bytes. Throws if a referenced label was never bound. */
  finish(): Uint8Array {
    if (this.fixups.size > 0) {
      const desc = [...this.fixups.entries()]
        .map(([id, fs]) => `label ${id} (${fs.map((f) => `${f.mnemonic} at ${f.at}`).join(', ')})`)
        .join('; ');
      throw new A64LabelError(`unbound labels referenced: ${desc}`);
    }
    const out = new Uint8Array(this.offset);
    const view = new DataView(out.buffer);
    for (let i = 0; i < this.count; i++) view.setUint32(i * 4, this.words[i]!, true);
    return out;
  }
}
