import type { BpfInsn } from './instruction.js';
import { lexLine, type Token } from './llvm-lexer.js';
import {
  BpfAluOp,
  BpfAtomicOp,
  BpfCallSrc,
  BpfClass,
  BpfJmpOp,
  BpfMode,
  BpfPseudo,
  BpfSize,
  BpfSource,
  OP_LDDW,
} from './opcodes.js';

/**
 * The LLVM/kernel BPF syntax as a table of instruction forms. Each form is one spelling
 * (a template such as `%rd = *(u64 *)(%rs %off)`) tied to one opcode and to the values of the
 * fields the spelling does not show. The assembler matches source tokens against the
 * templates and the disassembler fills them in, so the two directions cannot drift apart.
 *
 * Operand placeholders (the field they carry in brackets):
 *   %rd %wd %xd   dst register written rN, wN, or either (printed per the alu32 option) [dst]
 *   %rs %ws %xs   the same for the src register                                        [src]
 *   %off          memory displacement, "+ 0x8" / "- 0x8"                               [off]
 *   %imm          32-bit immediate, signed hex                                         [imm]
 *   %joff         jump target in slots relative to the next slot, "+0x3" or a label    [off]
 *   %jimm         the same with a 32-bit range (gotol)                                 [imm]
 *   %pcrel        BPF-to-BPF call / callback target, "pc+0x3" or a label               [imm]
 *   %imm64        the 64-bit LDDW constant                                  [imm, next imm]
 *   %imm2         the second LDDW slot's imm (map value offset)                   [next imm]
 *   %asd %ass     addr_space_cast address spaces, imm = dst_as << 16 | src_as          [imm]
 * A placeholder may appear twice (`%rd = -%rd`); both occurrences carry the same field, so the
 * assembler requires the same register in both places.
 */

export type OperandKind =
  | 'rd' | 'wd' | 'xd' | 'rs' | 'ws' | 'xs'
  | 'off' | 'imm' | 'joff' | 'jimm' | 'pcrel' | 'imm64' | 'imm2' | 'asd' | 'ass';

export type TemplatePiece =
  | { readonly lit: Token }
  | { readonly op: OperandKind };

export interface FixedFields {
  readonly dst?: number;
  readonly src?: number;
  readonly off?: number;
  readonly imm?: number;
}

export interface LlvmForm {
  readonly code: number;
  /** field values implied by the spelling; every other field not carried by an operand is 0 */
  readonly fixed: FixedFields;
  /** LDDW: the form covers two slots */
  readonly wide: boolean;
  readonly template: string;
  readonly pieces: readonly TemplatePiece[];
  /** true when llvm-mc-22 knows this spelling (false for the project's extensions) */
  readonly llvm: boolean;
  /** fields (of the first slot) carried by operands */
  readonly operandFields: ReadonlySet<'dst' | 'src' | 'off' | 'imm'>;
}

const OPERAND_FIELD: Record<OperandKind, 'dst' | 'src' | 'off' | 'imm' | 'next'> = {
  rd: 'dst', wd: 'dst', xd: 'dst', rs: 'src', ws: 'src', xs: 'src',
  off: 'off', imm: 'imm', joff: 'off', jimm: 'imm', pcrel: 'imm', imm64: 'imm', imm2: 'next',
  asd: 'imm', ass: 'imm',
};

function form(code: number, template: string, fixed: FixedFields = {}, llvm = true): LlvmForm {
  const pieces: TemplatePiece[] = [];
  const operandFields = new Set<'dst' | 'src' | 'off' | 'imm'>();
  for (const part of template.split(/(%[a-z0-9]+)/)) {
    if (part.startsWith('%')) {
      const op = part.slice(1) as OperandKind;
      if (!(op in OPERAND_FIELD)) throw new Error(`bad template placeholder ${part} in '${template}'`);
      pieces.push({ op });
      const field = OPERAND_FIELD[op];
      if (field !== 'next') operandFields.add(field);
    } else if (part !== '') {
      for (const lit of lexLine(part, 0)) pieces.push({ lit });
    }
  }
  return { code, fixed, wide: code === OP_LDDW, template, pieces, llvm, operandFields };
}

