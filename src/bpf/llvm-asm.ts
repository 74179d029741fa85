import { BpfAsmError } from './asm-error.js';
import type { BpfInsn } from './instruction.js';
import { FORMS_BY_LEAD, formSkeleton, type LlvmForm, type OperandKind, type TemplatePiece } from './llvm-forms.js';
import { lexLine, type Token } from './llvm-lexer.js';
import { BPF_MAX_REG } from './opcodes.js';

/**
 * Assembler for the LLVM/kernel BPF syntax (what llvm-objdump prints and llvm-mc reads):
 *
 *   LBB0_1:                          labels, referenced by goto/if/gotol/call/func()
 *   r0 = *(u64 *)(r1 + 8)            one instruction per line; `#` and `//` comments
 *   if w1 s< w2 goto LBB0_1
 *   12: r1 = 0x1122334455667788 ll   a leading `N:` (llvm-objdump's pc column) is ignored,
 *   goto +0x3 <.text+0x58>           and so is llvm-objdump's trailing `<target>` note
 *   .insn 0x95, 0, 0, 0, 0           one raw slot: code, dst, src, off, imm
 *
 * The spellings are the table in llvm-forms.ts. Errors are BpfAsmError with line:column and
 * the offending token.
 */
export interface LlvmAsmResult {
  readonly insns: BpfInsn[];
  /** label name -> slot index */
  readonly labels: ReadonlyMap<string, number>;
  /** 1-based source line of each slot (both slots of an LDDW carry the same line) */
  readonly sourceLines: readonly number[];
}

/** Assemble LLVM-syntax source to instruction slots. */
export function assembleLlvm(source: string): BpfInsn[] {
  return assembleLlvmProgram(source).insns;
}

/** Assemble LLVM-syntax source, also returning labels and the slot -> line map. */
export function assembleLlvmProgram(source: string): LlvmAsmResult {
  const insns: BpfInsn[] = [];
  const sourceLines: number[] = [];
  const labels = new Map<string, number>();
  const fixups: Fixup[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let toks = lexLine(lines[i]!, lineNo);
    // llvm-objdump's pc column ("  12:\t...").
    if (toks.length >= 2 && toks[0]!.kind === 'num' && toks[1]!.text === ':') toks = toks.slice(2);
    while (toks.length >= 2 && toks[0]!.kind === 'ident' && toks[1]!.text === ':') {
      const name = toks[0]!;
      if (isRegisterName(name.text) || name.text === 'pc') {
        throw new BpfAsmError('a register name cannot be a label', lineNo, name.col, name.text);
      }
      if (labels.has(name.text)) throw new BpfAsmError('label defined twice', lineNo, name.col, name.text);
      labels.set(name.text, insns.length);
      toks = toks.slice(2);
    }
    if (toks.length === 0) continue;
    const slots = toks[0]!.text === '.insn' ? rawInsn(toks, lineNo) : instruction(toks, lineNo, insns.length, fixups);
    for (const s of slots) {
      insns.push(s);
      sourceLines.push(lineNo);
    }
  }
  for (const fx of fixups) {
    const target = labels.get(fx.label.text);
    if (target === undefined) throw new BpfAsmError('undefined label', fx.line, fx.label.col, fx.label.text);
    const delta = target - (fx.pc + 1);
    const [min, max] = fx.field === 'off' ? INT16 : INT32;
    if (delta < min || delta > max) {
      throw new BpfAsmError(`jump of ${delta} slots does not fit the ${fx.field} field`, fx.line, fx.label.col, fx.label.text);
    }
    insns[fx.pc]![fx.field] = delta;
  }
  return { insns, labels, sourceLines };
}

interface Fixup {
  readonly pc: number;
  readonly field: 'off' | 'imm';
  readonly label: Token;
  readonly line: number;
}

const INT16 = [-0x8000, 0x7fff] as const;
const INT32 = [-0x8000_0000, 0x7fff_ffff] as const;

