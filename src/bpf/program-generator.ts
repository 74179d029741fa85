import type { BpfInsn } from './instruction.js';
import { ATOMIC_IMMS_WIDE, OPCODE_TABLE, opcodeInfo, type OpcodeInfo } from './insn-kind.js';
import { BPF_REG_FP, BPF_REG_PARAMS, BpfAluOp, BpfAtomicOp, BpfClass, BpfJmpOp, BpfMode, BpfSize, BpfSource, OP_LDDW } from './opcodes.js';
import { mapStatement, type FuzzMapSpec } from './program-generator-maps.js';

export type { FuzzMapSpec } from './program-generator-maps.js';

/**
 * Random *valid* BPF programs for differential testing (issue 5): one seed gives one program
 * and one initial context buffer, deterministically, so any failure is reproducible from its
 * seed alone on any host.
 *
 * "Valid" is stronger than passing `validateProgram`: the program must behave the same in any
 * correct implementation, whatever addresses the buffer and stack live at. So the generator
 * tracks what every register holds (a scalar, a pointer into the buffer or the stack window
 * with known bounds, a function address, or nothing readable) and only emits:
 * - reads of registers that hold a defined scalar (never R1-R5 after a call, never R0 at a
 *   callee's entry: the kernel treats those as unreadable, and the JIT clobbers them);
 * - memory accesses through pointers whose every possible address is inside the buffer or the
 *   function's initialised stack window, naturally aligned for atomics and acquire/release;
 * - pointer arithmetic only in forms whose result stays a pointer (64-bit add/sub, never a
 *   32-bit move that would truncate an address), and no pointer ever flows into a value that
 *   is compared, stored or returned;
 * - loops bounded by construction (a counter in a callee-saved register, at most a few
 *   iterations, never written by the body), an acyclic call graph, and a static worst-case
 *   instruction count per function so the whole run stays small.
 *
 * Every ALU, JMP, load, store and atomic form of the opcode table is produced (see
 * `generatorForms`), bpf-to-bpf calls with 1 to 12 arguments (arguments 6-12 through R11), and
 * callx through `lddw rX, <function>`. Nothing here knows about any machine.
 */

/** Size of the context buffer the programs get in R1 (R2 = this length). */
export const FUZZ_MEM_SIZE = 8192;
/** Where the entry function's epilogue dumps R0-R8 (9 words) and its stack window (8 words). */
export const FUZZ_DUMP_OFFSET = FUZZ_MEM_SIZE - 256;
/** Bytes of each function's stack frame the program initialises and then uses. */
const WINDOW = 64;
/** Largest product of the iteration counts of nested loops (including loops in callees). */
const MAX_LOOP_PRODUCT = 24;
/** Worst-case executed instructions of a whole program (static bound). */
const MAX_COST = 4_000;

export interface GeneratedProgram {
  readonly seed: number;
  readonly insns: BpfInsn[];
  /** initial contents of the context buffer (FUZZ_MEM_SIZE bytes) */
  readonly mem: Uint8Array;
  /** number of functions (1 = no subprograms) */
  readonly functions: number;
  /** static bound on the instructions one run executes */
  readonly maxCost: number;
  /** argument counts of the subprograms (each is called at least once) */
  readonly arities: number[];
}

export interface GeneratorOptions {
  /** average number of statements in the entry function (default 22) */
  readonly mainStatements?: number;
  /** most subprograms (default 4) */
  readonly maxFunctions?: number;
  /**
   * maps the programs look up, update and delete in (program-generator-maps.ts); without
   * them the generator draws exactly the same programs as before maps existed
   */
  readonly maps?: readonly FuzzMapSpec[];
  /** the share of statements that are map statements, when `maps` are given (default 0.2) */
  readonly mapStatementRate?: number;
}

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers: sfc32 seeded through splitmix32, so nearby seeds give unrelated
// streams and every host (Node on x86_64 or arm64) produces the same program for a seed.

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    // the high part of seeds beyond 2^32 still matters
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    this.#a = mix();
    this.#b = mix() ^ high;
    this.#c = mix();
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** 0 <= r < n (n <= 2^32) */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  /** lo <= r <= hi */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  i32(): number {
    return this.u32() | 0;
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

// ---------------------------------------------------------------------------------------------
// What a register holds, as far as the generator knows.

type Kind =
  | { readonly t: 'dead' }
  | { readonly t: 'scalar' }
  /**
   * base + [lo, hi] in steps of `align`. Bases: the buffer start ('mem'), this function's R10
   * ('stack'), the start of the caller's stack window, passed as argument 2 ('outer').
   */
  | { readonly t: 'ptr'; readonly region: 'mem' | 'stack' | 'outer'; readonly lo: number; readonly hi: number; readonly align: number }
  /** an `lddw rX, <function>` result, only good for callx */
  | { readonly t: 'func'; readonly fn: number };

const DEAD: Kind = { t: 'dead' };
const SCALAR: Kind = { t: 'scalar' };

function sameKind(a: Kind, b: Kind): boolean {
  if (a.t !== b.t) return false;
  if (a.t === 'ptr' && b.t === 'ptr') return a.region === b.region && a.lo === b.lo && a.hi === b.hi && a.align === b.align;
  if (a.t === 'func' && b.t === 'func') return a.fn === b.fn;
  return true;
}

interface State {
  kinds: Kind[];
  /** registers the current code must not write: R10, the buffer base R9, live loop counters */
  reserved: Set<number>;
}

const cloneState = (s: State): State => ({ kinds: [...s.kinds], reserved: new Set(s.reserved) });

/** Where two paths meet, a register keeps its kind only if both paths agree on it. */
function meet(a: State, b: State): State {
  return { kinds: a.kinds.map((k, r) => (sameKind(k, b.kinds[r] as Kind) ? k : DEAD)), reserved: new Set(a.reserved) };
}

// ---------------------------------------------------------------------------------------------
// Code with symbolic targets, resolved once all functions are laid out.

interface Item {
  insn: BpfInsn;
  /** jump to a label: off (or imm for gotol) is filled in at layout */
  label?: number;
  /** call local / lddw function address: imm is filled in at layout */
  fn?: number;
}
type Piece = Item | { bind: number };

interface FunctionPlan {
  readonly index: number;
  /** 0 for the entry function */
  readonly arity: number;
  /** argument 1 (R1) is a pointer to the start of the buffer (always true for the entry) */
  readonly memArg: boolean;
  /** offset of the initialised stack window from R10 */
  readonly window: number;
  /** may be reached by callx (needs <= 5 arguments: callbacks cannot read R11) */
  readonly callable: boolean;
  /** argument 2 (R2) points at the caller's stack window: this function reads and writes it */
  readonly outerArg: boolean;
  /**
   * For the optimizer's frame passes (issue 11): a leaf callee touches no stack and calls
   * nothing (it may run without a frame record); a function whose R10 never escapes (no
   * pointer into its frame is made) keeps spill slots, always accessed at one size, which a
   * JIT may hold in registers.
   */
  readonly leaf: boolean;
  readonly noEscape: boolean;
  /** spill slots (offset from R10, size) of a noEscape function, outside its window */
  readonly spills: readonly { readonly off: number; readonly size: 4 | 8 }[];
  cost: number;
  loopProduct: number;
  code: Piece[];
}

const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });

const ALU_BINARY = [
  BpfAluOp.ADD,
  BpfAluOp.SUB,
  BpfAluOp.MUL,
  BpfAluOp.DIV,
  BpfAluOp.OR,
  BpfAluOp.AND,
  BpfAluOp.LSH,
  BpfAluOp.RSH,
  BpfAluOp.MOD,
  BpfAluOp.XOR,
  BpfAluOp.MOV,
  BpfAluOp.ARSH,
] as const;
const CONDITIONS = [
  BpfJmpOp.JEQ,
  BpfJmpOp.JGT,
  BpfJmpOp.JGE,
  BpfJmpOp.JSET,
  BpfJmpOp.JNE,
  BpfJmpOp.JSGT,
  BpfJmpOp.JSGE,
  BpfJmpOp.JLT,
  BpfJmpOp.JLE,
  BpfJmpOp.JSLT,
  BpfJmpOp.JSLE,
] as const;
/** The read-modify-write atomics: the table's W/DW atomic imms minus load-acquire/store-release. */
const ATOMIC_RMW = ATOMIC_IMMS_WIDE.filter((imm) => imm !== BpfAtomicOp.LOAD_ACQ && imm !== BpfAtomicOp.STORE_REL);
/** Offsets on the edges of common load/store immediate ranges (any machine has some). */
const EDGE_OFFSETS = [
  -32768, -8192, -4097, -4096, -4095, -513, -512, -264, -257, -256, -255, -248, -129, -128, -8, -1, 0, 1, 7, 127, 128, 248, 252, 255, 256, 257, 504, 510, 511, 512,
  4088, 4092, 4094, 4095, 4096, 4097, 8184, 8188, 8190, 8191, 16376, 16380, 32760, 32767,
];
const SIZE_FIELD: Record<1 | 2 | 4 | 8, number> = { 1: BpfSize.B, 2: BpfSize.H, 4: BpfSize.W, 8: BpfSize.DW };

