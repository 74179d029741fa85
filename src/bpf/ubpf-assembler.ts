import { BpfAsmError } from './asm-error.js';
import type { BpfInsn } from './instruction.js';
import { lddw } from './instruction.js';
import { ALU_OP_NAMES, JMP_OP_NAMES } from './insn-kind.js';
import { BpfAluOp, BpfAtomicOp, BpfClass, BpfJmpOp, BpfMode, BpfSize, BpfSource } from './opcodes.js';

/**
 * Assembler for the uBPF / bpf_conformance assembly dialect:
 *
 *   mov32 %r0, 0            add %r1, %r2          neg %r3         be16 %r0     bswap64 %r1
 *   ldxdw %r0, [%r1+8]      stxw [%r10-4], %r1    stb [%r10-1], 0x80          ldxsb %r0, [%r1]
 *   lddw %r0, 0x1122334455667788                  movsx1632 %r2, %r1          sdiv32 %r0, 3
 *   jgt %r1, 5, label       jne32 %r1, %r2, +2    ja -3           ja32 label   (gotol)
 *   call 5 (helper)         call local func1      call %r2 (callx)            call native 7
 *   lock add [%r10-8], %r1  lock fetch xor32 [%r1], %r2  lock xchg ...  lock cmpxchg ...
 *   exit                    label:                # comment to end of line
 *
 * Extensions of this project (not in uBPF): `%r11` as the base of DW loads/stores for stack
 * arguments (`stxdw [%r11-8], %r1`, `ldxdw %r0, [%r11+8]`, `stdw [%r11-16], 30`; the validator
 * enforces the R11 rules), `call native <id|name>` (CALL src 2), `lddw %r1, func label`
 * (LDDW src 4, a function's address), `ldacq{b,h,w,dw} dst, [src+off]` and
 * `strel{b,h,w,dw} [dst+off], src` (load-acquire / store-release, atomic imm 0x100 / 0x110).
 *
 * A jump to the name `exit` when no such label is defined goes to the first `exit`
 * instruction after the jump, as the conformance suite's programs expect.
 *
 * Immediates: decimal must fit the signed field (int32 for 32-bit fields), hexadecimal may
 * also spell the field's unsigned range (0x0..0xffffffff), so `0xffffffff` is -1 while
 * decimal 2147483648 is an error. LDDW takes any 64-bit value.
 */
export interface UbpfAssembleOptions {
  /** line number of the source's first line (when it is embedded, e.g. in a `.data` file) */
  firstLine?: number;
  /** ids of native functions, for `call native <name>` */
  nativeIds?: ReadonlyMap<string, number>;
}

interface Tok {
  text: string;
  line: number;
  col: number;
}

type Spec =
  | { syntax: 'alu'; cls: number; op: number; off: number; regOnly: boolean }
  | { syntax: 'unary'; code: number; imm: number }
  | { syntax: 'load'; code: number; imm: number }
  | { syntax: 'st'; code: number }
  | { syntax: 'store'; code: number; imm: number }
  | { syntax: 'lddw' }
  | { syntax: 'ja'; cls: number }
  | { syntax: 'jcond'; cls: number; op: number }
  | { syntax: 'call' }
  | { syntax: 'exit' }
  | { syntax: 'lock' };

const SIZES: ReadonlyArray<readonly [string, number]> = [
  ['b', BpfSize.B],
  ['h', BpfSize.H],
  ['w', BpfSize.W],
  ['dw', BpfSize.DW],
];