const { ALU, ALU64, JMP, JMP32, LD, LDX, ST, STX } = BpfClass;
const { K, X } = BpfSource;

/** Two-address ALU operators (RFC 9669 section 4.1), as LLVM spells them. */
const ALU_OPS: readonly (readonly [string, number])[] = [
  ['+=', BpfAluOp.ADD], ['-=', BpfAluOp.SUB], ['*=', BpfAluOp.MUL], ['/=', BpfAluOp.DIV],
  ['|=', BpfAluOp.OR], ['&=', BpfAluOp.AND], ['<<=', BpfAluOp.LSH], ['>>=', BpfAluOp.RSH],
  ['%=', BpfAluOp.MOD], ['^=', BpfAluOp.XOR], ['=', BpfAluOp.MOV], ['s>>=', BpfAluOp.ARSH],
];

/** Conditional jumps (RFC 9669 section 4.3). */
const JMP_OPS: readonly (readonly [string, number])[] = [
  ['==', BpfJmpOp.JEQ], ['>', BpfJmpOp.JGT], ['>=', BpfJmpOp.JGE], ['&', BpfJmpOp.JSET],
  ['!=', BpfJmpOp.JNE], ['s>', BpfJmpOp.JSGT], ['s>=', BpfJmpOp.JSGE], ['<', BpfJmpOp.JLT],
  ['<=', BpfJmpOp.JLE], ['s<', BpfJmpOp.JSLT], ['s<=', BpfJmpOp.JSLE],
];

const SIZES: readonly (readonly [string, number])[] = [
  ['8', BpfSize.B], ['16', BpfSize.H], ['32', BpfSize.W], ['64', BpfSize.DW],
];

/** Atomic read-modify-write operations carried in imm (RFC 9669 section 5.3). */
const ATOMIC_RMW: readonly (readonly [string, string, number])[] = [
  ['+=', 'add', BpfAtomicOp.ADD], ['|=', 'or', BpfAtomicOp.OR],
  ['&=', 'and', BpfAtomicOp.AND], ['^=', 'xor', BpfAtomicOp.XOR],
];

/** JCOND (0xe0), a Linux extension: `may_goto` (src 0). */
const JCOND = 0xe0;
/** CALLX: call through a register (Linux extension, JMP | CALL | X). */
const CALLX = JMP | BpfJmpOp.CALL | X;