/** 32-bit immediates that sit on edges: signs, widths, division corner cases. */
const EDGE_IMM32 = [0, 1, -1, 2, 3, 7, 8, 31, 32, 63, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, -0x80000000, -2, -0x8000];
const EDGE_IMM64 = [0n, 1n, -1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, -0x80000000n, 0x7fffffffffffffffn, -0x8000000000000000n, 0xffn, 0x8000n];

/** Generate the program for `seed`. */
export function generateProgram(seed: number, options: GeneratorOptions = {}): GeneratedProgram {
  const rng = new Rng(seed);
  const mem = generateMemory(rng);
  const gen = new Generator(rng, options);
  const insns = gen.build();
  return { seed, insns, mem, functions: gen.plans.length, maxCost: gen.plans[0]?.cost ?? 0, arities: gen.plans.slice(1).map((p) => p.arity) };
}

/** Buffer contents: random bytes with runs of zeros, 0xff and small values (edge cases for loads). */
function generateMemory(rng: Rng): Uint8Array {
  const mem = new Uint8Array(FUZZ_MEM_SIZE);
  // xorshift32 from one draw: filling 8 KiB through sfc32 calls is most of the generation time
  // under qemu. Written byte by byte, so the contents do not depend on the host's byte order.
  let x = rng.u32() | 1;
  for (let i = 0; i < FUZZ_MEM_SIZE; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    mem[i] = x;
    mem[i + 1] = x >>> 8;
    mem[i + 2] = x >>> 16;
    mem[i + 3] = x >>> 24;
  }
  for (let runs = rng.range(4, 12); runs > 0; runs--) {
    const at = rng.int(FUZZ_MEM_SIZE - 64);
    const len = rng.range(4, 64);
    const fill = rng.pick([0, 0xff, 0x80, 0x7f, 1]);
    mem.fill(fill, at, at + len);
  }
  return mem;
}

/** Up to four spill slots beside the 64-byte window (below it, or above when there is no room). */
function spillSlots(rng: Rng, window: number): { off: number; size: 4 | 8 }[] {
  const n = rng.range(1, 4);
  const below = window - 8 * n >= -512;
  if (!below && window + WINDOW + 8 * n > 0) return [];
  const out: { off: number; size: 4 | 8 }[] = [];
  for (let k = 0; k < n; k++) {
    const size = rng.chance(0.7) ? 8 : 4;
    out.push({ off: below ? window - 8 * (k + 1) : window + WINDOW + 8 * k, size });
  }
  return out;
}

class Generator {
  readonly plans: FunctionPlan[] = [];
  #labels = 0;
  /** the function being generated and where its code goes */
  #plan!: FunctionPlan;
  #out: Piece[] = [];
  /** product of the iteration counts of the loops around the current point */
  #mult = 1;
  /** incoming stack-argument slots not loaded yet (they must be, before any call or R11 store) */
  #pendingIncoming: number[] = [];
  #depth = 0;
  /** a buffer region that loads and stores prefer, so they see each other */
  readonly #hot: number;

  constructor(
    readonly rng: Rng,
    readonly options: GeneratorOptions,
  ) {
    this.#hot = rng.int(FUZZ_MEM_SIZE - 128);
  }

  build(): BpfInsn[] {
    const rng = this.rng;
    const subprograms = rng.int((this.options.maxFunctions ?? 4) + 1);
    const plans: FunctionPlan[] = [];
    for (let i = 0; i <= subprograms; i++) {
      // arities 1..12, with the stack-argument counts (6..12) as likely as the register ones
      const arity = i === 0 ? 0 : rng.chance(0.5) ? rng.range(1, 5) : rng.range(6, 12);
      const window = -8 * rng.range(WINDOW / 8, 512 / 8);
      const leaf = i > 0 && rng.chance(0.3);
      const noEscape = !leaf && rng.chance(0.4);
      plans.push({
        index: i,
        arity,
        memArg: i === 0 || rng.chance(0.8),
        window,
        callable: i > 0 && arity <= 5 && rng.chance(0.5),
        outerArg: i > 0 && arity >= 2 && !leaf && rng.chance(0.35),
        leaf,
        noEscape,
        spills: noEscape ? spillSlots(rng, window) : [],
        cost: 0,
        loopProduct: 1,
        code: [],
      });
    }
    this.plans.push(...plans);
    // Callees first: a caller needs its callees' costs to stay within the budget.
    for (let i = plans.length - 1; i >= 0; i--) this.#function(plans[i] as FunctionPlan);
    return this.#layout();
  }

  // --- emission -------------------------------------------------------------------------------

