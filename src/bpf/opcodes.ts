/**
 * BPF opcode fields (RFC 9669, section 3 "Instruction encoding" and section 4/5).
 * The 8-bit opcode is split into a 3-bit class (low bits) and class-specific fields.
 */

export const BpfClass = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;
export type BpfClass = (typeof BpfClass)[keyof typeof BpfClass];

/** Size field of load/store opcodes (RFC 9669 section 5.1). */
export const BpfSize = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export type BpfSize = (typeof BpfSize)[keyof typeof BpfSize];

/** Mode field of load/store opcodes (RFC 9669 section 5.1). */
export const BpfMode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;
export type BpfMode = (typeof BpfMode)[keyof typeof BpfMode];

/** Source bit of ALU/JMP opcodes: K = use imm, X = use src register. For END, TO_LE/TO_BE. */
export const BpfSource = { K: 0x00, X: 0x08 } as const;

/** ALU/ALU64 operation codes (RFC 9669 section 4.1). */
export const BpfAluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;
export type BpfAluOp = (typeof BpfAluOp)[keyof typeof BpfAluOp];

/** JMP/JMP32 operation codes (RFC 9669 section 4.3). */
export const BpfJmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;
export type BpfJmpOp = (typeof BpfJmpOp)[keyof typeof BpfJmpOp];

/** The condition that holds when `if a OP b` is not taken (JSET has none among BPF's ops). */
export const NEGATED_JMP: Readonly<Record<number, number>> = {
  [BpfJmpOp.JEQ]: BpfJmpOp.JNE,
  [BpfJmpOp.JNE]: BpfJmpOp.JEQ,
  [BpfJmpOp.JGT]: BpfJmpOp.JLE,
  [BpfJmpOp.JLE]: BpfJmpOp.JGT,
  [BpfJmpOp.JGE]: BpfJmpOp.JLT,
  [BpfJmpOp.JLT]: BpfJmpOp.JGE,
  [BpfJmpOp.JSGT]: BpfJmpOp.JSLE,
  [BpfJmpOp.JSLE]: BpfJmpOp.JSGT,
  [BpfJmpOp.JSGE]: BpfJmpOp.JSLT,
  [BpfJmpOp.JSLT]: BpfJmpOp.JSGE,
};

/** `a OP b` is `b SWAPPED(OP) a`. */
export const SWAPPED_JMP: Readonly<Record<number, number>> = {
  [BpfJmpOp.JEQ]: BpfJmpOp.JEQ,
  [BpfJmpOp.JNE]: BpfJmpOp.JNE,
  [BpfJmpOp.JGT]: BpfJmpOp.JLT,
  [BpfJmpOp.JLT]: BpfJmpOp.JGT,
  [BpfJmpOp.JGE]: BpfJmpOp.JLE,
  [BpfJmpOp.JLE]: BpfJmpOp.JGE,
  [BpfJmpOp.JSGT]: BpfJmpOp.JSLT,
  [BpfJmpOp.JSLT]: BpfJmpOp.JSGT,
  [BpfJmpOp.JSGE]: BpfJmpOp.JSLE,
  [BpfJmpOp.JSLE]: BpfJmpOp.JSGE,
  [BpfJmpOp.JSET]: BpfJmpOp.JSET,
};

/** Atomic operations, carried in imm of STX|ATOMIC (RFC 9669 section 5.3). */
export const BpfAtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
  /** Linux extension (cpu v4 era): load-acquire / store-release, imm 0x100 / 0x110. */
  LOAD_ACQ: 0x100,
  STORE_REL: 0x110,
} as const;

/** src field values of CALL (RFC 9669 section 4.3.1 and Linux extensions). */
export const BpfCallSrc = {
  /** helper function by static id */
  HELPER: 0,
  /** BPF-to-BPF call, imm = pc-relative offset */
  LOCAL: 1,
  /** call to a native (kernel) function by BTF id / symbol */
  KFUNC: 2,
} as const;

/** src field values of LDDW (RFC 9669 section 5.4, "64-bit immediate instructions"). */
export const BpfPseudo = {
  IMM64: 0,
  MAP_FD: 1,
  MAP_IDX_VALUE: 6,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
} as const;

/** BPF registers. R10 is the read-only frame pointer; R11 is the stack-argument base (Linux 2026). */
export const BPF_REG_FP = 10;
export const BPF_REG_PARAMS = 11;
export const BPF_MAX_REG = 11;

export const bpfClass = (code: number): BpfClass => (code & 0x07) as BpfClass;
export const bpfSize = (code: number): BpfSize => (code & 0x18) as BpfSize;
export const bpfMode = (code: number): BpfMode => (code & 0xe0) as BpfMode;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrcBit = (code: number): number => code & 0x08;

/** Bytes accessed by a load/store of the given size field. */
export function sizeBytes(size: BpfSize): 1 | 2 | 4 | 8 {
  switch (size) {
    case BpfSize.B:
      return 1;
    case BpfSize.H:
      return 2;
    case BpfSize.W:
      return 4;
    case BpfSize.DW:
      return 8;
  }
}

/** The LDDW opcode (LD | IMM | DW): the only instruction that takes two 8-byte slots. */
export const OP_LDDW = BpfClass.LD | BpfMode.IMM | BpfSize.DW;