function buildForms(): LlvmForm[] {
  const f: LlvmForm[] = [];

  // ALU and ALU64 (RFC 9669 section 4.1).
  for (const [cls, r] of [[ALU64, 'r'], [ALU, 'w']] as const) {
    for (const [sym, op] of ALU_OPS) {
      f.push(form(cls | op | K, `%${r}d ${sym} %imm`));
      f.push(form(cls | op | X, `%${r}d ${sym} %${r}s`));
    }
    // Signed division and modulo: DIV/MOD with off = 1 (RFC 9669 section 4.1).
    f.push(form(cls | BpfAluOp.DIV | K, `%${r}d s/= %imm`, { off: 1 }));
    f.push(form(cls | BpfAluOp.DIV | X, `%${r}d s/= %${r}s`, { off: 1 }));
    f.push(form(cls | BpfAluOp.MOD | K, `%${r}d s%= %imm`, { off: 1 }));
    f.push(form(cls | BpfAluOp.MOD | X, `%${r}d s%= %${r}s`, { off: 1 }));
    f.push(form(cls | BpfAluOp.NEG | K, `%${r}d = -%${r}d`));
  }
  // MOVSX: MOV | X with off = 8/16/32 giving the source width (RFC 9669 section 4.1).
  for (const bits of [8, 16, 32]) f.push(form(ALU64 | BpfAluOp.MOV | X, `%rd = (s${bits})%rs`, { off: bits }));
  for (const bits of [8, 16]) f.push(form(ALU | BpfAluOp.MOV | X, `%wd = (s${bits})%ws`, { off: bits }));
  // Arena pointer cast (Linux extension): ALU64 MOV X with off = 1.
  f.push(form(ALU64 | BpfAluOp.MOV | X, '%rd = addr_space_cast(%rs, %asd, %ass)', { off: 1 }));
  // Byte swaps (RFC 9669 section 4.2): ALU|END|K = to little endian, ALU|END|X = to big
  // endian, ALU64|END|K = unconditional swap; imm is the width.
  for (const bits of [16, 32, 64]) {
    f.push(form(ALU | BpfAluOp.END | K, `%rd = le${bits} %rd`, { imm: bits }));
    f.push(form(ALU | BpfAluOp.END | X, `%rd = be${bits} %rd`, { imm: bits }));
    f.push(form(ALU64 | BpfAluOp.END | K, `%rd = bswap${bits} %rd`, { imm: bits }));
  }

  // JMP and JMP32 (RFC 9669 section 4.3).
  for (const [cls, r] of [[JMP, 'r'], [JMP32, 'w']] as const) {
    for (const [sym, op] of JMP_OPS) {
      f.push(form(cls | op | K, `if %${r}d ${sym} %imm goto %joff`));
      f.push(form(cls | op | X, `if %${r}d ${sym} %${r}s goto %joff`));
    }
  }
  f.push(form(JMP | BpfJmpOp.JA, 'goto %joff'));
  f.push(form(JMP32 | BpfJmpOp.JA, 'gotol %jimm'));
  f.push(form(JMP | JCOND, 'may_goto %joff'));
  f.push(form(JMP | BpfJmpOp.CALL, 'call %imm', { src: BpfCallSrc.HELPER }));
  // llvm-mc writes a local call only as `call label`; `pc+N` is the kernel's spelling.
  f.push(form(JMP | BpfJmpOp.CALL, 'call %pcrel', { src: BpfCallSrc.LOCAL }, false));
  f.push(form(JMP | BpfJmpOp.CALL, 'call kfunc(%imm)', { src: BpfCallSrc.KFUNC }, false));
  f.push(form(CALLX, 'callx %rd'));
  f.push(form(JMP | BpfJmpOp.EXIT, 'exit'));

  // 64-bit immediate loads (RFC 9669 section 5.4). Only src 0 is LLVM syntax; the pseudo
  // forms are how the kernel/libbpf ABI refers to maps and functions before loading.
  f.push(form(OP_LDDW, '%rd = %imm64 ll', { src: BpfPseudo.IMM64 }));
  f.push(form(OP_LDDW, '%rd = map_fd(%imm) ll', { src: BpfPseudo.MAP_FD }, false));
  f.push(form(OP_LDDW, '%rd = map_value(%imm, %imm2) ll', { src: BpfPseudo.MAP_VALUE }, false));
  f.push(form(OP_LDDW, '%rd = btf_id(%imm) ll', { src: BpfPseudo.BTF_ID }, false));
  f.push(form(OP_LDDW, '%rd = func(%pcrel) ll', { src: BpfPseudo.FUNC }, false));
  f.push(form(OP_LDDW, '%rd = map_idx(%imm) ll', { src: BpfPseudo.MAP_IDX }, false));
  f.push(form(OP_LDDW, '%rd = map_idx_value(%imm, %imm2) ll', { src: BpfPseudo.MAP_IDX_VALUE }, false));

  // Legacy packet access (RFC 9669 section 5.5): result always in r0.
  for (const [bits, size] of SIZES) {
    if (size === BpfSize.DW) continue;
    f.push(form(LD | BpfMode.ABS | size, `r0 = *(u${bits} *)skb[%imm]`));
    f.push(form(LD | BpfMode.IND | size, `r0 = *(u${bits} *)skb[%rs]`));
  }

  // Regular and sign-extending loads and stores (RFC 9669 section 5.1, 5.2).
  for (const [bits, size] of SIZES) {
    const wide = size === BpfSize.DW;
    f.push(form(LDX | BpfMode.MEM | size, `%${wide ? 'r' : 'x'}d = *(u${bits} *)(%rs %off)`));
    if (!wide) f.push(form(LDX | BpfMode.MEMSX | size, `%rd = *(s${bits} *)(%rs %off)`));
    f.push(form(ST | BpfMode.MEM | size, `*(u${bits} *)(%rd %off) = %imm`));
    f.push(form(STX | BpfMode.MEM | size, `*(u${bits} *)(%rd %off) = %${wide ? 'r' : 'x'}s`));
  }

  // Atomics (RFC 9669 section 5.3): STX | ATOMIC, operation in imm.
  for (const [bits, size] of SIZES) {
    const code = STX | BpfMode.ATOMIC | size;
    const r = size === BpfSize.DW ? 'r' : 'w';
    if (size === BpfSize.W || size === BpfSize.DW) {
      for (const [sym, name, op] of ATOMIC_RMW) {
        // llvm-mc accepts rN or wN in the 32-bit lock form; it prints wN.
        f.push(form(code, `lock *(u${bits} *)(%rd %off) ${sym} %${size === BpfSize.W ? 'x' : 'r'}s`, { imm: op }));
        f.push(form(code, `%${r}s = atomic_fetch_${name}((u${bits} *)(%rd %off), %${r}s)`, { imm: op | BpfAtomicOp.FETCH }));
      }
      const sfx = size === BpfSize.W ? '32_32' : '_64';
      f.push(form(code, `%${r}s = xchg${sfx}(%rd %off, %${r}s)`, { imm: BpfAtomicOp.XCHG }));
      f.push(form(code, `${r}0 = cmpxchg${sfx}(%rd %off, ${r}0, %${r}s)`, { imm: BpfAtomicOp.CMPXCHG }));
    }
    // Load-acquire / store-release (Linux extension, imm 0x100 / 0x110): for them the
    // address is in src (load) or dst (store) exactly like LDX / STX.
    f.push(form(code, `%${r}d = load_acquire((u${bits} *)(%rs %off))`, { imm: BpfAtomicOp.LOAD_ACQ }));
    f.push(form(code, `store_release((u${bits} *)(%rd %off), %${r}s)`, { imm: BpfAtomicOp.STORE_REL }));
  }
  return f;
}