  #emit(i: BpfInsn, extra: Omit<Item, 'insn'> = {}): void {
    this.#out.push({ insn: i, ...extra });
    this.#plan.cost += this.#mult;
  }

  #emitLddw(dst: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.#emit(insn(OP_LDDW, dst, 0, 0, Number(BigInt.asIntN(32, v))));
    this.#out.push({ insn: insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))) });
  }

  #newLabel(): number {
    return this.#labels++;
  }

  #bind(label: number): void {
    this.#out.push({ bind: label });
  }

  // --- register choice ------------------------------------------------------------------------

  #scalars(s: State): number[] {
    const out: number[] = [];
    for (let r = 0; r <= 9; r++) if (s.kinds[r]?.t === 'scalar') out.push(r);
    return out;
  }

  /** registers that may be written */
  #writable(s: State): number[] {
    const out: number[] = [];
    for (let r = 0; r <= 9; r++) if (!s.reserved.has(r)) out.push(r);
    return out;
  }

  #writableScalars(s: State): number[] {
    return this.#scalars(s).filter((r) => !s.reserved.has(r));
  }

  #pointers(s: State): number[] {
    const out: number[] = [];
    for (let r = 0; r <= 10; r++) if (s.kinds[r]?.t === 'ptr') out.push(r);
    return out;
  }

  #set(s: State, r: number, k: Kind): void {
    s.kinds[r] = k;
  }

  // --- immediates -----------------------------------------------------------------------------

  #imm32(): number {
    const rng = this.rng;
    const p = rng.int(10);
    if (p < 4) return rng.pick(EDGE_IMM32);
    if (p < 7) return rng.range(-16, 16);
    return rng.i32();
  }

  #imm64(): bigint {
    const rng = this.rng;
    return rng.chance(0.4) ? rng.pick(EDGE_IMM64) : rng.chance(0.3) ? BigInt(rng.range(-100, 100)) : rng.u64();
  }

  // --- functions ------------------------------------------------------------------------------

  #function(plan: FunctionPlan): void {
    const rng = this.rng;
    this.#plan = plan;
    this.#out = plan.code;
    this.#mult = 1;
    this.#depth = 0;
    const kinds: Kind[] = new Array<Kind>(11).fill(DEAD);
    // a leaf never touches its stack; a noEscape function keeps R10 out of derived pointers
    if (!plan.leaf) kinds[BPF_REG_FP] = { t: 'ptr', region: 'stack', lo: 0, hi: 0, align: 16 };
    const s: State = { kinds, reserved: new Set([BPF_REG_FP]) };
    if (plan.index === 0) {
      kinds[1] = { t: 'ptr', region: 'mem', lo: 0, hi: 0, align: 16 };
      kinds[2] = SCALAR; // the buffer length
    } else {
      for (let r = 1; r <= Math.min(plan.arity, 5); r++) kinds[r] = SCALAR;
      if (plan.memArg) kinds[1] = { t: 'ptr', region: 'mem', lo: 0, hi: 0, align: 16 };
      if (plan.outerArg) kinds[2] = { t: 'ptr', region: 'outer', lo: 0, hi: 0, align: 8 };
    }
    this.#pendingIncoming = [];
    for (let k = 1; k <= plan.arity - 5; k++) this.#pendingIncoming.push(k);

    // Prologue: keep the buffer pointer in R9 (callee-saved, so it survives calls), and give
    // the stack window defined contents (uninitialised stack differs between implementations).
    const prologue: (() => void)[] = [];
    if (plan.memArg) {
      prologue.push(() => {
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, 9, 1));
        kinds[9] = kinds[1] as Kind;
        s.reserved.add(9);
      });
    }
    if (!plan.leaf) prologue.push(() => this.#initWindow(plan.window));
    for (const sp of plan.spills) {
      prologue.push(() => this.#emit(insn(BpfClass.ST | BpfMode.MEM | SIZE_FIELD[sp.size], BPF_REG_FP, 0, sp.off, this.#imm32())));
    }
    if (plan.index === 0) prologue.push(() => this.#initRegisters(s));
    for (const step of prologue) {
      step();
      if (this.#pendingIncoming.length > 0 && rng.chance(0.4)) this.#loadIncoming(s);
    }

    const main = this.options.mainStatements ?? 22;
    const statements = plan.index === 0 ? rng.range(main >> 1, main + (main >> 1)) : rng.range(3, 16);
    this.#block(s, statements);
    this.#flushIncoming(s);
    if (plan.index === 0) this.#mainEpilogue(s, plan.window);
    else this.#calleeEpilogue(s, plan.leaf ? null : plan.window);
    this.#emit(insn(BpfClass.JMP | BpfJmpOp.EXIT));
  }

  #initWindow(window: number): void {
    const rng = this.rng;
    for (let at = 0; at < WINDOW; ) {
      // mostly doublewords; sometimes narrower immediate stores tile the same bytes
      const size = rng.chance(0.7) ? 8 : rng.pick([1, 2, 4] as const);
      const n = Math.min(size, WINDOW - at);
      const sz = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
      this.#emit(insn(BpfClass.ST | BpfMode.MEM | SIZE_FIELD[sz], BPF_REG_FP, 0, window + at, this.#imm32()));
      at += sz;
    }
  }

  #initRegisters(s: State): void {
    for (const r of [0, 2, 3, 4, 5, 6, 7, 8]) {
      if (r === 2 && this.rng.chance(0.5)) continue; // keep the length sometimes
      this.#setScalar(s, r);
    }
  }

  /** any full write of a scalar into r */
  #setScalar(s: State, r: number): void {
    const rng = this.rng;
    const p = rng.int(4);
    if (p === 0) this.#emitLddw(r, this.#imm64());
    else if (p === 1 && s.kinds[9]?.t === 'ptr') this.#load(s, r);
    else this.#emit(insn((rng.chance(0.5) ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.MOV | BpfSource.K, r, 0, 0, this.#imm32()));
    this.#set(s, r, SCALAR);
  }

  #loadIncoming(s: State): void {
    const rng = this.rng;
    const k = this.#pendingIncoming.splice(rng.int(this.#pendingIncoming.length), 1)[0] as number;
    const w = this.#writable(s);
    if (w.length === 0) throw new Error('generator: no register for an incoming stack argument');
    const dst = rng.pick(w);
    this.#emit(insn(BpfClass.LDX | BpfMode.MEM | BpfSize.DW, dst, BPF_REG_PARAMS, 8 * k));
    this.#set(s, dst, SCALAR);
    // spill it to the stack window sometimes, so the value survives register pressure
    if (rng.chance(0.3) && !this.#plan.leaf) {
      this.#emit(insn(BpfClass.STX | BpfMode.MEM | BpfSize.DW, BPF_REG_FP, dst, this.#plan.window + 8 * rng.int(WINDOW / 8)));
    }
  }

  #flushIncoming(s: State): void {
    while (this.#pendingIncoming.length > 0) this.#loadIncoming(s);
  }

  /** Entry epilogue: R0-R8 and the stack window go into the buffer, which is compared whole. */
  #mainEpilogue(s: State, window: number): void {
    for (let r = 0; r <= 8; r++) {
      const at = FUZZ_DUMP_OFFSET + 8 * r;
      if (s.kinds[r]?.t === 'scalar') this.#emit(insn(BpfClass.STX | BpfMode.MEM | BpfSize.DW, 9, r, at));
      else this.#emit(insn(BpfClass.ST | BpfMode.MEM | BpfSize.DW, 9, 0, at, -0x5555));
    }
    for (let j = 0; j < WINDOW / 8; j++) {
      const tmp = 1 + (j % 5);
      this.#emit(insn(BpfClass.LDX | BpfMode.MEM | BpfSize.DW, tmp, BPF_REG_FP, window + 8 * j));
      this.#emit(insn(BpfClass.STX | BpfMode.MEM | BpfSize.DW, 9, tmp, FUZZ_DUMP_OFFSET + 80 + 8 * j));
    }
    // the scalar registers stored above were read before the window loads reused R1-R5
    this.#foldIntoR0(s, []);
  }

  /** Callee epilogue: everything observable goes into R0 (the caller sees only R0 and memory). */
  #calleeEpilogue(s: State, window: number | null): void {
    const rng = this.rng;
    this.#foldIntoR0(s, []);
    if (window === null) return;
    for (let j = 0; j < WINDOW / 8; j++) {
      if (!rng.chance(0.6)) continue;
      const tmp = 1 + (j % 5);
      this.#emit(insn(BpfClass.LDX | BpfMode.MEM | BpfSize.DW, tmp, BPF_REG_FP, window + 8 * j));
      this.#emit(insn(BpfClass.ALU64 | rng.pick([BpfAluOp.XOR, BpfAluOp.ADD, BpfAluOp.SUB]) | BpfSource.X, 0, tmp));
    }
  }

  #foldIntoR0(s: State, skip: number[]): void {
    const rng = this.rng;
    if (s.kinds[0]?.t !== 'scalar') {
      this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.K, 0, 0, 0, this.#imm32()));
      s.kinds[0] = SCALAR;
    }
    for (let r = 1; r <= 9; r++) {
      if (s.kinds[r]?.t !== 'scalar' || skip.includes(r)) continue;
      this.#emit(insn(BpfClass.ALU64 | rng.pick([BpfAluOp.XOR, BpfAluOp.ADD, BpfAluOp.SUB]) | BpfSource.X, 0, r));
      if (rng.chance(0.3)) this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MUL | BpfSource.K, 0, 0, 0, 0x9e3779b1 | 0));
    }
  }

  // --- statements -----------------------------------------------------------------------------

  #block(s: State, statements: number): void {
    for (let i = 0; i < statements; i++) {
      if (this.#depth === 0 && this.#pendingIncoming.length > 0 && this.rng.chance(0.25)) this.#loadIncoming(s);
      if (this.#plan.cost > MAX_COST) break;
      this.#statement(s);
    }
  }

  #statement(s: State): void {
    const rng = this.rng;
    if (this.options.maps !== undefined && this.options.maps.length > 0 && rng.chance(this.options.mapStatementRate ?? 0.2)) return this.#mapStatement(s);
    const roll = rng.int(100);
    if (roll < 26) return this.#alu(s);
    if (roll < 34) return this.#aluSpecial(s);
    if (roll < 44) return this.#loadStatement(s);
    if (roll < 52) return this.#store(s);
    if (roll < 58) return this.#atomic(s);
    if (roll < 62) return this.#acquireRelease(s);
    if (roll < 67) return this.#derivePointer(s);
    if (roll < 75 && this.#depth < 3) return this.#if(s);
    if (roll < 80 && this.#depth < 3) return this.#loop(s);
    if (roll < 88) return this.#call(s);
    if (roll < 90) {
      // ja +0 (a no-op jump) and gotol +0
      this.#emit(rng.chance(0.5) ? insn(BpfClass.JMP | BpfJmpOp.JA) : insn(BpfClass.JMP32 | BpfJmpOp.JA));
      return;
    }
    if (roll < 99) return this.#pattern(s);
    return this.#alu(s);
  }

  /** a map helper call (program-generator-maps.ts), when R1-R5 are free and no stack argument is pending */
  #mapStatement(s: State): void {
    if ([1, 2, 3, 4, 5].some((r) => s.reserved.has(r)) || this.#pendingIncoming.length > 0) return this.#alu(s);
    const rng = this.rng;
    mapStatement(
      {
        rng,
        window: this.#plan.window,
        windowSize: WINDOW,
        emit: (i, label) => this.#emit(i, label === undefined ? {} : { label }),
        newLabel: () => this.#newLabel(),
        bind: (label) => this.#bind(label),
        accumulator: () => {
          const r = [6, 7, 8].filter((x) => s.kinds[x]?.t === 'scalar' && !s.reserved.has(x));
          return r.length > 0 ? rng.pick(r) : undefined;
        },
        scalar: () => {
          const r = this.#scalars(s).filter((x) => x > 5);
          return r.length > 0 ? rng.pick(r) : undefined;
        },
        afterCall: (r0) => {
          for (let r = 1; r <= 5; r++) s.kinds[r] = DEAD;
          s.kinds[0] = r0 === 'scalar' ? SCALAR : DEAD;
        },
      },
      this.options.maps!,
    );
  }

  #alu(s: State): void {
    const rng = this.rng;
    const wide = rng.chance(0.55);
    const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
    const op = rng.pick(ALU_BINARY);
    const scalars = this.#scalars(s);
    const useReg = scalars.length > 0 && rng.chance(0.5);
    const dsts = op === BpfAluOp.MOV ? this.#writable(s) : this.#writableScalars(s);
    if (dsts.length === 0) {
      // between stack-argument stores every register may be spoken for (arguments, the base,
      // loop counters): then there is nothing to do
      const w = this.#writable(s);
      if (w.length > 0) this.#setScalar(s, rng.pick(w));
      return;
    }
    const dst = rng.pick(dsts);
    let off = 0;
    if ((op === BpfAluOp.DIV || op === BpfAluOp.MOD) && rng.chance(0.45)) off = 1;
    if (useReg) {
      if (op === BpfAluOp.MOV && rng.chance(0.4)) off = rng.pick(wide ? [8, 16, 32] : [8, 16]);
      // x/0 and x%0 through a register: make the divisor zero now and then
      let src = rng.pick(scalars);
      if ((op === BpfAluOp.DIV || op === BpfAluOp.MOD) && rng.chance(0.15)) {
        const zeroable = this.#writableScalars(s).filter((r) => r !== dst);
        if (zeroable.length > 0) {
          src = rng.pick(zeroable);
          this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.K, src, 0, 0, rng.chance(0.7) ? 0 : -1));
        }
      }
      this.#emit(insn(cls | op | BpfSource.X, dst, src, off));
    } else {
      let imm: number;
      const width = wide ? 64 : 32;
      if (op === BpfAluOp.LSH || op === BpfAluOp.RSH || op === BpfAluOp.ARSH) imm = rng.chance(0.3) ? rng.pick([0, 1, width - 1, width / 2]) : rng.int(width);
      else if (op === BpfAluOp.DIV || op === BpfAluOp.MOD) imm = rng.chance(0.5) ? rng.pick([0, 1, -1, 2, 3, 10, -7, 0x7fffffff, -0x80000000]) : this.#imm32();
      else imm = this.#imm32();
      this.#emit(insn(cls | op | BpfSource.K, dst, 0, off, imm));
    }
    this.#set(s, dst, SCALAR);
  }

  /** NEG, byte order, and LDDW */
  #aluSpecial(s: State): void {
    const rng = this.rng;
    const p = rng.int(3);
    if (p === 0) {
      const w = this.#writable(s);
      if (w.length === 0) return;
      const dst = rng.pick(w);
      this.#emitLddw(dst, this.#imm64());
      this.#set(s, dst, SCALAR);
      return;
    }
    const dsts = this.#writableScalars(s);
    if (dsts.length === 0) return this.#alu(s);
    const dst = rng.pick(dsts);
    if (p === 1) {
      this.#emit(insn((rng.chance(0.5) ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.NEG, dst));
    } else {
      const bits = rng.pick([16, 32, 64]);
      const form = rng.int(3);
      const code = form === 0 ? BpfClass.ALU | BpfAluOp.END | BpfSource.K : form === 1 ? BpfClass.ALU | BpfAluOp.END | BpfSource.X : BpfClass.ALU64 | BpfAluOp.END;
      this.#emit(insn(code, dst, 0, 0, bits));
    }
  }

  /**
   * An offset such that every address `pointer + off` can take lies in the pointer's region
   * (and, when `aligned`, is a multiple of `size`); undefined when there is none.
   */
  #offsetFor(k: Kind, size: number, aligned: boolean): number | undefined {
    if (k.t !== 'ptr') return undefined;
    if (aligned && k.align % size !== 0) return undefined;
    const [regionLo, regionHi] = k.region === 'mem' ? [0, FUZZ_MEM_SIZE] : k.region === 'outer' ? [0, WINDOW] : [this.#plan.window, this.#plan.window + WINDOW];
    const min = Math.max(regionLo - k.lo, -0x8000);
    const max = Math.min(regionHi - k.hi - size, 0x7fff);
    if (min > max) return undefined;
    const rng = this.rng;
    let off: number;
    const edges = rng.chance(0.2) ? EDGE_OFFSETS.filter((e) => e >= min && e <= max) : [];
    if (edges.length > 0) {
      // the limits of the machine's immediate-offset forms (signed 9 bits, scaled unsigned 12 bits)
      off = rng.pick(edges);
    } else if (k.region === 'mem' && rng.chance(0.6)) {
      // near the hot region, so stores and loads meet
      off = Math.min(max, Math.max(min, this.#hot + rng.int(128) - k.lo));
    } else {
      off = rng.range(min, max);
    }
    if (aligned) {
      const mis = (((k.lo + off) % size) + size) % size;
      if (mis !== 0) off += size - mis;
      if (off > max) off -= size; // the aligned offset below instead
      if (off < min || off > max) return undefined;
    }
    return off;
  }

  /** a pointer register and an offset fit for an access of `size` bytes */
  #address(s: State, size: number, aligned: boolean): { base: number; off: number } | undefined {
    const ptrs = this.#pointers(s);
    for (let tries = 0; tries < 4 && ptrs.length > 0; tries++) {
      const base = this.rng.pick(ptrs);
      const off = this.#offsetFor(s.kinds[base] as Kind, size, aligned);
      if (off !== undefined) return { base, off };
    }
    return undefined;
  }

  #loadStatement(s: State): void {
    const w = this.#writable(s);
    if (w.length > 0) this.#load(s, this.rng.pick(w));
  }

  /** dst = *(size *)(ptr + off), zero- or sign-extending */
  #load(s: State, dst: number): void {
    const rng = this.rng;
    const size = rng.pick([1, 2, 4, 8] as const);
    const where = this.#address(s, size, false);
    if (!where) return this.#setScalarImm(s, dst);
    const signed = size !== 8 && rng.chance(0.4);
    this.#emit(insn(BpfClass.LDX | (signed ? BpfMode.MEMSX : BpfMode.MEM) | SIZE_FIELD[size], dst, where.base, where.off));
    this.#set(s, dst, SCALAR);
  }

  #setScalarImm(s: State, dst: number): void {
    this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.K, dst, 0, 0, this.#imm32()));
    this.#set(s, dst, SCALAR);
  }

  #store(s: State): void {
    const rng = this.rng;
    const size = rng.pick([1, 2, 4, 8] as const);
    const where = this.#address(s, size, false);
    if (!where) return;
    const scalars = this.#scalars(s);
    if (scalars.length > 0 && rng.chance(0.6)) {
      this.#emit(insn(BpfClass.STX | BpfMode.MEM | SIZE_FIELD[size], where.base, rng.pick(scalars), where.off));
    } else {
      this.#emit(insn(BpfClass.ST | BpfMode.MEM | SIZE_FIELD[size], where.base, 0, where.off, this.#imm32()));
    }
  }

  #atomic(s: State): void {
    const rng = this.rng;
    const size = rng.pick([4, 8] as const);
    let op: number = rng.pick(ATOMIC_RMW);
    // CMPXCHG writes R0, which may be an argument or callx target being held
    if (op === BpfAtomicOp.CMPXCHG && s.reserved.has(0)) op = BpfAtomicOp.XOR;
    const writesSrc = (op & BpfAtomicOp.FETCH) !== 0 && op !== BpfAtomicOp.CMPXCHG;
    const srcs = writesSrc ? this.#writableScalars(s) : this.#scalars(s);
    if (srcs.length === 0) return this.#alu(s);
    if (op === BpfAtomicOp.CMPXCHG && s.kinds[0]?.t !== 'scalar') {
      // R0 is the expected value: give it one (sometimes the value in memory, via a load)
      if (rng.chance(0.5)) this.#load(s, 0);
      else this.#setScalarImm(s, 0);
    }
    const where = this.#address(s, size, true);
    if (!where) return;
    const src = rng.pick(op === BpfAtomicOp.CMPXCHG ? this.#scalars(s) : srcs);
    if (op === BpfAtomicOp.CMPXCHG && rng.chance(0.4)) {
      // make the exchange succeed now and then: R0 = the current value
      this.#emit(insn(BpfClass.LDX | BpfMode.MEM | SIZE_FIELD[size], 0, where.base, where.off));
      s.kinds[0] = SCALAR;
    }
    this.#emit(insn(BpfClass.STX | BpfMode.ATOMIC | SIZE_FIELD[size], where.base, src, where.off, op));
    if (op === BpfAtomicOp.CMPXCHG) this.#set(s, 0, SCALAR);
    else if (writesSrc) this.#set(s, src, SCALAR);
  }

  #acquireRelease(s: State): void {
    const rng = this.rng;
    const size = rng.pick([1, 2, 4, 8] as const);
    const where = this.#address(s, size, true);
    if (!where) return;
    if (rng.chance(0.5)) {
      const w = this.#writable(s);
      if (w.length === 0) return;
      const dst = rng.pick(w);
      this.#emit(insn(BpfClass.STX | BpfMode.ATOMIC | SIZE_FIELD[size], dst, where.base, where.off, BpfAtomicOp.LOAD_ACQ));
      this.#set(s, dst, SCALAR);
    } else {
      const scalars = this.#scalars(s);
      if (scalars.length === 0) return;
      this.#emit(insn(BpfClass.STX | BpfMode.ATOMIC | SIZE_FIELD[size], where.base, rng.pick(scalars), where.off, BpfAtomicOp.STORE_REL));
    }
  }

  /** New pointers: base + constant, or base + (scalar & mask) (a variable offset). */
  #derivePointer(s: State): void {
    const rng = this.rng;
    const w = this.#writable(s);
    if (w.length === 0) return;
    const dst = rng.pick(w);
    const memBase = s.kinds[9]?.t === 'ptr' && s.kinds[9].region === 'mem' && s.kinds[9].lo === 0 && s.kinds[9].hi === 0 ? 9 : undefined;
    const stackOk = !this.#plan.noEscape && !this.#plan.leaf;
    if (memBase === undefined && !stackOk) return this.#alu(s);
    const toStack = stackOk && (memBase === undefined || rng.chance(0.3));
    const base = toStack ? BPF_REG_FP : memBase;
    const scalars = this.#scalars(s).filter((r) => r !== dst || rng.chance(0.5));
    if (scalars.length > 0 && rng.chance(0.5)) {
      // variable offset: dst = src & mask; dst += base  (or tmp = src & mask; dst = base; dst += tmp)
      const align = rng.pick([1, 2, 4, 8]);
      const bits = toStack ? rng.range(3, 5) : rng.range(3, 12);
      const mask = ((1 << bits) - 1) & ~(align - 1);
      const src = rng.pick(scalars);
      this.#emit(insn((rng.chance(0.5) ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.MOV | BpfSource.X, dst, src));
      this.#emit(insn((rng.chance(0.5) ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.AND | BpfSource.K, dst, 0, 0, mask));
      this.#emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.X, dst, base));
      this.#set(s, dst, { t: 'ptr', region: toStack ? 'stack' : 'mem', lo: 0, hi: mask, align });
      return;
    }
    // constant offset, by add or by sub of the negated constant
    const target = toStack ? this.#plan.window + rng.int(WINDOW + 1) : rng.int(FUZZ_MEM_SIZE + 1);
    this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, dst, base));
    if (target !== 0 || rng.chance(0.5)) {
      this.#emit(rng.chance(0.5) ? insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.K, dst, 0, 0, target) : insn(BpfClass.ALU64 | BpfAluOp.SUB | BpfSource.K, dst, 0, 0, -target));
    }
    this.#set(s, dst, { t: 'ptr', region: toStack ? 'stack' : 'mem', lo: target, hi: target, align: 16 });
  }

  /**
   * A conditional jump to `label` on scalars only (comparing addresses would differ between
   * implementations). Sometimes the operand is first narrowed so both outcomes are likely.
   */
  #jcond(s: State, label: number): void {
    const rng = this.rng;
    const op = rng.pick(CONDITIONS);
    const cls = rng.chance(0.5) ? BpfClass.JMP : BpfClass.JMP32;
    let scalars = this.#scalars(s);
    if (scalars.length === 0 || rng.chance(0.35)) {
      const w = this.#writable(s);
      if (w.length === 0) return this.#emit(insn(BpfClass.JMP | BpfJmpOp.JA), { label });
      const dst = rng.pick(w);
      if (scalars.length > 0 && rng.chance(0.7)) {
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, dst, rng.pick(scalars)));
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.AND | BpfSource.K, dst, 0, 0, rng.pick([1, 3, 7, 0x80000003 | 0])));
      } else {
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.K, dst, 0, 0, rng.range(-3, 3)));
      }
      this.#set(s, dst, SCALAR);
      scalars = this.#scalars(s);
      if (rng.chance(0.7)) {
        return this.#emit(insn(cls | op | BpfSource.K, dst, 0, 0, rng.range(-2, 3)), { label });
      }
    }
    const dst = rng.pick(scalars);
    if (rng.chance(0.5)) this.#emit(insn(cls | op | BpfSource.X, dst, rng.pick(scalars)), { label });
    else this.#emit(insn(cls | op | BpfSource.K, dst, 0, 0, rng.chance(0.5) ? rng.range(-4, 4) : this.#imm32()), { label });
  }

  #if(s: State): void {
    const rng = this.rng;
    if (this.#depth === 0) this.#flushIncoming(s);
    const elseLabel = this.#newLabel();
    this.#jcond(s, elseLabel);
    this.#depth++;
    const thenState = cloneState(s);
    this.#block(thenState, rng.range(1, 6));
    let merged: State;
    if (rng.chance(0.5)) {
      const end = this.#newLabel();
      // JA (16-bit offset) or gotol (JMP32|JA, 32-bit offset in imm)
      this.#emit(rng.chance(0.6) ? insn(BpfClass.JMP | BpfJmpOp.JA) : insn(BpfClass.JMP32 | BpfJmpOp.JA), { label: end });
      this.#bind(elseLabel);
      const elseState = cloneState(s);
      this.#block(elseState, rng.range(1, 6));
      this.#bind(end);
      merged = meet(thenState, elseState);
    } else {
      this.#bind(elseLabel);
      merged = meet(thenState, s);
    }
    this.#depth--;
    s.kinds = merged.kinds;
  }

  /**
   * A do-while loop with a counter in a callee-saved register that the body never writes:
   * counting down to 0 or up to n, with the back edge in one of many conditional forms.
   */
  #loop(s: State): void {
    const rng = this.rng;
    const counters = [6, 7, 8, 9].filter((r) => !s.reserved.has(r));
    if (counters.length === 0) return this.#alu(s);
    const maxIter = Math.floor(MAX_LOOP_PRODUCT / this.#mult);
    if (maxIter < 2) return this.#alu(s);
    if (this.#depth === 0) this.#flushIncoming(s);
    const n = rng.range(2, Math.min(5, maxIter));
    const c = rng.pick(counters);
    const down = rng.chance(0.5);
    const wide = rng.chance(0.5);
    this.#emit(insn((wide ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.MOV | BpfSource.K, c, 0, 0, down ? n : 0));
    s.kinds[c] = SCALAR;
    // Only scalars and the fixed pointers (R9 base, R10) are trusted inside the body: the back
    // edge must bring the same kinds, so derived pointers and function addresses are dropped.
    for (let r = 0; r <= 9; r++) {
      const k = s.kinds[r] as Kind;
      if ((k.t === 'ptr' || k.t === 'func') && !s.reserved.has(r)) s.kinds[r] = DEAD;
    }
    s.reserved.add(c);
    const head = cloneState(s);
    const top = this.#newLabel();
    this.#bind(top);
    this.#mult *= n;
    this.#plan.loopProduct = Math.max(this.#plan.loopProduct, this.#mult);
    this.#depth++;
    this.#block(s, rng.range(1, 8));
    this.#depth--;
    // restore every register the head considered a scalar
    for (let r = 0; r <= 9; r++) {
      if (head.kinds[r]?.t === 'scalar' && s.kinds[r]?.t !== 'scalar') this.#setScalarImm(s, r);
      else if (head.kinds[r]?.t === 'ptr' && !sameKind(head.kinds[r] as Kind, s.kinds[r] as Kind)) throw new Error(`generator: loop body changed pointer r${r}`);
    }
    const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
    const j = rng.chance(0.5) ? BpfClass.JMP : BpfClass.JMP32;
    // a copy of the counter before its step, offset after it (t = i; i += 1; t += 8): what an
    // optimizer may count from the stepped value instead (t = i' + 7)
    const derived = this.#writableScalars(s).filter((r) => r !== c);
    const before = derived.length > 0 && rng.chance(0.3) ? rng.pick(derived) : undefined;
    if (before !== undefined) this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, before, c));
    if (down) {
      this.#emit(rng.chance(0.5) ? insn(cls | BpfAluOp.SUB | BpfSource.K, c, 0, 0, 1) : insn(cls | BpfAluOp.ADD | BpfSource.K, c, 0, 0, -1));
      this.#afterStep(s, cls, before);
      const [op, imm] = rng.pick([
        [BpfJmpOp.JNE, 0],
        [BpfJmpOp.JGT, 0],
        [BpfJmpOp.JSGT, 0],
        [BpfJmpOp.JGE, 1],
        [BpfJmpOp.JSGE, 1],
        [BpfJmpOp.JSET, -1],
      ] as const);
      this.#emit(insn(j | op | BpfSource.K, c, 0, 0, imm), { label: top });
    } else {
      this.#emit(rng.chance(0.5) ? insn(cls | BpfAluOp.ADD | BpfSource.K, c, 0, 0, 1) : insn(cls | BpfAluOp.SUB | BpfSource.K, c, 0, 0, -1));
      this.#afterStep(s, cls, before);
      const [op, imm] = rng.pick([
        [BpfJmpOp.JLT, n],
        [BpfJmpOp.JSLT, n],
        [BpfJmpOp.JLE, n - 1],
        [BpfJmpOp.JSLE, n - 1],
        [BpfJmpOp.JNE, n],
      ] as const);
      this.#emit(insn(j | op | BpfSource.K, c, 0, 0, imm), { label: top });
    }
    this.#mult /= n;
    s.reserved.delete(c);
  }

  /** After a loop counter's step: the copy of the counter made before it gets + k. */
  #afterStep(s: State, cls: number, before: number | undefined): void {
    if (before === undefined) return;
    this.#emit(insn(cls | BpfAluOp.ADD | BpfSource.K, before, 0, 0, this.rng.range(1, 64)));
    this.#set(s, before, SCALAR);
  }

  /** call local (or callx through lddw) with the callee's arity: R1-R5 then R11 slots. */
  #call(s: State): void {
    const rng = this.rng;
    if (this.#plan.leaf) return this.#alu(s);
    const hasBase = s.reserved.has(9) && s.kinds[9]?.t === 'ptr';
    const candidates = this.plans.filter(
      (p) =>
        p.index > this.#plan.index &&
        (!p.memArg || hasBase) &&
        (!p.outerArg || !this.#plan.noEscape) &&
        this.#plan.cost + this.#mult * p.cost <= MAX_COST &&
        this.#mult * p.loopProduct <= MAX_LOOP_PRODUCT,
    );
    if (candidates.length === 0) return this.#alu(s);
    const callee = rng.pick(candidates);
    this.#flushIncoming(s);

    // callx: the function's address goes into a register that argument setup leaves alone
    let via: number | undefined;
    if (callee.callable && rng.chance(0.4)) {
      const holders = [0, 6, 7, 8, 9].filter((r) => !s.reserved.has(r));
      if (holders.length > 0) {
        via = rng.pick(holders);
        this.#emit(insn(OP_LDDW, via, 4, 0, 0), { fn: callee.index });
        this.#out.push({ insn: insn(0) });
        this.#set(s, via, { t: 'func', fn: callee.index });
      }
    }
    const regArgs = Math.min(callee.arity, 5);
    // R1-R5 must keep their values until the call: nothing else may write them meanwhile
    const argRegs = [1, 2, 3, 4, 5].slice(0, regArgs);
    for (const r of argRegs) {
      if (r === 1 && callee.memArg) {
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, 1, 9));
        this.#set(s, 1, s.kinds[9] as Kind);
        continue;
      }
      if (r === 2 && callee.outerArg) {
        // a pointer into this frame: the callee's accesses must land in our stack window
        const window = this.#plan.window;
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, 2, BPF_REG_FP));
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.K, 2, 0, 0, window));
        this.#set(s, 2, { t: 'ptr', region: 'stack', lo: window, hi: window, align: 8 });
        continue;
      }
      const scalars = this.#scalars(s);
      const p = rng.int(4);
      if (p === 0 && scalars.length > 0) this.#emit(insn((rng.chance(0.7) ? BpfClass.ALU64 : BpfClass.ALU) | BpfAluOp.MOV | BpfSource.X, r, rng.pick(scalars)));
      else if (p === 1) this.#emitLddw(r, this.#imm64());
      else if (p === 2 && scalars.length > 0 && s.kinds[r]?.t === 'scalar') {
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.K, r, 0, 0, this.#imm32()));
      } else this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.K, r, 0, 0, this.#imm32()));
      this.#set(s, r, SCALAR);
    }
    // Stack arguments, in any order, with unrelated work in between that leaves R1-R5 alone
    // (a JIT that kept them in scratch registers would be caught here).
    const slots = [];
    for (let k = 1; k <= callee.arity - 5; k++) slots.push(k);
    for (let i = slots.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [slots[i], slots[j]] = [slots[j] as number, slots[i] as number];
    }
    const saved = new Set(s.reserved);
    for (const r of argRegs) s.reserved.add(r);
    if (via !== undefined) s.reserved.add(via);
    for (const k of slots) {
      const scalars = this.#scalars(s);
      if (scalars.length > 0 && rng.chance(0.7)) this.#emit(insn(BpfClass.STX | BpfMode.MEM | BpfSize.DW, BPF_REG_PARAMS, rng.pick(scalars), -8 * k));
      else this.#emit(insn(BpfClass.ST | BpfMode.MEM | BpfSize.DW, BPF_REG_PARAMS, 0, -8 * k, this.#imm32()));
      if (rng.chance(0.25)) this.#straightLine(s);
    }
    if (slots.length === 0 && rng.chance(0.2)) this.#straightLine(s);
    s.reserved = saved;

    if (via !== undefined) this.#emit(insn(BpfClass.JMP | BpfJmpOp.CALL | BpfSource.X, via));
    else this.#emit(insn(BpfClass.JMP | BpfJmpOp.CALL, 0, 1), { fn: callee.index });
    this.#plan.cost += this.#mult * callee.cost;
    this.#plan.loopProduct = Math.max(this.#plan.loopProduct, this.#mult * callee.loopProduct);
    // after a call: R0 is the result, R1-R5 are unreadable, R6-R9 and the stack are kept
    s.kinds[0] = SCALAR;
    for (let r = 1; r <= 5; r++) s.kinds[r] = DEAD;
  }

  // --- optimizer patterns (issue 11) ----------------------------------------------------------
  // The shapes each pass of the JIT's optimization tier looks for, and near misses that it
  // must leave alone: byte ladders in both orders, rotates and funnel shifts, shift-and-mask
  // pairs and field inserts, small diamonds, spills and fills, address arithmetic chains,
  // zero-extension idioms, multiplies by constants.

  #pattern(s: State): void {
    const rng = this.rng;
    const p = rng.int(11);
    if (p === 0) return this.#ladder(s);
    if (p === 1) return this.#rotate(s);
    if (p === 2) return this.#shiftMask(s);
    if (p === 3) return this.#fieldInsert(s);
    if (p === 4 && this.#depth < 3) return this.#select(s);
    if (p === 5) return this.#spill(s);
    if (p === 6) return this.#addressChain(s);
    if (p === 7) return this.#zeroExtend(s);
    if (p === 8) return this.#swapBytes(s);
    if (p === 9) return this.#multiplyByConstant(s);
    return this.#ladder(s);
  }

  /** two distinct writable registers, or undefined */
  #twoWritable(s: State): [number, number] | undefined {
    const w = this.#writable(s);
    if (w.length < 2) return undefined;
    const a = this.rng.pick(w);
    const b = this.rng.pick(w.filter((r) => r !== a));
    return [a, b];
  }

  /**
   * d = bytes [off, off + n) of a pointer, assembled with shifts and ORs in little- or
   * big-endian order (the loads in any order); now and then a byte twice, a gap, or a store in
   * between, which must keep the byte loads.
   */
  #ladder(s: State): void {
    const rng = this.rng;
    const n = rng.pick([2, 4, 4, 8, 8] as const);
    const where = this.#address(s, n, false);
    const regs = this.#twoWritable(s);
    if (!where || !regs) return this.#alu(s);
    const [d, t] = regs;
    if (where.base === d || where.base === t) return this.#alu(s);
    const wide = n === 8 || rng.chance(0.4);
    const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
    const big = rng.chance(0.4);
    const order = Array.from({ length: n }, (_, i) => i);
    if (rng.chance(0.5)) for (let i = n - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j] as number, order[i] as number]; }
    const miss = rng.chance(0.15) ? rng.int(3) : -1; // 0: a byte twice, 1: a gap, 2: a store in between
    order.forEach((k, i) => {
      const byte = miss === 0 && i === 1 ? (order[0] as number) : miss === 1 && i === 1 ? k + (k + 1 < n ? 1 : -1) : k;
      const r = i === 0 ? d : t;
      this.#emit(insn(BpfClass.LDX | BpfMode.MEM | BpfSize.B, r, where.base, where.off + byte));
      const shift = 8 * (big ? n - 1 - k : k);
      if (shift > 0) this.#emit(insn(cls | BpfAluOp.LSH | BpfSource.K, r, 0, 0, shift));
      if (i > 0) this.#emit(insn(cls | (rng.chance(0.85) ? BpfAluOp.OR : BpfAluOp.ADD) | BpfSource.X, d, t));
      if (miss === 2 && i === 1) {
        const st = this.#address(s, 1, false);
        if (st && st.base !== d && st.base !== t) this.#emit(insn(BpfClass.ST | BpfMode.MEM | BpfSize.B, st.base, 0, st.off, this.#imm32()));
      }
    });
    this.#set(s, d, SCALAR);
    this.#set(s, t, SCALAR);
  }

  /** rotates by a constant (OR, XOR or ADD of the halves), funnel shifts, rotates by a register */
  #rotate(s: State): void {
    const rng = this.rng;
    const scalars = this.#scalars(s);
    const regs = this.#twoWritable(s);
    if (scalars.length === 0 || !regs) return this.#alu(s);
    const [d, t] = regs;
    if (scalars.every((q) => q === t)) return this.#alu(s);
    const wide = rng.chance(0.5);
    const w = wide ? 64 : 32;
    const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
    const x = rng.pick(scalars.filter((q) => q !== t));
    const others = scalars.filter((q) => q !== d);
    const y = others.length > 0 && rng.chance(0.2) ? rng.pick(others) : x; // a funnel shift when y differs
    const combine = rng.pick([BpfAluOp.OR, BpfAluOp.OR, BpfAluOp.XOR, BpfAluOp.ADD]);
    if (rng.chance(0.25) && x === y) {
      // by a register: (x >> r) | (x << (-r & (w - 1)))
      const r = rng.pick(scalars.filter((q) => q !== d && q !== t).concat([x]));
      if (r === d || r === t) return this.#alu(s);
      this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, t, r));
      this.#emit(insn(cls | BpfAluOp.NEG, t));
      if (rng.chance(0.6)) this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, t, 0, 0, w - 1));
      if (d !== x) this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, d, x));
      this.#emit(insn(cls | BpfAluOp.LSH | BpfSource.X, d, t));
      this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, t, x));
      this.#emit(insn(cls | BpfAluOp.RSH | BpfSource.X, t, r));
      this.#emit(insn(cls | combine | BpfSource.X, d, t));
    } else {
      const k = rng.range(1, w - 1);
      this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, d, x));
      this.#emit(insn(cls | BpfAluOp.LSH | BpfSource.K, d, 0, 0, k));
      this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, t, y));
      this.#emit(insn(cls | BpfAluOp.RSH | BpfSource.K, t, 0, 0, rng.chance(0.9) ? w - k : rng.range(1, w - 1)));
      this.#emit(insn(cls | combine | BpfSource.X, d, t));
    }
    this.#set(s, d, SCALAR);
    this.#set(s, t, SCALAR);
  }

  /** (x >> s) & mask, (x << a) >> b (arithmetic too), (x & mask) << s, -(x & 1), and masks */
  #shiftMask(s: State): void {
    const rng = this.rng;
    const scalars = this.#scalars(s);
    const w8 = this.#writable(s);
    if (scalars.length === 0 || w8.length === 0) return this.#alu(s);
    const d = rng.pick(w8);
    const x = rng.pick(scalars);
    const wide = rng.chance(0.5);
    const w = wide ? 64 : 32;
    const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
    const nbits = rng.range(1, w - 1);
    const mask = (bits: number): number => (bits >= 32 ? -1 : bits === 31 ? 0x7fffffff : (1 << bits) - 1);
    if (d !== x) this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, d, x));
    switch (rng.int(6)) {
      case 0: {
        const sh = rng.int(w);
        this.#emit(insn(cls | BpfAluOp.RSH | BpfSource.K, d, 0, 0, sh));
        this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, d, 0, 0, mask(Math.min(nbits, 31))));
        break;
      }
      case 1: {
        const a = rng.int(w);
        const b = rng.chance(0.8) ? rng.range(a, w - 1) : rng.int(w);
        this.#emit(insn(cls | BpfAluOp.LSH | BpfSource.K, d, 0, 0, a));
        this.#emit(insn(cls | (rng.chance(0.5) ? BpfAluOp.RSH : BpfAluOp.ARSH) | BpfSource.K, d, 0, 0, b));
        break;
      }
      case 2: {
        // (x & mask) << s, the AND 32-bit and the shift 64-bit now and then
        this.#emit(insn((rng.chance(0.3) ? BpfClass.ALU : cls) | BpfAluOp.AND | BpfSource.K, d, 0, 0, mask(Math.min(nbits, 31))));
        this.#emit(insn(cls | BpfAluOp.LSH | BpfSource.K, d, 0, 0, rng.int(w)));
        break;
      }
      case 3:
        this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, d, 0, 0, 1));
        this.#emit(insn(cls | BpfAluOp.NEG, d));
        break;
      case 4: {
        const sh = rng.range(1, 31);
        this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, d, 0, 0, ((1 << rng.range(1, 31 - sh)) - 1) << sh));
        this.#emit(insn(cls | BpfAluOp.RSH | BpfSource.K, d, 0, 0, sh));
        break;
      }
      default:
        this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, d, 0, 0, rng.pick([0xff, 0xffff, -1, 0x7fff])));
        break;
    }
    this.#set(s, d, SCALAR);
  }

  /** (a & ~M) | ((b & m) << s): a bitfield insert */
  #fieldInsert(s: State): void {
    const rng = this.rng;
    const scalars = this.#scalars(s);
    const regs = this.#twoWritable(s);
    if (scalars.length === 0 || !regs) return this.#alu(s);
    const [d, t] = regs;
    const wide = rng.chance(0.5);
    const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
    const sh = rng.range(0, 24);
    const n = rng.range(1, 30 - sh);
    const m = (1 << n) - 1;
    this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, t, rng.pick(scalars)));
    this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, t, 0, 0, m));
    if (sh > 0) this.#emit(insn(cls | BpfAluOp.LSH | BpfSource.K, t, 0, 0, sh));
    this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, d, rng.pick(scalars)));
    this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, d, 0, 0, rng.chance(0.9) ? ~(m << sh) : ~m));
    this.#emit(insn(cls | BpfAluOp.OR | BpfSource.X, d, t));
    this.#set(s, d, SCALAR);
    this.#set(s, t, SCALAR);
  }

  /**
   * if (a OP b) goto L; d = v (or d += 1, d = -d, d ^= -1, d = 0/1/-1); [goto E; L: d = w; E:]
   * L: ...   (what conditional selects come from)
   */
  #select(s: State): void {
    const rng = this.rng;
    const scalars = this.#scalars(s);
    const dsts = this.#writableScalars(s);
    if (scalars.length === 0 || dsts.length === 0) return this.#alu(s);
    const d = rng.pick(dsts);
    const arm = (): void => {
      const wide = rng.chance(0.6);
      const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
      switch (rng.int(6)) {
        case 0:
          this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, d, rng.pick(scalars)));
          break;
        case 1:
          this.#emit(insn(cls | BpfAluOp.ADD | BpfSource.K, d, 0, 0, 1));
          break;
        case 2:
          this.#emit(insn(cls | BpfAluOp.NEG, d));
          break;
        case 3:
          this.#emit(insn(cls | BpfAluOp.XOR | BpfSource.K, d, 0, 0, -1));
          break;
        case 4:
          this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.K, d, 0, 0, rng.pick([0, 1, -1])));
          break;
        default:
          this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.K, d, 0, 0, this.#imm32()));
          break;
      }
    };
    const skip = this.#newLabel();
    const op = rng.pick(CONDITIONS);
    const jcls = rng.chance(0.5) ? BpfClass.JMP : BpfClass.JMP32;
    if (rng.chance(0.5)) this.#emit(insn(jcls | op | BpfSource.X, rng.pick(scalars), rng.pick(scalars)), { label: skip });
    else this.#emit(insn(jcls | op | BpfSource.K, rng.pick(scalars), 0, 0, rng.range(-3, 3)), { label: skip });
    arm();
    if (rng.chance(0.5)) {
      const done = this.#newLabel();
      this.#emit(insn(BpfClass.JMP | BpfJmpOp.JA), { label: done });
      this.#bind(skip);
      arm();
      this.#bind(done);
    } else this.#bind(skip);
    this.#set(s, d, SCALAR);
  }

  /** a register to a spill slot, or a spill slot back (same slot, same size, every time) */
  #spill(s: State): void {
    const rng = this.rng;
    const slots = this.#plan.spills;
    if (slots.length === 0) return this.#alu(s);
    const slot = rng.pick(slots);
    const size = SIZE_FIELD[slot.size];
    const scalars = this.#scalars(s);
    if (rng.chance(0.5) && scalars.length > 0) {
      this.#emit(insn(BpfClass.STX | BpfMode.MEM | size, BPF_REG_FP, rng.pick(scalars), slot.off));
      return;
    }
    const w = this.#writable(s);
    if (w.length === 0) return;
    const d = rng.pick(w);
    this.#emit(insn(BpfClass.LDX | (slot.size === 4 && rng.chance(0.3) ? BpfMode.MEMSX : BpfMode.MEM) | size, d, BPF_REG_FP, slot.off));
    this.#set(s, d, SCALAR);
  }

  /** p = base + const + (x & mask) [<< log2(size)], then a load or store through p */
  #addressChain(s: State): void {
    const rng = this.rng;
    const memBase = s.kinds[9]?.t === 'ptr' && s.kinds[9].region === 'mem' && s.kinds[9].lo === 0 && s.kinds[9].hi === 0 ? 9 : undefined;
    const stackOk = !this.#plan.noEscape && !this.#plan.leaf;
    const scalars = this.#scalars(s);
    const regs = this.#twoWritable(s);
    if ((memBase === undefined && !stackOk) || scalars.length === 0 || !regs) return this.#alu(s);
    const [p, t] = regs;
    const toStack = stackOk && (memBase === undefined || rng.chance(0.4));
    const size = rng.pick([1, 2, 4, 8] as const);
    const scale = rng.chance(0.5) ? Math.log2(size) : 0;
    const bits = toStack ? 3 : 8;
    const k = toStack ? this.#plan.window : rng.int(FUZZ_MEM_SIZE - (((1 << bits) - 1) << scale) - 16);
    this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, t, rng.pick(scalars)));
    this.#emit(insn(BpfClass.ALU64 | BpfAluOp.AND | BpfSource.K, t, 0, 0, (1 << bits) - 1));
    if (scale > 0) this.#emit(insn(BpfClass.ALU64 | BpfAluOp.LSH | BpfSource.K, t, 0, 0, scale));
    this.#emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, p, toStack ? BPF_REG_FP : (memBase as number)));
    this.#emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.K, p, 0, 0, k));
    this.#emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.X, p, t));
    const hi = ((1 << bits) - 1) << scale;
    this.#set(s, t, SCALAR);
    this.#set(s, p, { t: 'ptr', region: toStack ? 'stack' : 'mem', lo: k, hi: k + hi, align: 1 });
    const off = this.#offsetFor(s.kinds[p] as Kind, size, false);
    if (off === undefined) return;
    if (rng.chance(0.5)) {
      const w = this.#writable(s).filter((r) => r !== p);
      if (w.length === 0) return;
      const d = rng.pick(w);
      this.#emit(insn(BpfClass.LDX | BpfMode.MEM | SIZE_FIELD[size], d, p, off));
      this.#set(s, d, SCALAR);
    } else {
      this.#emit(insn(BpfClass.STX | BpfMode.MEM | SIZE_FIELD[size], p, rng.pick(this.#scalars(s)), off));
    }
  }

  /** w = w, x <<= 32; x >>= 32, x &= 0xffffffff, a byte load and its mask */
  #zeroExtend(s: State): void {
    const rng = this.rng;
    const dsts = this.#writableScalars(s);
    if (dsts.length === 0) return this.#alu(s);
    const d = rng.pick(dsts);
    switch (rng.int(4)) {
      case 0:
        this.#emit(insn(BpfClass.ALU | BpfAluOp.ADD | BpfSource.K, d, 0, 0, this.#imm32()));
        this.#emit(insn(BpfClass.ALU | BpfAluOp.MOV | BpfSource.X, d, d));
        break;
      case 1:
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.LSH | BpfSource.K, d, 0, 0, 32));
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.RSH | BpfSource.K, d, 0, 0, 32));
        break;
      case 2:
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.AND | BpfSource.K, d, 0, 0, -1));
        this.#emit(insn(BpfClass.ALU | BpfAluOp.MOV | BpfSource.X, d, d));
        break;
      default: {
        const where = this.#address(s, 1, false);
        if (!where || where.base === d) return;
        this.#emit(insn(BpfClass.LDX | BpfMode.MEM | BpfSize.B, d, where.base, where.off));
        this.#emit(insn(BpfClass.ALU64 | BpfAluOp.AND | BpfSource.K, d, 0, 0, rng.pick([0xff, 0xffff, 0x7f])));
        break;
      }
    }
    this.#set(s, d, SCALAR);
  }

  /** a 32-bit byte swap written with shifts and masks (or a 16-bit one) */
  #swapBytes(s: State): void {
    const rng = this.rng;
    const scalars = this.#scalars(s);
    const regs = this.#twoWritable(s);
    if (scalars.length === 0 || !regs) return this.#alu(s);
    const [d, t] = regs;
    const x = rng.pick(scalars);
    const wide = rng.chance(0.3);
    const cls = wide ? BpfClass.ALU64 : BpfClass.ALU;
    const parts: [number, number, number][] = [
      // [shift right, mask, shift left]
      [24, 0xff, 0],
      [8, 0xff00, 0],
      [0, 0xff00, 8],
      [0, 0xff, 24],
    ];
    const half = rng.chance(0.25);
    const use = half ? [[8, 0xff, 0], [0, 0xff, 8]] as [number, number, number][] : parts;
    use.forEach(([r, m, l], i) => {
      const reg = i === 0 ? d : t;
      this.#emit(insn(cls | BpfAluOp.MOV | BpfSource.X, reg, x));
      if (r > 0) this.#emit(insn(cls | BpfAluOp.RSH | BpfSource.K, reg, 0, 0, r));
      this.#emit(insn(cls | BpfAluOp.AND | BpfSource.K, reg, 0, 0, m));
      if (l > 0) this.#emit(insn(cls | BpfAluOp.LSH | BpfSource.K, reg, 0, 0, l));
      if (i > 0) this.#emit(insn(cls | BpfAluOp.OR | BpfSource.X, d, t));
    });
    this.#set(s, d, SCALAR);
    this.#set(s, t, SCALAR);
  }

  /** x * 2^k, x * (2^k + 1), x / 2^k, x % 2^k (and the constants around them) */
  #multiplyByConstant(s: State): void {
    const rng = this.rng;
    const dsts = this.#writableScalars(s);
    if (dsts.length === 0) return this.#alu(s);
    const d = rng.pick(dsts);
    const cls = rng.chance(0.5) ? BpfClass.ALU64 : BpfClass.ALU;
    const k = rng.range(0, 30);
    const c = rng.pick([1 << k, (1 << k) + 1, (1 << k) - 1, 0x80000001 | 0, 33, 1025, 9]);
    const op = rng.pick([BpfAluOp.MUL, BpfAluOp.MUL, BpfAluOp.DIV, BpfAluOp.MOD]);
    this.#emit(insn(cls | op | BpfSource.K, d, 0, 0, c));
    this.#set(s, d, SCALAR);
  }

  /** a statement without control flow or calls */
  #straightLine(s: State): void {
    const roll = this.rng.int(6);
    if (roll === 0) this.#alu(s);
    else if (roll === 1) this.#aluSpecial(s);
    else if (roll === 2) {
      const w = this.#writable(s);
      if (w.length > 0) this.#load(s, this.rng.pick(w));
    } else if (roll === 3) this.#store(s);
    else if (roll === 4) this.#atomic(s);
    else this.#acquireRelease(s);
  }

  // --- layout ---------------------------------------------------------------------------------

  #layout(): BpfInsn[] {
    // A subprogram nobody calls would not be a function to the validator: its code would be
    // dead code appended to the previous function. Leave such plans out.
    const used = new Set<number>([0]);
    for (const plan of this.plans) {
      if (!used.has(plan.index)) continue;
      for (const piece of plan.code) if ('fn' in piece && piece.fn !== undefined) used.add(piece.fn);
    }
    const live = this.plans.filter((p) => used.has(p.index));
    this.plans.splice(0, this.plans.length, ...live);
    const starts: number[] = [];
    const labelPc = new Map<number, number>();
    let pc = 0;
    for (const plan of this.plans) {
      starts[plan.index] = pc;
      for (const piece of plan.code) {
        if ('bind' in piece) labelPc.set(piece.bind, pc);
        else pc++;
      }
    }
    const out: BpfInsn[] = [];
    for (const plan of this.plans) {
      for (const piece of plan.code) {
        if ('bind' in piece) continue;
        const at = out.length;
        const i = piece.insn; // each piece owns its instruction object
        if (piece.label !== undefined) {
          const delta = (labelPc.get(piece.label) as number) - (at + 1);
          if ((i.code & 0x07) === BpfClass.JMP32 && (i.code & 0xf0) === BpfJmpOp.JA) i.imm = delta;
          else i.off = delta;
        }
        if (piece.fn !== undefined) i.imm = (starts[piece.fn] as number) - (at + 1);
        out.push(i);
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Forms: the coverage vocabulary. A form is an opcode plus the field values that change its
// meaning (signed division, MOVSX widths, byte-order widths, atomic operations, call kinds,
// R11 stack arguments).

const ATOMIC_NAMES: Readonly<Record<number, string>> = {
  [BpfAtomicOp.ADD]: 'add',
  [BpfAtomicOp.ADD | BpfAtomicOp.FETCH]: 'fetch_add',
  [BpfAtomicOp.OR]: 'or',
  [BpfAtomicOp.OR | BpfAtomicOp.FETCH]: 'fetch_or',
  [BpfAtomicOp.AND]: 'and',
  [BpfAtomicOp.AND | BpfAtomicOp.FETCH]: 'fetch_and',
  [BpfAtomicOp.XOR]: 'xor',
  [BpfAtomicOp.XOR | BpfAtomicOp.FETCH]: 'fetch_xor',
  [BpfAtomicOp.XCHG]: 'xchg',
  [BpfAtomicOp.CMPXCHG]: 'cmpxchg',
  [BpfAtomicOp.LOAD_ACQ]: 'load_acquire',
  [BpfAtomicOp.STORE_REL]: 'store_release',
};

/** The form of one instruction (the second slot of an LDDW has none: pass the first). */
export function formKey(i: BpfInsn): string {
  const info = opcodeInfo(i.code);
  if (!info) return `unknown 0x${i.code.toString(16)}`;
  const code = `0x${i.code.toString(16).padStart(2, '0')}`;
  switch (info.form) {
    case 'alu': {
      const variant = i.off !== 0 ? ` off=${i.off}` : '';
      return `${info.mnemonic} ${info.usesSrcReg ? 'reg' : 'imm'}${variant} (${code})`;
    }
    case 'neg':
    case 'exit':
      return `${info.mnemonic} (${code})`;
    case 'end':
      return `${info.mnemonic}${i.imm} (${code})`;
    case 'ja':
      return `${info.cls === BpfClass.JMP32 ? 'gotol' : 'ja'} (${code})`;
    case 'jcond':
      return `${info.mnemonic} ${info.usesSrcReg ? 'reg' : 'imm'} (${code})`;
    case 'call':
      return `call ${['helper', 'local', 'native'][i.src] ?? i.src} (${code})`;
    case 'callx':
      return `callx (${code})`;
    case 'lddw':
      return i.src === 0 ? `lddw (${code})` : `lddw src=${i.src} (${code})`;
    case 'ldx':
    case 'ldxsx':
      return `${info.mnemonic}${i.src === BPF_REG_PARAMS ? ' r11' : ''} (${code})`;
    case 'st':
    case 'stx':
      return `${info.mnemonic}${i.dst === BPF_REG_PARAMS ? ' r11' : ''} (${code})`;
    case 'atomic':
      return `atomic${(info.size ?? 8) * 8} ${ATOMIC_NAMES[i.imm] ?? `imm=${i.imm}`} (${code})`;
    case 'ld-legacy':
      return `${info.mnemonic} (${code})`;
  }
}

/** Forms of every slot of a program (LDDW counted once). */
export function programForms(insns: readonly BpfInsn[], into: Set<string> = new Set()): Set<string> {
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc] as BpfInsn;
    into.add(formKey(i));
    if (i.code === OP_LDDW) pc++;
  }
  return into;
}

