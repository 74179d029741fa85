import type { BpfInsn } from './instruction.js';
import {
  BPF_REG_PARAMS,
  BpfAluOp,
  BpfAtomicOp,
  BpfClass,
  BpfJmpOp,
  BpfMode,
  BpfSize,
  BpfSource,
  bpfClass,
  bpfSize,
  bpfSrcBit,
  sizeBytes,
} from './opcodes.js';

/**
 * One descriptor per valid opcode byte, shared by the assembler, validator, interpreter,
 * disassemblers and the JIT. The opcode byte alone fixes the instruction's shape; a few
 * instructions are refined further by off/imm/src (MOVSX, SDIV/SMOD, call kinds, atomic op),
 * which `fieldRules` describes and `insnKind` resolves.
 */

/** How an instruction uses its fields (RFC 9669 sections 4 and 5). */
export type InsnForm =
  /** ALU/ALU64 binary operation `dst op= src|imm` (includes MOV, MOVSX, SDIV, SMOD) */
  | 'alu'
  /** ALU/ALU64 NEG: `dst = -dst` */
  | 'neg'
  /** byte order: ALU|END|TO_LE, ALU|END|TO_BE, ALU64|END (unconditional bswap) */
  | 'end'
  /** JMP|JA (offset in off) and JMP32|JA (`gotol`, offset in imm) */
  | 'ja'
  /** conditional jumps, JMP and JMP32 */
  | 'jcond'
  /** JMP|CALL|K: helper (src 0), local (src 1) or native function (src 2) */
  | 'call'
  /** JMP|CALL|X: call through a register (register number in dst) */
  | 'callx'
  | 'exit'
  /** LD|IMM|DW, two slots */
  | 'lddw'
  /** legacy packet access LD|ABS and LD|IND (RFC 9669 section 5.5); lowered to plain BPF by src/bpf/fixups for socket-buffer program types */
  | 'ld-legacy'
  /** LDX|MEM */
  | 'ldx'
  /** LDX|MEMSX: sign-extending load */
  | 'ldxsx'
  /** ST|MEM: store immediate */
  | 'st'
  /** STX|MEM: store register */
  | 'stx'
  /** STX|ATOMIC: operation in imm */
  | 'atomic';

/**
 * What a field may hold. `reg`: a register number 0-10 (R11 is allowed only where the
 * validator's stack-argument rules say so). A list: exactly one of those values.
 */
export type FieldRule = 'zero' | 'any' | 'reg' | readonly number[];

export interface OpcodeInfo {
  readonly code: number;
  readonly form: InsnForm;
  readonly cls: BpfClass;
  /** base uBPF-style mnemonic, e.g. `add`, `add32`, `ldxw`, `jeq32`, `lock` */
  readonly mnemonic: string;
  readonly dst: FieldRule;
  readonly src: FieldRule;
  readonly off: FieldRule;
  readonly imm: FieldRule;
  /** bytes accessed by loads/stores/atomics */
  readonly size?: 1 | 2 | 4 | 8;
  /** ALU/JMP operation code (the op nibble), when the class has one */
  readonly op?: number;
  /** 32 for ALU and JMP32 (operands truncated to 32 bits), 64 otherwise */
  readonly width: 32 | 64;
  /** ALU/JMP source bit set: the second operand is the src register */
  readonly usesSrcReg: boolean;
}

export const ALU_OP_NAMES: Readonly<Record<number, string>> = {
  [BpfAluOp.ADD]: 'add',
  [BpfAluOp.SUB]: 'sub',
  [BpfAluOp.MUL]: 'mul',
  [BpfAluOp.DIV]: 'div',
  [BpfAluOp.OR]: 'or',
  [BpfAluOp.AND]: 'and',
  [BpfAluOp.LSH]: 'lsh',
  [BpfAluOp.RSH]: 'rsh',
  [BpfAluOp.NEG]: 'neg',
  [BpfAluOp.MOD]: 'mod',
  [BpfAluOp.XOR]: 'xor',
  [BpfAluOp.MOV]: 'mov',
  [BpfAluOp.ARSH]: 'arsh',
  [BpfAluOp.END]: 'end',
};

