import type { BpfInsn } from './instruction.js';
import { decodeProgram } from './instruction.js';
import { FORMS_BY_CODE, type LlvmForm, type OperandKind } from './llvm-forms.js';
import { BPF_MAX_REG, OP_LDDW } from './opcodes.js';

/**
 * BPF bytecode -> LLVM/kernel assembly syntax, spelled as llvm-objdump-22 prints it (signed hex
 * immediates, `+ 0x8` displacements, `goto +0x3`), so listings can be diffed against LLVM. Every
 * slot sequence has a spelling: encodings that have no LLVM form (unknown opcodes, non-zero
 * reserved fields, registers above r11, a broken LDDW pair) come out as `.insn code, dst, src,
 * off, imm`, which the assembler reads back, so assemble(disassemble(b)) == b for any bytes.
 */
export interface DisasmOptions {
  /**
   * Print 8/16/32-bit loads and stores with wN registers, as llvm-objdump does for
   * -mcpu=v3/v4 (the default); false gives the rN spelling of -mcpu=v1/v2. Same encoding.
   */
  readonly alu32?: boolean;
  /**
   * Name jump/call targets: with `true` every target pc gets a label `L<pc>` (see
   * `DisasmLine.label`); a function can supply names (return undefined for a plain offset).
   */
  readonly labels?: boolean | ((targetPc: number) => string | undefined);
}

export interface DisasmLine {
  /** slot index of the instruction */
  readonly pc: number;
  /** slots it covers: 2 for LDDW */
  readonly slots: 1 | 2;
  readonly text: string;
  /** label defined at this pc (only with the `labels` option) */
  readonly label?: string;
  /** false when the slot(s) had no LLVM form and came out as `.insn` */
  readonly known: boolean;
}

/** Disassemble a whole program (slots as from `decodeProgram`). */
export function disassemble(insns: readonly BpfInsn[], options: DisasmOptions = {}): DisasmLine[] {
  const labelFor = resolveLabeler(insns, options);
  const out: DisasmLine[] = [];
  for (let pc = 0; pc < insns.length; ) {
    const line = disassembleAt(insns, pc, options, labelFor);
    const label = labelFor?.(pc);
    out.push(label === undefined ? line : { ...line, label });
    pc += line.slots;
  }
  return out;
}

/** Disassemble raw bytecode (length must be a multiple of 8; BpfDecodeError otherwise). */
export function disassembleBytes(bytes: Uint8Array, options: DisasmOptions = {}): DisasmLine[] {
  return disassemble(decodeProgram(bytes), options);
}

/** Disassemble the instruction at `pc` (one slot, or two for a well-formed LDDW). */
export function disassembleInsn(
  insns: readonly BpfInsn[],
  pc: number,
  options: DisasmOptions = {},
): DisasmLine {
  return disassembleAt(insns, pc, options, undefined);
}

/**
 * Render lines as assembly source: labels on their own line, instructions indented. With
 * `pcs` the slot index is printed first, like llvm-objdump (`      12:\tr0 = ...`); that
 * form is still accepted by the assembler, which skips a leading `N:`.
 */
export function formatDisassembly(lines: readonly DisasmLine[], opts: { pcs?: boolean } = {}): string {
  let s = '';
  for (const l of lines) {
    if (l.label !== undefined) s += `${l.label}:\n`;
    s += opts.pcs ? `${String(l.pc).padStart(8)}:\t${l.text}\n` : `\t${l.text}\n`;
  }
  return s;
}

function disassembleAt(
  insns: readonly BpfInsn[],
  pc: number,
  options: DisasmOptions,
  labelFor: ((pc: number) => string | undefined) | undefined,
): DisasmLine {
  const insn = insns[pc];
  if (insn === undefined) throw new RangeError(`pc ${pc} is outside the program (${insns.length} slots)`);
  const next = insns[pc + 1];
  const form = matchForm(insn, next);
  if (form === undefined) return { pc, slots: 1, text: rawInsn(insn), known: false };
  const alu32 = options.alu32 ?? true;
  const text = renderTemplate(form, insn, next, pc, alu32, labelFor);
  return { pc, slots: form.wide ? 2 : 1, text, known: true };
}

function renderTemplate(
  form: LlvmForm,
  insn: BpfInsn,
  next: BpfInsn | undefined,
  pc: number,
  alu32: boolean,
  labelFor: ((pc: number) => string | undefined) | undefined,
): string {
  return form.template.replace(/%([a-z0-9]+)/g, (_m, op: string) =>
    operandText(op as OperandKind, insn, next, pc, alu32, labelFor),
  );
}