/** Every form, in table order. */
export const LLVM_FORMS: readonly LlvmForm[] = buildForms();

/** The slot a form fixes before its operands are filled in (opcode and fixed fields, else 0). */
export function formSkeleton(form: LlvmForm): BpfInsn {
  return {
    code: form.code,
    dst: form.fixed.dst ?? 0,
    src: form.fixed.src ?? 0,
    off: form.fixed.off ?? 0,
    imm: form.fixed.imm ?? 0,
  };
}

/** Forms by opcode, for the disassembler. */
export const FORMS_BY_CODE: ReadonlyMap<number, readonly LlvmForm[]> = (() => {
  const m = new Map<number, LlvmForm[]>();
  for (const x of LLVM_FORMS) {
    const list = m.get(x.code) ?? [];
    list.push(x);
    m.set(x.code, list);
  }
  return m;
})();

/** Forms by first literal token (or '' when the template starts with an operand), for the assembler. */
export const FORMS_BY_LEAD: ReadonlyMap<string, readonly LlvmForm[]> = (() => {
  const m = new Map<string, LlvmForm[]>();
  for (const x of LLVM_FORMS) {
    const first = x.pieces[0]!;
    const key = 'lit' in first ? first.lit.text : '';
    const list = m.get(key) ?? [];
    list.push(x);
    m.set(key, list);
  }
  return m;
})();