/** A value bound to a placeholder while matching a template. */
type Binding =
  | { readonly kind: 'num'; readonly value: bigint; readonly tok: Token }
  | { readonly kind: 'label'; readonly tok: Token };

interface MatchFailure {
  /** index of the token where the template stopped matching (tokens.length = end of line) */
  readonly at: number;
  readonly reason: string;
}

function instruction(toks: readonly Token[], line: number, pc: number, fixups: Fixup[]): BpfInsn[] {
  const lead = toks[0]!;
  const leadKey = isRegisterName(lead.text) ? lead.text.toLowerCase() : lead.text;
  const candidates = [...(FORMS_BY_LEAD.get(leadKey) ?? []), ...(FORMS_BY_LEAD.get('') ?? [])];
  // Report where the closest spellings stopped matching, with what they expected there.
  let bestAt = 0;
  let reasons: string[] = [];
  for (const form of candidates) {
    const m = match(form, toks);
    if ('bindings' in m) return build(form, m.bindings, line, pc, fixups);
    if (m.at > bestAt) {
      bestAt = m.at;
      reasons = [];
    }
    if (m.at === bestAt && !reasons.includes(m.reason)) reasons.push(m.reason);
  }
  const reason = bestAt === 0 ? 'unknown instruction' : joinReasons(reasons);
  const tok = toks[bestAt];
  const col = tok?.col ?? (toks.at(-1)!.col + toks.at(-1)!.text.length);
  throw new BpfAsmError(reason, line, col, tok?.text ?? '');
}

/** "expected 'u8'", "expected 'u16'" -> "expected 'u8' or 'u16'" (at most 6 listed). */
function joinReasons(reasons: readonly string[]): string {
  const expected = reasons.filter((r) => r.startsWith('expected ')).map((r) => r.slice(9));
  const other = reasons.filter((r) => !r.startsWith('expected '));
  if (other.length > 0 || expected.length === 0) return other[0] ?? 'syntax error';
  const shown = expected.slice(0, 6);
  const tail = expected.length > 6 ? ', ...' : '';
  return shown.length === 1 ? `expected ${shown[0]}` : `expected ${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}${tail}`;
}

function match(
  form: LlvmForm,
  toks: readonly Token[],
): { bindings: Map<OperandKind, Binding> } | MatchFailure {
  const bindings = new Map<OperandKind, Binding>();
  let i = 0;
  for (const piece of form.pieces) {
    if ('lit' in piece) {
      const t = toks[i];
      if (t === undefined || !sameLiteral(piece, t)) return { at: i, reason: `expected '${piece.lit.text}'` };
      i++;
      continue;
    }
    const r = operand(piece.op, toks, i);
    if ('reason' in r) return r;
    const prev = bindings.get(piece.op);
    if (prev !== undefined) {
      // A repeated placeholder (`r1 = -r1`, the fetch forms) names one field twice.
      if (prev.kind !== 'num' || r.binding.kind !== 'num' || prev.value !== r.binding.value) {
        return { at: i, reason: `must be the same register as '${prev.tok.text}'` };
      }
    }
    bindings.set(piece.op, r.binding);
    i = r.next;
  }
  if (i < toks.length) {
    // llvm-objdump appends `<symbol+offset>` after branch targets: accept and ignore it.
    const branches = form.pieces.some((p) => 'op' in p && (p.op === 'joff' || p.op === 'jimm' || p.op === 'pcrel'));
    if (!(branches && toks[i]!.text === '<' && toks.at(-1)!.text === '>')) {
      return { at: i, reason: 'unexpected token after instruction' };
    }
  }
  return { bindings };
}

function sameLiteral(piece: Extract<TemplatePiece, { lit: Token }>, t: Token): boolean {
  if (piece.lit.kind !== t.kind) return false;
  // Register names are case-insensitive in llvm-mc (`R0 = 1`); keywords are not.
  return isRegisterName(piece.lit.text) ? piece.lit.text === t.text.toLowerCase() : piece.lit.text === t.text;
}