/** The form that spells `insn` exactly (every field accounted for), if any. */
export function matchForm(insn: BpfInsn, next: BpfInsn | undefined): LlvmForm | undefined {
  const forms = FORMS_BY_CODE.get(insn.code);
  if (forms === undefined) return undefined;
  if (insn.code === OP_LDDW) {
    // The second slot of a pair is code 0 with only imm in use (RFC 9669 section 5.4).
    if (next === undefined || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
      return undefined;
    }
  }
  for (const form of forms) {
    if (fits(form, insn, next)) return form;
  }
  return undefined;
}

const FIELDS = ['dst', 'src', 'off', 'imm'] as const;

function fits(form: LlvmForm, insn: BpfInsn, next: BpfInsn | undefined): boolean {
  for (const field of FIELDS) {
    const fixed = form.fixed[field];
    if (fixed !== undefined) {
      if (insn[field] !== fixed) return false;
    } else if (!form.operandFields.has(field) && insn[field] !== 0) {
      return false;
    }
  }
  if (form.operandFields.has('dst') && insn.dst > BPF_MAX_REG) return false;
  if (form.operandFields.has('src') && insn.src > BPF_MAX_REG) return false;
  if (form.wide && next !== undefined && next.imm !== 0) {
    return form.pieces.some((p) => 'op' in p && (p.op === 'imm64' || p.op === 'imm2'));
  }
  return true;
}

function operandText(
  op: OperandKind,
  insn: BpfInsn,
  next: BpfInsn | undefined,
  pc: number,
  alu32: boolean,
  labelFor: ((pc: number) => string | undefined) | undefined,
): string {
  switch (op) {
    case 'rd':
      return `r${insn.dst}`;
    case 'wd':
      return `w${insn.dst}`;
    case 'xd':
      return `${alu32 ? 'w' : 'r'}${insn.dst}`;
    case 'rs':
      return `r${insn.src}`;
    case 'ws':
      return `w${insn.src}`;
    case 'xs':
      return `${alu32 ? 'w' : 'r'}${insn.src}`;
    case 'off':
      return insn.off < 0 ? `- ${hex(-insn.off)}` : `+ ${hex(insn.off)}`;
    case 'imm':
      return signedHex(insn.imm);
    case 'imm2':
      return signedHex(next?.imm ?? 0);
    case 'imm64': {
      const v = BigInt.asIntN(64, (BigInt((next?.imm ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0));
      return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
    }
    case 'joff':
      return target(pc, insn.off, '', labelFor);
    case 'jimm':
      return target(pc, insn.imm, '', labelFor);
    case 'pcrel':
      return target(pc, insn.imm, 'pc', labelFor);
    case 'asd':
      return hex(insn.imm >>> 16);
    case 'ass':
      return hex(insn.imm & 0xffff);
  }
}

function target(
  pc: number,
  delta: number,
  prefix: string,
  labelFor: ((pc: number) => string | undefined) | undefined,
): string {
  const name = labelFor?.(pc + 1 + delta);
  if (name !== undefined) return name;
  return `${prefix}${delta < 0 ? '-' : '+'}${hex(Math.abs(delta))}`;
}

const hex = (v: number): string => `0x${v.toString(16)}`;
const signedHex = (v: number): string => (v < 0 ? `-${hex(-v)}` : hex(v));

/** The `.insn` spelling of one slot, used when no form fits. */
function rawInsn(insn: BpfInsn): string {
  return `.insn ${hex(insn.code)}, ${insn.dst}, ${insn.src}, ${signedHex(insn.off)}, ${signedHex(insn.imm)}`;
}

/** Targets of pc-relative operands, for the `labels` option. */
function resolveLabeler(
  insns: readonly BpfInsn[],
  options: DisasmOptions,
): ((pc: number) => string | undefined) | undefined {
  if (options.labels === undefined || options.labels === false) return undefined;
  if (typeof options.labels === 'function') return options.labels;
  const targets = new Set<number>();
  for (let pc = 0; pc < insns.length; ) {
    const insn = insns[pc]!;
    const form = matchForm(insn, insns[pc + 1]);
    if (form !== undefined) {
      for (const p of form.pieces) {
        if (!('op' in p)) continue;
        if (p.op === 'joff') targets.add(pc + 1 + insn.off);
        if (p.op === 'jimm' || p.op === 'pcrel') targets.add(pc + 1 + insn.imm);
      }
    }
    pc += form?.wide ? 2 : 1;
  }
  // Only targets that start an instruction inside the program can carry a label; anything
  // else (out of range, middle of an LDDW) stays a numeric offset so the listing stays exact.
  const starts = new Set<number>();
  for (let pc = 0; pc < insns.length; ) {
    starts.add(pc);
    pc += matchForm(insns[pc]!, insns[pc + 1])?.wide ? 2 : 1;
  }
  return (pc) => (targets.has(pc) && starts.has(pc) ? `L${pc}` : undefined);
}