function buildSpecs(): Map<string, Spec> {
  const m = new Map<string, Spec>();
  for (const [opText, name] of Object.entries(ALU_OP_NAMES)) {
    const op = Number(opText);
    if (op === BpfAluOp.END) continue;
    if (op === BpfAluOp.NEG) {
      for (const [n, cls] of [['neg', BpfClass.ALU64], ['neg64', BpfClass.ALU64], ['neg32', BpfClass.ALU]] as const) {
        m.set(n, { syntax: 'unary', code: cls | op, imm: 0 });
      }
      continue;
    }
    m.set(name, { syntax: 'alu', cls: BpfClass.ALU64, op, off: 0, regOnly: false });
    m.set(`${name}64`, { syntax: 'alu', cls: BpfClass.ALU64, op, off: 0, regOnly: false });
    m.set(`${name}32`, { syntax: 'alu', cls: BpfClass.ALU, op, off: 0, regOnly: false });
  }
  // Signed division and modulo: DIV/MOD with off = 1 (RFC 9669 section 4.1).
  for (const [name, op] of [['sdiv', BpfAluOp.DIV], ['smod', BpfAluOp.MOD]] as const) {
    m.set(name, { syntax: 'alu', cls: BpfClass.ALU64, op, off: 1, regOnly: false });
    m.set(`${name}64`, { syntax: 'alu', cls: BpfClass.ALU64, op, off: 1, regOnly: false });
    m.set(`${name}32`, { syntax: 'alu', cls: BpfClass.ALU, op, off: 1, regOnly: false });
  }
  // MOVSX: movsx<from><to>, register source only; ALU sign-extends 8/16 bits, ALU64 8/16/32.
  for (const from of [8, 16, 32]) {
    if (from !== 32) m.set(`movsx${from}32`, { syntax: 'alu', cls: BpfClass.ALU, op: BpfAluOp.MOV, off: from, regOnly: true });
    m.set(`movsx${from}64`, { syntax: 'alu', cls: BpfClass.ALU64, op: BpfAluOp.MOV, off: from, regOnly: true });
  }
  for (const bits of [16, 32, 64]) {
    m.set(`le${bits}`, { syntax: 'unary', code: BpfClass.ALU | BpfAluOp.END | BpfSource.K, imm: bits });
    m.set(`be${bits}`, { syntax: 'unary', code: BpfClass.ALU | BpfAluOp.END | BpfSource.X, imm: bits });
    m.set(`bswap${bits}`, { syntax: 'unary', code: BpfClass.ALU64 | BpfAluOp.END, imm: bits });
    m.set(`swap${bits}`, { syntax: 'unary', code: BpfClass.ALU64 | BpfAluOp.END, imm: bits });
  }
  for (const [sfx, size] of SIZES) {
    m.set(`ldx${sfx}`, { syntax: 'load', code: BpfClass.LDX | BpfMode.MEM | size, imm: 0 });
    if (size !== BpfSize.DW) m.set(`ldxs${sfx}`, { syntax: 'load', code: BpfClass.LDX | BpfMode.MEMSX | size, imm: 0 });
    m.set(`st${sfx}`, { syntax: 'st', code: BpfClass.ST | BpfMode.MEM | size });
    m.set(`stx${sfx}`, { syntax: 'store', code: BpfClass.STX | BpfMode.MEM | size, imm: 0 });
    m.set(`ldacq${sfx}`, { syntax: 'load', code: BpfClass.STX | BpfMode.ATOMIC | size, imm: BpfAtomicOp.LOAD_ACQ });
    m.set(`strel${sfx}`, { syntax: 'store', code: BpfClass.STX | BpfMode.ATOMIC | size, imm: BpfAtomicOp.STORE_REL });
  }
  m.set('lddw', { syntax: 'lddw' });
  m.set('ja', { syntax: 'ja', cls: BpfClass.JMP });
  m.set('ja32', { syntax: 'ja', cls: BpfClass.JMP32 });
  m.set('gotol', { syntax: 'ja', cls: BpfClass.JMP32 });
  for (const [opText, name] of Object.entries(JMP_OP_NAMES)) {
    const op = Number(opText);
    if (op === BpfJmpOp.JA || op === BpfJmpOp.CALL || op === BpfJmpOp.EXIT) continue;
    m.set(name, { syntax: 'jcond', cls: BpfClass.JMP, op });
    m.set(`${name}32`, { syntax: 'jcond', cls: BpfClass.JMP32, op });
  }
  m.set('call', { syntax: 'call' });
  m.set('exit', { syntax: 'exit' });
  m.set('lock', { syntax: 'lock' });
  return m;
}