export const JMP_OP_NAMES: Readonly<Record<number, string>> = {
  [BpfJmpOp.JA]: 'ja',
  [BpfJmpOp.JEQ]: 'jeq',
  [BpfJmpOp.JGT]: 'jgt',
  [BpfJmpOp.JGE]: 'jge',
  [BpfJmpOp.JSET]: 'jset',
  [BpfJmpOp.JNE]: 'jne',
  [BpfJmpOp.JSGT]: 'jsgt',
  [BpfJmpOp.JSGE]: 'jsge',
  [BpfJmpOp.CALL]: 'call',
  [BpfJmpOp.EXIT]: 'exit',
  [BpfJmpOp.JLT]: 'jlt',
  [BpfJmpOp.JLE]: 'jle',
  [BpfJmpOp.JSLT]: 'jslt',
  [BpfJmpOp.JSLE]: 'jsle',
};

const SIZE_SUFFIX: Readonly<Record<number, string>> = {
  [BpfSize.B]: 'b',
  [BpfSize.H]: 'h',
  [BpfSize.W]: 'w',
  [BpfSize.DW]: 'dw',
};

/** imm values of STX|ATOMIC for W and DW (RFC 9669 section 5.3) plus the Linux acquire/release. */
export const ATOMIC_IMMS_WIDE: readonly number[] = [
  BpfAtomicOp.ADD,
  BpfAtomicOp.ADD | BpfAtomicOp.FETCH,
  BpfAtomicOp.OR,
  BpfAtomicOp.OR | BpfAtomicOp.FETCH,
  BpfAtomicOp.AND,
  BpfAtomicOp.AND | BpfAtomicOp.FETCH,
  BpfAtomicOp.XOR,
  BpfAtomicOp.XOR | BpfAtomicOp.FETCH,
  BpfAtomicOp.XCHG,
  BpfAtomicOp.CMPXCHG,
  BpfAtomicOp.LOAD_ACQ,
  BpfAtomicOp.STORE_REL,
];
/** Byte and half-word atomics exist only as load-acquire / store-release (Linux). */
export const ATOMIC_IMMS_NARROW: readonly number[] = [BpfAtomicOp.LOAD_ACQ, BpfAtomicOp.STORE_REL];