/**
 * Every form the generator must produce: all of OPCODE_TABLE with each meaningful field value,
 * except what is outside a self-contained program (helper and native calls, LDDW map/BTF
 * pseudo forms, legacy packet loads), plus the R11 stack-argument forms.
 */
export function generatorForms(): string[] {
  const keys = new Set<string>();
  const values = (rule: OpcodeInfo['off']): number[] => (Array.isArray(rule) ? [...(rule as readonly number[])] : [0]);
  for (const info of OPCODE_TABLE.values()) {
    if (info.form === 'ld-legacy') continue;
    for (const off of values(info.off)) {
      for (const imm of values(info.imm)) {
        for (const src of values(info.src)) {
          if (info.form === 'call' && src !== 1) continue;
          if (info.form === 'lddw' && src !== 0 && src !== 4) continue;
          keys.add(formKey({ code: info.code, dst: 0, src, off, imm }));
        }
      }
    }
  }
  keys.add(formKey({ code: BpfClass.LDX | BpfMode.MEM | BpfSize.DW, dst: 0, src: BPF_REG_PARAMS, off: 8, imm: 0 }));
  keys.add(formKey({ code: BpfClass.STX | BpfMode.MEM | BpfSize.DW, dst: BPF_REG_PARAMS, src: 0, off: -8, imm: 0 }));
  keys.add(formKey({ code: BpfClass.ST | BpfMode.MEM | BpfSize.DW, dst: BPF_REG_PARAMS, src: 0, off: -8, imm: 0 }));
  return [...keys].sort();
}