const SPECS = buildSpecs();

/** Mnemonics of `lock` and the atomic imm they encode (RFC 9669 section 5.3). */
const LOCK_OPS: ReadonlyMap<string, number> = new Map([
  ['add', BpfAtomicOp.ADD],
  ['or', BpfAtomicOp.OR],
  ['and', BpfAtomicOp.AND],
  ['xor', BpfAtomicOp.XOR],
  ['xchg', BpfAtomicOp.XCHG],
  ['cmpxchg', BpfAtomicOp.CMPXCHG],
]);

const LABEL_RE = /^[A-Za-z_.$][\w.$]*$/;
const NUMBER_RE = /^[+-]?(?:0[xX][0-9a-fA-F]+|[0-9]+)$/;

interface Fixup {
  index: number;
  pc: number;
  tok: Tok;
  field: 'off' | 'imm';
  /** the name `exit` may fall back to the next exit instruction */
  exitFallback: boolean;
}

/** Assemble uBPF-syntax source to instruction slots. Throws BpfAsmError on any mistake. */
export function assembleUbpf(source: string, options: UbpfAssembleOptions = {}): BpfInsn[] {
  const firstLine = options.firstLine ?? 1;
  const out: BpfInsn[] = [];
  const labels = new Map<string, number>();
  const fixups: Fixup[] = [];

  const lines = source.split(/\r?\n/);
  lines.forEach((rawLine, i) => {
    const lineNo = firstLine + i;
    let text = rawLine;
    const hash = text.indexOf('#');
    if (hash >= 0) text = text.slice(0, hash);
    let pos = 0;
    // Labels: `name:` (possibly followed by an instruction on the same line).
    for (;;) {
      const m = /^(\s*)([^\s:]+)\s*:/.exec(text.slice(pos));
      if (!m || m[2] === undefined || m[1] === undefined) break;
      const name = m[2];
      const col = pos + m[1].length + 1;
      if (!LABEL_RE.test(name)) throw new BpfAsmError('invalid label name', lineNo, col, name);
      if (labels.has(name)) throw new BpfAsmError(`label '${name}' is defined twice`, lineNo, col, name);
      labels.set(name, out.length);
      pos += m[0].length;
    }
    const rest = text.slice(pos);
    const mm = /^(\s*)(\S+)/.exec(rest);
    if (!mm || mm[1] === undefined || mm[2] === undefined) return;
    const mnemonic: Tok = { text: mm[2], line: lineNo, col: pos + mm[1].length + 1 };
    const operands = splitOperands(rest.slice(mm[0].length), lineNo, pos + mm[0].length);
    const emitted = encodeLine(mnemonic, operands, out.length, fixups, options);
    out.push(...emitted);
  });

  for (const f of fixups) {
    let target = labels.get(f.tok.text);
    if (target === undefined && f.exitFallback && f.tok.text === 'exit') {
      target = out.findIndex((insn, pc) => pc > f.pc && insn.code === (BpfClass.JMP | BpfJmpOp.EXIT));
      if (target < 0) throw new BpfAsmError("jump to 'exit' but no exit instruction follows", f.tok.line, f.tok.col, f.tok.text);
    }
    if (target === undefined) throw new BpfAsmError(`undefined label '${f.tok.text}'`, f.tok.line, f.tok.col, f.tok.text);
    const rel = target - (f.pc + 1);
    const insn = out[f.index] as BpfInsn;
    if (f.field === 'off') {
      if (rel < -0x8000 || rel > 0x7fff) throw new BpfAsmError(`jump to '${f.tok.text}' is out of the 16-bit offset range (${rel})`, f.tok.line, f.tok.col, f.tok.text);
      insn.off = rel;
    } else {
      insn.imm = rel;
    }
  }
  return out;
}