function buildTable(): Map<number, OpcodeInfo> {
  const t = new Map<number, OpcodeInfo>();
  const add = (info: Omit<OpcodeInfo, 'cls'>): void => {
    t.set(info.code, { ...info, cls: bpfClass(info.code) });
  };

  // ALU and ALU64 (RFC 9669 section 4.1).
  for (const cls of [BpfClass.ALU, BpfClass.ALU64] as const) {
    const width = cls === BpfClass.ALU ? 32 : 64;
    const suffix = width === 32 ? '32' : '';
    for (const [opText, name] of Object.entries(ALU_OP_NAMES)) {
      const op = Number(opText);
      if (op === BpfAluOp.END) continue;
      if (op === BpfAluOp.NEG) {
        // NEG has no source operand: only the K encoding exists, and imm is unused.
        add({ code: cls | op, form: 'neg', mnemonic: `neg${suffix}`, dst: 'reg', src: 'zero', off: 'zero', imm: 'zero', op, width, usesSrcReg: false });
        continue;
      }
      // off selects the signed variants: 1 for SDIV/SMOD, 8/16/32 for MOVSX (ALU: 8/16 only).
      const offK: FieldRule = op === BpfAluOp.DIV || op === BpfAluOp.MOD ? [0, 1] : 'zero';
      const offX: FieldRule =
        op === BpfAluOp.DIV || op === BpfAluOp.MOD ? [0, 1] : op === BpfAluOp.MOV ? (width === 64 ? [0, 8, 16, 32] : [0, 8, 16]) : 'zero';
      add({ code: cls | op | BpfSource.K, form: 'alu', mnemonic: `${name}${suffix}`, dst: 'reg', src: 'zero', off: offK, imm: 'any', op, width, usesSrcReg: false });
      add({ code: cls | op | BpfSource.X, form: 'alu', mnemonic: `${name}${suffix}`, dst: 'reg', src: 'reg', off: offX, imm: 'zero', op, width, usesSrcReg: true });
    }
  }
  const endImm = [16, 32, 64];
  add({ code: BpfClass.ALU | BpfAluOp.END | BpfSource.K, form: 'end', mnemonic: 'le', dst: 'reg', src: 'zero', off: 'zero', imm: endImm, op: BpfAluOp.END, width: 32, usesSrcReg: false });
  add({ code: BpfClass.ALU | BpfAluOp.END | BpfSource.X, form: 'end', mnemonic: 'be', dst: 'reg', src: 'zero', off: 'zero', imm: endImm, op: BpfAluOp.END, width: 32, usesSrcReg: false });
  // ALU64|END|TO_LE is the unconditional BSWAP (cpu v4); ALU64|END|TO_BE is reserved.
  add({ code: BpfClass.ALU64 | BpfAluOp.END | BpfSource.K, form: 'end', mnemonic: 'bswap', dst: 'reg', src: 'zero', off: 'zero', imm: endImm, op: BpfAluOp.END, width: 64, usesSrcReg: false });

  // JMP and JMP32 (RFC 9669 section 4.3).
  for (const cls of [BpfClass.JMP, BpfClass.JMP32] as const) {
    const width = cls === BpfClass.JMP32 ? 32 : 64;
    const suffix = width === 32 ? '32' : '';
    for (const [opText, name] of Object.entries(JMP_OP_NAMES)) {
      const op = Number(opText);
      if (op === BpfJmpOp.JA) {
        // JMP|JA: offset in off. JMP32|JA ("gotol"): offset in imm, off unused.
        add(
          cls === BpfClass.JMP
            ? { code: cls | op, form: 'ja', mnemonic: 'ja', dst: 'zero', src: 'zero', off: 'any', imm: 'zero', op, width, usesSrcReg: false }
            : { code: cls | op, form: 'ja', mnemonic: 'ja32', dst: 'zero', src: 'zero', off: 'zero', imm: 'any', op, width, usesSrcReg: false },
        );
        continue;
      }
      if (op === BpfJmpOp.CALL || op === BpfJmpOp.EXIT) {
        if (cls !== BpfClass.JMP) continue;
        if (op === BpfJmpOp.EXIT) {
          add({ code: cls | op, form: 'exit', mnemonic: 'exit', dst: 'zero', src: 'zero', off: 'zero', imm: 'zero', op, width, usesSrcReg: false });
        } else {
          add({ code: cls | op | BpfSource.K, form: 'call', mnemonic: 'call', dst: 'zero', src: [0, 1, 2], off: 'zero', imm: 'any', op, width, usesSrcReg: false });
          add({ code: cls | op | BpfSource.X, form: 'callx', mnemonic: 'callx', dst: 'reg', src: 'zero', off: 'zero', imm: 'zero', op, width, usesSrcReg: true });
        }
        continue;
      }
      add({ code: cls | op | BpfSource.K, form: 'jcond', mnemonic: `${name}${suffix}`, dst: 'reg', src: 'zero', off: 'any', imm: 'any', op, width, usesSrcReg: false });
      add({ code: cls | op | BpfSource.X, form: 'jcond', mnemonic: `${name}${suffix}`, dst: 'reg', src: 'reg', off: 'any', imm: 'zero', op, width, usesSrcReg: true });
    }
  }

  // Loads and stores (RFC 9669 section 5).
  for (const size of [BpfSize.B, BpfSize.H, BpfSize.W, BpfSize.DW] as const) {
    const bytes = sizeBytes(size);
    const sfx = SIZE_SUFFIX[size];
    add({ code: BpfClass.LDX | BpfMode.MEM | size, form: 'ldx', mnemonic: `ldx${sfx}`, dst: 'reg', src: 'reg', off: 'any', imm: 'zero', size: bytes, width: 64, usesSrcReg: true });
    if (size !== BpfSize.DW) {
      add({ code: BpfClass.LDX | BpfMode.MEMSX | size, form: 'ldxsx', mnemonic: `ldxs${sfx}`, dst: 'reg', src: 'reg', off: 'any', imm: 'zero', size: bytes, width: 64, usesSrcReg: true });
      add({ code: BpfClass.LD | BpfMode.ABS | size, form: 'ld-legacy', mnemonic: `ldabs${sfx}`, dst: 'zero', src: 'zero', off: 'zero', imm: 'any', size: bytes, width: 64, usesSrcReg: false });
      add({ code: BpfClass.LD | BpfMode.IND | size, form: 'ld-legacy', mnemonic: `ldind${sfx}`, dst: 'zero', src: 'reg', off: 'zero', imm: 'any', size: bytes, width: 64, usesSrcReg: true });
    }
    add({ code: BpfClass.ST | BpfMode.MEM | size, form: 'st', mnemonic: `st${sfx}`, dst: 'reg', src: 'zero', off: 'any', imm: 'any', size: bytes, width: 64, usesSrcReg: false });
    add({ code: BpfClass.STX | BpfMode.MEM | size, form: 'stx', mnemonic: `stx${sfx}`, dst: 'reg', src: 'reg', off: 'any', imm: 'zero', size: bytes, width: 64, usesSrcReg: true });
    const imms = size === BpfSize.W || size === BpfSize.DW ? ATOMIC_IMMS_WIDE : ATOMIC_IMMS_NARROW;
    add({ code: BpfClass.STX | BpfMode.ATOMIC | size, form: 'atomic', mnemonic: 'lock', dst: 'reg', src: 'reg', off: 'any', imm: imms, size: bytes, width: 64, usesSrcReg: true });
  }
  // LDDW: src selects the pseudo form (0 plain constant, 1 map fd, 2 map value, 3 BTF id,
  // 4 function address, 5 map index, 6 map index value).
  add({ code: BpfClass.LD | BpfMode.IMM | BpfSize.DW, form: 'lddw', mnemonic: 'lddw', dst: 'reg', src: [0, 1, 2, 3, 4, 5, 6], off: 'zero', imm: 'any', size: 8, width: 64, usesSrcReg: false });
  return t;
}