const REGISTER = /^([rRwW])([0-9]+)$/;

function isRegisterName(text: string): boolean {
  return REGISTER.test(text);
}

type OperandResult = { binding: Binding; next: number } | MatchFailure;

function operand(op: OperandKind, toks: readonly Token[], i: number): OperandResult {
  const t = toks[i];
  const fail = (what: string): MatchFailure => ({ at: i, reason: `expected ${what}` });
  switch (op) {
    case 'rd':
    case 'rs':
    case 'wd':
    case 'ws':
    case 'xd':
    case 'xs': {
      const m = t?.kind === 'ident' ? REGISTER.exec(t.text) : null;
      const want = op[0] === 'x' ? 'a register' : `a ${op[0]}N register`;
      if (!m) return fail(want);
      const prefix = m[1]!.toLowerCase();
      if (op[0] !== 'x' && prefix !== op[0]) return fail(want);
      const n = Number(m[2]);
      if (n > BPF_MAX_REG || m[2]!.length > 2) return { at: i, reason: `no register ${t!.text} (r0-r11)` };
      return { binding: { kind: 'num', value: BigInt(n), tok: t! }, next: i + 1 };
    }
    case 'off': {
      // `+ 8` / `- 8`: the sign is required, as in llvm-mc.
      if (t?.text !== '+' && t?.text !== '-') return fail("'+' or '-'");
      const n = toks[i + 1];
      if (n?.kind !== 'num') return { at: i + 1, reason: 'expected an offset' };
      return { binding: { kind: 'num', value: t.text === '-' ? -n.value! : n.value!, tok: n }, next: i + 2 };
    }
    case 'imm':
    case 'imm2':
    case 'imm64':
    case 'asd':
    case 'ass': {
      let j = i;
      let neg = false;
      if (op !== 'asd' && op !== 'ass' && (toks[j]?.text === '-' || toks[j]?.text === '+')) {
        neg = toks[j]!.text === '-';
        j++;
      }
      const n = toks[j];
      if (n?.kind !== 'num') return { at: j, reason: 'expected a number' };
      return { binding: { kind: 'num', value: neg ? -n.value! : n.value!, tok: n }, next: j + 1 };
    }
    case 'joff':
    case 'jimm':
    case 'pcrel': {
      let j = i;
      if (op === 'pcrel') {
        if (t?.kind === 'ident' && t.text === 'pc') j++;
        else if (t?.kind === 'ident' && !isRegisterName(t.text)) return { binding: { kind: 'label', tok: t }, next: i + 1 };
        else return fail("'pc+N' or a label");
      } else if (t?.kind === 'ident' && !isRegisterName(t.text)) {
        return { binding: { kind: 'label', tok: t }, next: i + 1 };
      }
      const s = toks[j];
      if (s?.text !== '+' && s?.text !== '-') return { at: j, reason: "expected '+N', '-N' or a label" };
      const n = toks[j + 1];
      if (n?.kind !== 'num') return { at: j + 1, reason: 'expected a number' };
      return { binding: { kind: 'num', value: s.text === '-' ? -n.value! : n.value!, tok: n }, next: j + 2 };
    }
  }
}

/** Value range of each numeric operand, and the error wording when it is exceeded. */
const RANGE: Partial<Record<OperandKind, readonly [bigint, bigint, string]>> = {
  off: [-0x8000n, 0x7fffn, 'offset does not fit in 16 signed bits'],
  joff: [-0x8000n, 0x7fffn, 'jump offset does not fit in 16 signed bits'],
  jimm: [-0x8000_0000n, 0x7fff_ffffn, 'jump offset does not fit in 32 signed bits'],
  pcrel: [-0x8000_0000n, 0x7fff_ffffn, 'call offset does not fit in 32 signed bits'],
  // Like llvm-mc, a 32-bit immediate may be written signed or unsigned (0xffffffff == -1).
  imm: [-0x8000_0000n, 0xffff_ffffn, 'immediate does not fit in 32 bits'],
  imm2: [-0x8000_0000n, 0xffff_ffffn, 'immediate does not fit in 32 bits'],
  imm64: [-(1n << 63n), (1n << 64n) - 1n, 'immediate does not fit in 64 bits'],
  asd: [0n, 0xffffn, 'address space does not fit in 16 bits'],
  ass: [0n, 0xffffn, 'address space does not fit in 16 bits'],
};