function splitOperands(text: string, line: number, startCol0: number): Tok[] {
  if (text.trim() === '') return [];
  const toks: Tok[] = [];
  let depth = 0;
  let begin = 0;
  const push = (end: number): void => {
    const piece = text.slice(begin, end);
    const lead = piece.length - piece.trimStart().length;
    toks.push({ text: piece.trim(), line, col: startCol0 + begin + lead + 1 });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      push(i);
      begin = i + 1;
    }
  }
  push(text.length);
  return toks;
}

function encodeLine(mn: Tok, ops: Tok[], pc: number, fixups: Fixup[], options: UbpfAssembleOptions): BpfInsn[] {
  const name = mn.text.toLowerCase();
  const spec = SPECS.get(name);
  if (!spec) throw new BpfAsmError(`unknown mnemonic '${mn.text}'`, mn.line, mn.col, mn.text);
  for (const op of ops) {
    if (op.text === '') throw new BpfAsmError('empty operand', op.line, op.col, op.text);
  }
  const want = (n: number): void => {
    if (ops.length !== n) {
      const at = ops[n] ?? endOf(mn, ops);
      throw new BpfAsmError(`${name} takes ${n} operand${n === 1 ? '' : 's'}, got ${ops.length}`, at.line, at.col, at.text);
    }
  };
  const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });

  switch (spec.syntax) {
    case 'alu': {
      want(2);
      const [d, s] = ops as [Tok, Tok];
      const dst = reg(d);
      if (isReg(s)) return [insn(spec.cls | spec.op | BpfSource.X, dst, reg(s), spec.off, 0)];
      if (spec.regOnly) throw new BpfAsmError(`${name} needs a register source`, s.line, s.col, s.text);
      return [insn(spec.cls | spec.op | BpfSource.K, dst, 0, spec.off, imm32(s))];
    }
    case 'unary': {
      want(1);
      return [insn(spec.code, reg(ops[0] as Tok), 0, 0, spec.imm)];
    }
    case 'load': {
      want(2);
      const [d, m] = ops as [Tok, Tok];
      const mem = memOperand(m);
      return [insn(spec.code, reg(d), mem.reg, mem.off, spec.imm)];
    }
    case 'st': {
      want(2);
      const [m, v] = ops as [Tok, Tok];
      const mem = memOperand(m);
      return [insn(spec.code, mem.reg, 0, mem.off, imm32(v))];
    }
    case 'store': {
      want(2);
      const [m, s] = ops as [Tok, Tok];
      const mem = memOperand(m);
      return [insn(spec.code, mem.reg, reg(s), mem.off, spec.imm)];
    }
    case 'lddw': {
      want(2);
      const [d, v] = ops as [Tok, Tok];
      const fn = /^func\s+(\S+)$/.exec(v.text);
      if (fn?.[1] !== undefined) {
        const pair = lddw(reg(d), 0n, 4);
        fixups.push({ index: pc, pc, tok: { ...v, text: fn[1], col: v.col + v.text.indexOf(fn[1]) }, field: 'imm', exitFallback: false });
        return pair;
      }
      return lddw(reg(d), imm64(v));
    }
    case 'ja': {
      want(1);
      const t = ops[0] as Tok;
      const field = spec.cls === BpfClass.JMP32 ? 'imm' : 'off';
      const ins = insn(spec.cls | BpfJmpOp.JA);
      setTarget(ins, t, field, pc, fixups);
      return [ins];
    }
    case 'jcond': {
      want(3);
      const [d, s, t] = ops as [Tok, Tok, Tok];
      const ins = isReg(s)
        ? insn(spec.cls | spec.op | BpfSource.X, reg(d), reg(s))
        : insn(spec.cls | spec.op | BpfSource.K, reg(d), 0, 0, imm32(s));
      setTarget(ins, t, 'off', pc, fixups);
      return [ins];
    }
    case 'call': {
      want(1);
      const t = ops[0] as Tok;
      const code = BpfClass.JMP | BpfJmpOp.CALL;
      if (isReg(t)) return [insn(code | BpfSource.X, reg(t))];
      const words = t.text.split(/\s+/);
      if (words.length === 2 && words[0] === 'local') {
        const ins = insn(code, 0, 1);
        const target: Tok = { ...t, text: words[1] as string, col: t.col + t.text.lastIndexOf(words[1] as string) };
        setTarget(ins, target, 'imm', pc, fixups);
        return [ins];
      }
      if (words.length === 2 && words[0] === 'native') {
        const w = words[1] as string;
        const at: Tok = { ...t, text: w, col: t.col + t.text.lastIndexOf(w) };
        if (NUMBER_RE.test(w)) return [insn(code, 0, 2, 0, imm32(at))];
        const id = options.nativeIds?.get(w);
        if (id === undefined) throw new BpfAsmError(`unknown native function '${w}'`, at.line, at.col, w);
        return [insn(code, 0, 2, 0, id)];
      }
      if (words.length !== 1) throw new BpfAsmError("call takes a helper id, 'local <label>', 'native <id>' or a register", t.line, t.col, t.text);
      return [insn(code, 0, 0, 0, imm32(t))];
    }
    case 'exit':
      want(0);
      return [insn(BpfClass.JMP | BpfJmpOp.EXIT)];
    case 'lock':
      return [encodeLock(mn, ops)];
  }
}