const TABLE = buildTable();
/** The table by opcode byte, for the lookups every instruction of every compile makes. */
const BY_CODE: readonly (OpcodeInfo | undefined)[] = Array.from({ length: 256 }, (_, code) => TABLE.get(code));

/** Every valid opcode byte and its descriptor. */
export const OPCODE_TABLE: ReadonlyMap<number, OpcodeInfo> = TABLE;

/** Descriptor of an opcode byte, or undefined when the byte is not a valid opcode. */
export function opcodeInfo(code: number): OpcodeInfo | undefined {
  return BY_CODE[code];
}

export function fieldAllows(rule: FieldRule, value: number): boolean {
  if (rule === 'any') return true;
  if (rule === 'zero') return value === 0;
  if (rule === 'reg') return value >= 0 && value <= 10;
  return rule.includes(value);
}

/** Semantic refinement of one instruction: what the interpreter/JIT must do. */
export type InsnKind =
  | { kind: 'alu'; width: 32 | 64; op: number; source: 'imm' | 'reg'; signed: boolean; movsx: 0 | 8 | 16 | 32 }
  | { kind: 'neg'; width: 32 | 64 }
  | { kind: 'end'; bits: 16 | 32 | 64; order: 'le' | 'be' | 'swap' }
  | { kind: 'ja'; offset: number }
  | { kind: 'jcond'; width: 32 | 64; op: number; source: 'imm' | 'reg' }
  | { kind: 'call-helper'; id: number }
  | { kind: 'call-local'; offset: number }
  | { kind: 'call-native'; id: number }
  | { kind: 'callx'; reg: number }
  | { kind: 'exit' }
  | { kind: 'lddw'; pseudo: number }
  | { kind: 'ld-legacy'; size: 1 | 2 | 4 | 8; indirect: boolean }
  | { kind: 'load'; size: 1 | 2 | 4 | 8; signed: boolean; stackArg: boolean }
  | { kind: 'store'; size: 1 | 2 | 4 | 8; source: 'imm' | 'reg'; stackArg: boolean }
  | { kind: 'atomic'; size: 1 | 2 | 4 | 8; op: number; fetch: boolean }
  | { kind: 'load-acquire'; size: 1 | 2 | 4 | 8 }
  | { kind: 'store-release'; size: 1 | 2 | 4 | 8 };