const i32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

function build(
  form: LlvmForm,
  bindings: ReadonlyMap<OperandKind, Binding>,
  line: number,
  pc: number,
  fixups: Fixup[],
): BpfInsn[] {
  const insn: BpfInsn = formSkeleton(form);
  const hi: BpfInsn = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
  for (const [op, b] of bindings) {
    if (b.kind === 'label') {
      fixups.push({ pc, field: op === 'joff' ? 'off' : 'imm', label: b.tok, line });
      continue;
    }
    const range = RANGE[op];
    if (range !== undefined && (b.value < range[0] || b.value > range[1])) {
      throw new BpfAsmError(range[2], line, b.tok.col, b.tok.text);
    }
    const v = b.value;
    switch (op) {
      case 'rd':
      case 'wd':
      case 'xd':
        insn.dst = Number(v);
        break;
      case 'rs':
      case 'ws':
      case 'xs':
        insn.src = Number(v);
        break;
      case 'off':
      case 'joff':
        insn.off = Number(v);
        break;
      case 'imm':
      case 'jimm':
      case 'pcrel':
        insn.imm = i32(v);
        break;
      case 'imm2':
        hi.imm = i32(v);
        break;
      case 'imm64':
        insn.imm = i32(v);
        hi.imm = i32(v >> 32n);
        break;
      case 'asd':
        insn.imm = i32((BigInt(insn.imm >>> 0) & 0xffffn) | (v << 16n));
        break;
      case 'ass':
        insn.imm = i32((BigInt(insn.imm >>> 0) & 0xffff0000n) | v);
        break;
    }
  }
  return form.wide ? [insn, hi] : [insn];
}

/** `.insn code, dst, src, off, imm`: one slot written field by field. */
function rawInsn(toks: readonly Token[], line: number): BpfInsn[] {
  const limits: readonly (readonly [string, bigint, bigint])[] = [
    ['code', 0n, 0xffn],
    ['dst', 0n, 0xfn],
    ['src', 0n, 0xfn],
    ['off', -0x8000n, 0x7fffn],
    ['imm', -0x8000_0000n, 0xffff_ffffn],
  ];
  const values: bigint[] = [];
  let i = 1;
  for (const [name, min, max] of limits) {
    if (values.length > 0) {
      if (toks[i]?.text !== ',') return errAt(toks, i, line, "expected ','");
      i++;
    }
    let neg = false;
    if (toks[i]?.text === '-') {
      neg = true;
      i++;
    }
    const n = toks[i];
    if (n?.kind !== 'num') return errAt(toks, i, line, `expected the ${name} field`);
    const v = neg ? -n.value! : n.value!;
    if (v < min || v > max) throw new BpfAsmError(`${name} field out of range ${min}..${max}`, line, n.col, n.text);
    values.push(v);
    i++;
  }
  if (i < toks.length) return errAt(toks, i, line, 'unexpected token after instruction');
  const [code, dst, src, off, imm] = values as [bigint, bigint, bigint, bigint, bigint];
  return [{ code: Number(code), dst: Number(dst), src: Number(src), off: Number(off), imm: i32(imm) }];
}

function errAt(toks: readonly Token[], i: number, line: number, reason: string): never {
  const t = toks[i];
  const last = toks.at(-1)!;
  throw new BpfAsmError(reason, line, t?.col ?? last.col + last.text.length, t?.text ?? '');
}