function encodeLock(mn: Tok, ops: Tok[]): BpfInsn {
  // `lock [fetch] <op>[32] [dst+off], src`: the first comma-separated operand holds the words.
  const first = ops[0];
  if (ops.length !== 2 || first === undefined) {
    const at = ops[2] ?? endOf(mn, ops);
    throw new BpfAsmError(`invalid number of operands for lock: want '[fetch] <op> [reg+off], reg', got ${ops.length}`, at.line, at.col, at.text);
  }
  const m = /^((?:[A-Za-z0-9]+\s+)*)(\[.*)$/.exec(first.text);
  if (!m || m[1] === undefined || m[2] === undefined) {
    throw new BpfAsmError('lock needs an operation and a memory operand', first.line, first.col, first.text);
  }
  const words = m[1].trim().split(/\s+/).filter((w) => w !== '');
  const memTok: Tok = { ...first, text: m[2], col: first.col + m[1].length };
  let fetch = false;
  if (words[0]?.toLowerCase() === 'fetch') {
    fetch = true;
    words.shift();
  }
  if (words.length !== 1) {
    throw new BpfAsmError('lock needs exactly one operation (add, or, and, xor, xchg, cmpxchg)', first.line, first.col, first.text);
  }
  const opWord = (words[0] as string).toLowerCase();
  const opCol = first.col + first.text.indexOf(words[0] as string);
  const is32 = opWord.endsWith('32');
  const base = is32 ? opWord.slice(0, -2) : opWord.endsWith('64') ? opWord.slice(0, -2) : opWord;
  const op = LOCK_OPS.get(base);
  if (op === undefined) throw new BpfAsmError(`unknown atomic operation '${words[0] as string}'`, first.line, opCol, words[0] as string);
  const imm = op | (fetch ? BpfAtomicOp.FETCH : 0);
  const mem = memOperand(memTok);
  const size = is32 ? BpfSize.W : BpfSize.DW;
  return { code: BpfClass.STX | BpfMode.ATOMIC | size, dst: mem.reg, src: reg(ops[1] as Tok), off: mem.off, imm };
}

/** The position just past the last operand (or the mnemonic): where a missing operand goes. */
function endOf(mn: Tok, ops: readonly Tok[]): Tok {
  const last = ops[ops.length - 1] ?? mn;
  return { text: '', line: mn.line, col: last.col + last.text.length };
}

function setTarget(ins: BpfInsn, t: Tok, field: 'off' | 'imm', pc: number, fixups: Fixup[]): void {
  if (NUMBER_RE.test(t.text)) {
    const v = parseNumber(t);
    const [lo, hi] = field === 'off' ? [-0x8000n, 0x7fffn] : [-0x8000_0000n, 0x7fff_ffffn];
    if (v < lo || v > hi) throw new BpfAsmError(`jump offset ${t.text} is out of range`, t.line, t.col, t.text);
    ins[field] = Number(v);
    return;
  }
  if (!LABEL_RE.test(t.text)) throw new BpfAsmError('expected a label or an offset like +2', t.line, t.col, t.text);
  fixups.push({ index: pc, pc, tok: t, field, exitFallback: true });
}

function isReg(t: Tok): boolean {
  return /^%r/i.test(t.text);
}

function reg(t: Tok): number {
  const m = /^%r(\d+)$/i.exec(t.text);
  if (!m || m[1] === undefined) throw new BpfAsmError('expected a register (%r0 .. %r10)', t.line, t.col, t.text);
  const n = Number(m[1]);
  // %r11 is accepted here so that stack-argument programs can be written; the validator
  // decides where R11 may appear ("R11 is invalid").
  if (n > 11) throw new BpfAsmError(`invalid register %r${m[1]}`, t.line, t.col, t.text);
  return n;
}

function memOperand(t: Tok): { reg: number; off: number } {
  const m = /^\[\s*(%\w+)\s*(?:([+-])\s*([0-9a-zA-Z]+)\s*)?\]$/.exec(t.text);
  if (!m || m[1] === undefined) throw new BpfAsmError('expected a memory operand like [%r1+8]', t.line, t.col, t.text);
  const regTok: Tok = { ...t, text: m[1], col: t.col + t.text.indexOf(m[1]) };
  const r = reg(regTok);
  if (m[2] === undefined || m[3] === undefined) return { reg: r, off: 0 };
  const numTok: Tok = { ...t, text: m[3], col: t.col + t.text.lastIndexOf(m[3]) };
  if (!NUMBER_RE.test(m[3])) throw new BpfAsmError('expected a number as the offset', numTok.line, numTok.col, numTok.text);
  const v = m[2] === '-' ? -parseNumber(numTok) : parseNumber(numTok);
  if (v < -0x8000n || v > 0x7fffn) throw new BpfAsmError(`offset ${m[2]}${m[3]} does not fit the signed 16-bit field`, numTok.line, numTok.col, numTok.text);
  return { reg: r, off: Number(v) };
}

function parseNumber(t: Tok): bigint {
  if (!NUMBER_RE.test(t.text)) throw new BpfAsmError('expected a number', t.line, t.col, t.text);
  const neg = t.text.startsWith('-');
  const body = t.text.replace(/^[+-]/, '');
  const v = BigInt(body);
  return neg ? -v : v;
}

function isHex(t: Tok): boolean {
  return /^[+-]?0[xX]/.test(t.text);
}

/** A 32-bit immediate: decimal must be a signed int32; hex may also use the unsigned range. */
function imm32(t: Tok): number {
  const v = parseNumber(t);
  const max = isHex(t) ? 0xffff_ffffn : 0x7fff_ffffn;
  if (v < -0x8000_0000n || v > max) throw new BpfAsmError(`immediate ${t.text} does not fit the 32-bit field`, t.line, t.col, t.text);
  return Number(BigInt.asIntN(32, v));
}

function imm64(t: Tok): bigint {
  const v = parseNumber(t);
  if (v < -(1n << 63n) || v > (1n << 64n) - 1n) throw new BpfAsmError(`immediate ${t.text} does not fit 64 bits`, t.line, t.col, t.text);
  return BigInt.asUintN(64, v);
}