/**
 * Classify a (structurally valid) instruction. Returns undefined for an unknown opcode byte;
 * reserved-field checks are the validator's job, not this function's.
 */
export function insnKind(insn: BpfInsn): InsnKind | undefined {
  const info = BY_CODE[insn.code];
  if (!info) return undefined;
  const size = info.size ?? 8;
  switch (info.form) {
    case 'alu': {
      const op = info.op ?? 0;
      const signed = (op === BpfAluOp.DIV || op === BpfAluOp.MOD) && insn.off === 1;
      const movsx = op === BpfAluOp.MOV && info.usesSrcReg && (insn.off === 8 || insn.off === 16 || insn.off === 32) ? insn.off : 0;
      return { kind: 'alu', width: info.width, op, source: info.usesSrcReg ? 'reg' : 'imm', signed, movsx };
    }
    case 'neg':
      return { kind: 'neg', width: info.width };
    case 'end': {
      const bits = insn.imm === 16 || insn.imm === 32 ? insn.imm : 64;
      const order = info.cls === BpfClass.ALU64 ? 'swap' : bpfSrcBit(insn.code) ? 'be' : 'le';
      return { kind: 'end', bits, order };
    }
    case 'ja':
      return { kind: 'ja', offset: info.cls === BpfClass.JMP32 ? insn.imm : insn.off };
    case 'jcond':
      return { kind: 'jcond', width: info.width, op: info.op ?? 0, source: info.usesSrcReg ? 'reg' : 'imm' };
    case 'call':
      if (insn.src === 1) return { kind: 'call-local', offset: insn.imm };
      if (insn.src === 2) return { kind: 'call-native', id: insn.imm };
      return { kind: 'call-helper', id: insn.imm };
    case 'callx':
      return { kind: 'callx', reg: insn.dst };
    case 'exit':
      return { kind: 'exit' };
    case 'lddw':
      return { kind: 'lddw', pseudo: insn.src };
    case 'ld-legacy':
      return { kind: 'ld-legacy', size, indirect: (insn.code & 0xe0) === BpfMode.IND };
    case 'ldx':
    case 'ldxsx':
      return { kind: 'load', size, signed: info.form === 'ldxsx', stackArg: insn.src === BPF_REG_PARAMS };
    case 'st':
    case 'stx':
      return { kind: 'store', size, source: info.form === 'st' ? 'imm' : 'reg', stackArg: insn.dst === BPF_REG_PARAMS };
    case 'atomic':
      if (insn.imm === BpfAtomicOp.LOAD_ACQ) return { kind: 'load-acquire', size };
      if (insn.imm === BpfAtomicOp.STORE_REL) return { kind: 'store-release', size };
      return { kind: 'atomic', size, op: insn.imm & 0xf0, fetch: (insn.imm & BpfAtomicOp.FETCH) !== 0 };
  }
}

/** Size in bytes of a load/store opcode, from its size field. */
export function accessSize(code: number): 1 | 2 | 4 | 8 {
  return sizeBytes(bpfSize(code));
}

/** True for every instruction that can transfer control other than falling through. */
export function isJump(insn: BpfInsn): boolean {
  const info = BY_CODE[insn.code];
  return info !== undefined && (info.form === 'ja' || info.form === 'jcond');
}

/** Target slot of a jump at `pc` (for JA, JMP32|JA and conditional jumps). */
export function jumpTarget(insn: BpfInsn, pc: number): number {
  const info = BY_CODE[insn.code];
  if (info?.form === 'ja' && info.cls === BpfClass.JMP32) return pc + 1 + insn.imm;
  return pc + 1 + insn.off;
}

/** Target slot of a local call (src 1) or LDDW function-address pseudo (src 4) at `pc`. */
export function callTarget(insn: BpfInsn, pc: number): number {
  return pc + 1 + insn.imm;
}

