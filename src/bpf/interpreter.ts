import type { HelperEnv, HelperRegistry, NativeRegistry } from './helpers.js';
import type { BpfInsn } from './instruction.js';
import { lddwValue } from './instruction.js';
import { opcodeInfo } from './insn-kind.js';
import type { MemoryRegion } from './memory.js';
import { BpfBudgetError, BpfPointerError } from './runtime-errors.js';
import { checkedOffset, offsetInside, type PointerCheck } from './pointer-checks.js';
import { BpfRuntimeError, CODE_BASE, MEM_BASE, Memory, STACK_STRIDE, STACK_TOP } from './memory.js';
import { BPF_REG_FP, BPF_REG_PARAMS, BpfAluOp, BpfAtomicOp, BpfClass, BpfJmpOp, BpfPseudo } from './opcodes.js';
import type { ValidateOptions } from './validate.js';
import { MAX_CALL_FRAMES, MAX_STACK_ARG_SLOTS, STACK_FRAME_SIZE, validateProgram } from './validate.js';

/**
 * Reference interpreter with the exact semantics of RFC 9669 (plus the Linux extensions the
 * project supports: load-acquire/store-release, native calls, R11 stack arguments). It favours
 * being obviously right: registers are unsigned 64-bit BigInts, every result is reduced with
 * BigInt.asUintN, every memory access is bounds-checked against `Memory`.
 */

/** Stack bytes per frame (RFC 9669 leaves it to the runtime; Linux and uBPF use 512). */
export const STACK_SIZE = STACK_FRAME_SIZE;
export { MAX_CALL_FRAMES };
export const DEFAULT_MAX_INSTRUCTIONS = 1_000_000;

export interface InterpretOptions {
  /**
   * The context/packet buffer. It is copied; R1 holds the copy's address and R2 its length
   * (R1 = R2 = 0 when null or absent). The final contents come back in the result.
   */
  mem?: Uint8Array | null;
  /** initial R1..R5, overriding the `mem` convention for the ones given */
  args?: readonly bigint[];
  /** an address space with extra regions (map values, global data) already mapped */
  memory?: Memory;
  helpers?: HelperRegistry;
  natives?: NativeRegistry;
  /** value of LDDW pseudo forms other than 0 (constant) and 4 (function address) */
  resolvePseudo?: (pseudo: number, imm: number, nextImm: number, pc: number) => bigint;
  /** instruction budget; running past it is an error (default 1,000,000) */
  maxInstructions?: number;
  /** structural validation before running (default true); options are passed on */
  validate?: boolean | ValidateOptions;
  /**
   * bpf_tail_call (helper 12): the (prepared) program in slot `index` of the prog array at
   * `map`, or undefined when there is none; then the call fails and the program goes on with
   * R0 unchanged. At most MAX_TAIL_CALL_CNT (33) tail calls succeed in one run. The target
   * replaces the running function: its exit returns where that function's would have.
   */
  tailCall?: (map: bigint, index: bigint, pc: number) => readonly BpfInsn[] | undefined;
  /**
   * Memory for the stack frames (at least MAX_CALL_FRAMES * 512 bytes): frame i uses bytes
   * [i*512, (i+1)*512), mapped at base + i*512 while it is live, zeroed when it starts. The
   * runtime passes native memory here so helpers see stack pointers at their real addresses.
   */
  stackMemory?: { readonly bytes: Uint8Array; readonly base: bigint };
  /**
   * Where function addresses (LDDW src 4) start: slot i is codeBase + 8 * i (default
   * CODE_BASE). Tests move it to see whether a result depends on a function's address.
   */
  codeBase?: bigint;
  /**
   * The sandbox's pointer-arithmetic checks (pointer-checks.ts; the sandbox's analysis makes
   * them: VerifyResult.facts.pointerChecks), by pc of the entry program: the instruction stops
   * with a BpfPointerError when it would take a map-value pointer out of its value.
   */
  pointerChecks?: ReadonlyMap<number, PointerCheck>;
}

export interface InterpretResult {
  /** R0 at the final exit */
  value: bigint;
  /** instructions executed */
  instructions: number;
  /** final contents of the context/packet buffer (null when none was given) */
  mem: Uint8Array | null;
  /** the address space, with any caller-mapped regions as the program left them */
  memory: Memory;
}

/** The instructions being run, with their immediates pre-widened. */
interface Code {
  readonly program: readonly BpfInsn[];
  readonly imm64: readonly bigint[];
  readonly imm32: readonly bigint[];
}

/** bpf_tail_call, handled by the interpreter itself when `tailCall` is given. */
const TAIL_CALL_HELPER_ID = 12;
const MAX_TAIL_CALLS = 33;

interface Frame {
  returnPc: number;
  /** the code to return into */
  returnCode: Code;
  /** R6-R9 of the caller, restored on return (the callee may use them freely) */
  saved: bigint[];
  region: MemoryRegion;
  fp: bigint;
  /** incoming stack arguments (args 6..12), undefined = not passed */
  incoming: (bigint | undefined)[];
  /** outgoing stack-argument slots stored since the last call */
  outgoing: (bigint | undefined)[];
}

class ExitSignal {
  constructor(readonly value: bigint) {}
}

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const U32 = (v: bigint): bigint => BigInt.asUintN(32, v);

/** Run a program to completion. Throws BpfValidationError or BpfRuntimeError. */
export function interpret(entryProgram: readonly BpfInsn[], options: InterpretOptions = {}): InterpretResult {
  let program = entryProgram;
  if (options.validate !== false) {
    // Native arities drive the stack-argument checks, so the registry goes to the validator.
    const given = typeof options.validate === 'object' ? options.validate : {};
    validateProgram(program, options.natives && !given.natives ? { ...given, natives: options.natives } : given);
  }
  const memory = options.memory ?? new Memory();
  const codeBase = options.codeBase ?? CODE_BASE;
  // Immediates pre-widened once: ALU64/JMP sign-extend imm to 64 bits, ALU/JMP32 use 32.
  const codeOf = (p: readonly BpfInsn[]): Code => ({ program: p, imm64: p.map((i) => U64(BigInt(i.imm))), imm32: p.map((i) => U32(BigInt(i.imm))) });
  let code = codeOf(program);
  let len = program.length;
  let imm64 = code.imm64;
  let imm32 = code.imm32;
  const enter = (c: Code): void => {
    code = c;
    program = c.program;
    len = c.program.length;
    imm64 = c.imm64;
    imm32 = c.imm32;
  };
  let tailCalls = 0;
  const pointerChecks = options.pointerChecks !== undefined && options.pointerChecks.size > 0 ? options.pointerChecks : undefined;
  const checkPointer = (atPc: number): void => {
    const c = pointerChecks?.get(atPc);
    if (c === undefined) return;
    const offset = checkedOffset(c, regs[c.scalarReg] as bigint);
    if (!offsetInside(c, offset)) throw new BpfPointerError(atPc, c, offset);
  };
  const maxInstructions = options.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
  const helpers = options.helpers ?? new Map();
  const natives = options.natives ?? new Map();

  let ctx: MemoryRegion | undefined;
  const mem = options.mem ? Uint8Array.from(options.mem) : null;
  if (mem) ctx = memory.addRegion('mem', mem, { base: MEM_BASE, kind: 'mem' });

  const regs: bigint[] = new Array<bigint>(11).fill(0n);
  if (mem) {
    regs[1] = MEM_BASE;
    regs[2] = BigInt(mem.length);
  }
  options.args?.forEach((v, i) => {
    if (i < 5) regs[i + 1] = U64(v);
  });

  const frames: Frame[] = [];
  const stackMemory = options.stackMemory;
  if (stackMemory && stackMemory.bytes.length < MAX_CALL_FRAMES * STACK_SIZE) throw new RangeError(`stackMemory has ${stackMemory.bytes.length} bytes, fewer than ${MAX_CALL_FRAMES} frames of ${STACK_SIZE}`);
  /** The region of stack frame `depth` (0 = the entry function's), fresh and zeroed. */
  const frameRegion = (depth: number): MemoryRegion => {
    if (!stackMemory) {
      const top = STACK_TOP - BigInt(depth) * STACK_STRIDE;
      return memory.addRegion(`stack frame ${depth}`, new Uint8Array(STACK_SIZE), { base: top - BigInt(STACK_SIZE), kind: 'stack' });
    }
    const bytes = stackMemory.bytes.subarray(depth * STACK_SIZE, (depth + 1) * STACK_SIZE);
    bytes.fill(0);
    return memory.addRegion(`stack frame ${depth}`, bytes, { base: stackMemory.base + BigInt(depth * STACK_SIZE), kind: 'stack' });
  };
  const pushFrame = (returnPc: number, incoming: (bigint | undefined)[], pc: number): void => {
    if (frames.length >= MAX_CALL_FRAMES) throw new BpfRuntimeError(`call stack exceeds ${MAX_CALL_FRAMES} frames`, pc);
    const region = frameRegion(frames.length);
    const fp = region.base + BigInt(STACK_SIZE);
    frames.push({ returnPc, returnCode: code, saved: regs.slice(6, 10), region, fp, incoming, outgoing: [] });
    regs[BPF_REG_FP] = fp;
  };
  pushFrame(-1, [], 0);

  let pc = 0;
  let count = 0;
  const env = (atPc: number): HelperEnv => ({
    memory,
    pc: atPc,
    exit(value: bigint): never {
      throw new ExitSignal(U64(value));
    },
  });

  const callLocal = (target: number, atPc: number): void => {
    if (target < 0 || target >= len) throw new BpfRuntimeError(`call target ${target} is outside the program`, atPc);
    const caller = frames[frames.length - 1] as Frame;
    const incoming = caller.outgoing;
    caller.outgoing = [];
    pushFrame(atPc + 1, incoming, atPc);
    pc = target;
  };

  try {
    for (;;) {
      if (pc < 0 || pc >= len) throw new BpfRuntimeError('execution left the program', pc);
      if (++count > maxInstructions) throw new BpfBudgetError(pc, maxInstructions, 'instructions');
      const insn = program[pc] as BpfInsn;
      const code = insn.code;
      const cls = code & 0x07;
      switch (cls) {
        case BpfClass.ALU64:
        case BpfClass.ALU: {
          const op = code & 0xf0;
          const wide = cls === BpfClass.ALU64;
          const dst = insn.dst;
          if (op === BpfAluOp.END) {
            regs[dst] = byteOrder(regs[dst] as bigint, insn.imm, wide ? 'swap' : code & 0x08 ? 'be' : 'le');
          } else if (op === BpfAluOp.NEG) {
            regs[dst] = wide ? U64(-(regs[dst] as bigint)) : U32(-(regs[dst] as bigint));
          } else {
            const useReg = (code & 0x08) !== 0;
            if (wide) {
              const b = useReg ? (regs[insn.src] as bigint) : (imm64[pc] as bigint);
              if (pointerChecks !== undefined && program === entryProgram) checkPointer(pc);
              regs[dst] = alu(64, op, regs[dst] as bigint, b, insn.off);
            } else {
              const b = useReg ? U32(regs[insn.src] as bigint) : (imm32[pc] as bigint);
              regs[dst] = alu(32, op, U32(regs[dst] as bigint), b, insn.off);
            }
          }
          pc++;
          break;
        }
        case BpfClass.JMP:
        case BpfClass.JMP32: {
          const op = code & 0xf0;
          if (op === BpfJmpOp.JA) {
            pc += 1 + (cls === BpfClass.JMP32 ? insn.imm : insn.off);
            break;
          }
          if (op === BpfJmpOp.EXIT) {
            const frame = frames.pop() as Frame;
            memory.removeRegion(frame.region);
            if (frames.length === 0) return finish(regs[0] as bigint);
            for (let r = 0; r < 4; r++) regs[6 + r] = frame.saved[r] as bigint;
            regs[BPF_REG_FP] = (frames[frames.length - 1] as Frame).fp;
            enter(frame.returnCode);
            pc = frame.returnPc;
            break;
          }
          if (op === BpfJmpOp.CALL) {
            doCall(insn, pc);
            break;
          }
          const useReg = (code & 0x08) !== 0;
          let a = regs[insn.dst] as bigint;
          let b: bigint;
          if (cls === BpfClass.JMP32) {
            a = U32(a);
            b = useReg ? U32(regs[insn.src] as bigint) : (imm32[pc] as bigint);
          } else {
            b = useReg ? (regs[insn.src] as bigint) : (imm64[pc] as bigint);
          }
          pc += condition(op, a, b, cls === BpfClass.JMP32 ? 32 : 64) ? 1 + insn.off : 1;
          break;
        }
        case BpfClass.LDX: {
          const size = sizeOf(code);
          if (insn.src === BPF_REG_PARAMS) {
            regs[insn.dst] = readStackArg(insn.off, pc);
          } else {
            const addr = U64((regs[insn.src] as bigint) + BigInt(insn.off));
            const v = memory.load(addr, size, pc);
            regs[insn.dst] = (code & 0xe0) === 0x80 ? U64(BigInt.asIntN(size * 8, v)) : v;
          }
          pc++;
          break;
        }
        case BpfClass.ST:
        case BpfClass.STX: {
          const size = sizeOf(code);
          const mode = code & 0xe0;
          if (mode === 0xc0) {
            atomic(insn, size, pc);
            pc++;
            break;
          }
          const value = cls === BpfClass.ST ? (imm64[pc] as bigint) : (regs[insn.src] as bigint);
          if (insn.dst === BPF_REG_PARAMS) {
            writeStackArg(insn.off, value, pc);
          } else {
            memory.store(U64((regs[insn.dst] as bigint) + BigInt(insn.off)), size, value, pc);
          }
          pc++;
          break;
        }
        case BpfClass.LD: {
          const next = program[pc + 1];
          if (code !== 0x18 || next === undefined) throw new BpfRuntimeError(`unsupported LD instruction 0x${code.toString(16)}`, pc);
          regs[insn.dst] = lddwResult(insn, next, pc);
          pc += 2;
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof ExitSignal) return finish(e.value);
    releaseRegions();
    if (e instanceof BpfRuntimeError) throw e;
    // Only reachable with validation turned off (unknown opcode, register > 10, ...) or when
    // a helper throws: still an error naming the pc, never a crash of the host.
    throw new BpfRuntimeError(`invalid instruction or failing call: ${e instanceof Error ? e.message : String(e)}`, pc);
  }

  /** Stack frames and the context buffer leave the address space when the run ends. */
  function releaseRegions(): void {
    for (const f of frames) memory.removeRegion(f.region);
    frames.length = 0;
    if (ctx) memory.removeRegion(ctx);
  }

  function finish(value: bigint): InterpretResult {
    releaseRegions();
    return { value, instructions: count, mem, memory };
  }

  function readStackArg(off: number, atPc: number): bigint {
    const frame = frames[frames.length - 1] as Frame;
    const slot = off / 8 - 1;
    const v = Number.isInteger(slot) && slot >= 0 ? frame.incoming[slot] : undefined;
    if (v === undefined) throw new BpfRuntimeError(`read of stack argument [r11+${off}] that the caller did not pass`, atPc);
    return v;
  }

  function writeStackArg(off: number, value: bigint, atPc: number): void {
    const slot = -off / 8 - 1;
    if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_STACK_ARG_SLOTS) throw new BpfRuntimeError(`invalid stack argument store [r11${off}]`, atPc);
    (frames[frames.length - 1] as Frame).outgoing[slot] = U64(value);
  }

  function doCall(insn: BpfInsn, atPc: number): void {
    if ((insn.code & 0x08) !== 0) {
      // callx: the register holds a function address (LDDW src 4) or, as in uBPF, a helper id.
      const target = regs[insn.dst] as bigint;
      if (target >= codeBase && target < codeBase + BigInt(len) * 8n && (target - codeBase) % 8n === 0n) {
        callLocal(Number((target - codeBase) / 8n), atPc);
        return;
      }
      if (target > 0x7fff_ffffn) throw new BpfRuntimeError(`callx through r${insn.dst} = 0x${target.toString(16)}: not a function address or helper id`, atPc);
      callHelper(Number(target), atPc);
      return;
    }
    if (insn.src === 1) {
      callLocal(atPc + 1 + insn.imm, atPc);
      return;
    }
    if (insn.src === 2) {
      const fn = natives.get(insn.imm);
      if (!fn) throw new BpfRuntimeError(`unknown native function id ${insn.imm}`, atPc);
      const frame = frames[frames.length - 1] as Frame;
      const args = regs.slice(1, 6);
      for (let i = 0; i < fn.arity - 5; i++) {
        const v = frame.outgoing[i];
        if (v === undefined) throw new BpfRuntimeError(`native function '${fn.name}' takes ${fn.arity} arguments but stack arg${i + 1} is not stored`, atPc);
        args.push(v);
      }
      frame.outgoing = [];
      regs[0] = U64(fn.call(args.slice(0, fn.arity), env(atPc)));
      pc = atPc + 1;
      return;
    }
    callHelper(insn.imm, atPc);
  }

  function callHelper(id: number, atPc: number): void {
    if (id === TAIL_CALL_HELPER_ID && options.tailCall) {
      tailCall(atPc);
      return;
    }
    const fn = helpers.get(id);
    if (!fn) throw new BpfRuntimeError(`unknown helper function id ${id}`, atPc);
    const frame = frames[frames.length - 1] as Frame;
    frame.outgoing = [];
    regs[0] = U64(fn(regs[1] as bigint, regs[2] as bigint, regs[3] as bigint, regs[4] as bigint, regs[5] as bigint, env(atPc)));
    pc = atPc + 1;
  }

  /**
   * bpf_tail_call(ctx, prog_array, index): on success the running function's frame starts
   * over (fresh stack, R1 = ctx still) in the target program; else R0 is left as it was.
   */
  function tailCall(atPc: number): void {
    const frame = frames[frames.length - 1] as Frame;
    frame.outgoing = [];
    pc = atPc + 1;
    if (tailCalls >= MAX_TAIL_CALLS) return;
    const target = options.tailCall!(regs[2] as bigint, U32(regs[3] as bigint), atPc);
    if (target === undefined) return;
    tailCalls++;
    memory.removeRegion(frame.region);
    frame.region = frameRegion(frames.length - 1);
    frame.incoming = [];
    regs[BPF_REG_FP] = frame.fp;
    enter(codeOf(target));
    pc = 0;
  }

  function atomic(insn: BpfInsn, size: 1 | 2 | 4 | 8, atPc: number): void {
    const imm = insn.imm;
    if (imm === BpfAtomicOp.LOAD_ACQ) {
      // dst = *(src + off): a load with acquire ordering (single-threaded here).
      regs[insn.dst] = memory.load(U64((regs[insn.src] as bigint) + BigInt(insn.off)), size, atPc);
      return;
    }
    const addr = U64((regs[insn.dst] as bigint) + BigInt(insn.off));
    if (imm === BpfAtomicOp.STORE_REL) {
      memory.store(addr, size, regs[insn.src] as bigint, atPc);
      return;
    }
    const mask = size === 8 ? U64 : U32;
    memory.checkWrite(addr, size, atPc);
    const old = memory.load(addr, size, atPc);
    const operand = mask(regs[insn.src] as bigint);
    if (imm === BpfAtomicOp.CMPXCHG) {
      // RFC 9669 5.3: compare R0 with *(dst+off); if equal store src; R0 = old value
      // (zero-extended for 32-bit).
      if (mask(regs[0] as bigint) === old) memory.store(addr, size, operand, atPc);
      regs[0] = old;
      return;
    }
    if (imm === BpfAtomicOp.XCHG) {
      memory.store(addr, size, operand, atPc);
      regs[insn.src] = old;
      return;
    }
    let result: bigint;
    switch (imm & 0xf0) {
      case BpfAtomicOp.ADD:
        result = old + operand;
        break;
      case BpfAtomicOp.OR:
        result = old | operand;
        break;
      case BpfAtomicOp.AND:
        result = old & operand;
        break;
      case BpfAtomicOp.XOR:
        result = old ^ operand;
        break;
      default:
        throw new BpfRuntimeError(`invalid atomic operation 0x${imm.toString(16)}`, atPc);
    }
    memory.store(addr, size, mask(result), atPc);
    if (imm & BpfAtomicOp.FETCH) regs[insn.src] = old;
  }

  function lddwResult(lo: BpfInsn, hi: BpfInsn, atPc: number): bigint {
    if (lo.src === BpfPseudo.IMM64) return lddwValue(lo, hi);
    if (lo.src === BpfPseudo.FUNC) return codeBase + BigInt(atPc + 1 + lo.imm) * 8n;
    if (!options.resolvePseudo) throw new BpfRuntimeError(`LDDW pseudo form src=${lo.src} needs a resolvePseudo option`, atPc);
    return U64(options.resolvePseudo(lo.src, lo.imm, hi.imm, atPc));
  }
}

function sizeOf(code: number): 1 | 2 | 4 | 8 {
  return opcodeInfo(code)?.size ?? 8;
}

/**
 * RFC 9669 section 4.1. ALU64 works on 64 bits; ALU (32-bit) on the low halves, its result
 * zero-extended. Shifts mask the count to the width; x/0 = 0 and x%0 = x (for ALU the upper
 * half of x is still cleared); off 1 selects SDIV/SMOD, whose BigInt division truncates toward
 * zero as required (INT_MIN / -1 wraps back to INT_MIN through the mask); MOV with off 8/16/32
 * is MOVSX, sign-extending the low `off` bits of src.
 */
/** ALU result (RFC 9669 4.1) of op on a and b, already truncated to `width`; shared with the JIT's constant folding. */
export function alu(width: 32 | 64, op: number, a: bigint, b: bigint, off: number): bigint {
  const wrap = width === 64 ? U64 : U32;
  const count = width === 64 ? 63n : 31n;
  switch (op) {
    case BpfAluOp.ADD:
      return wrap(a + b);
    case BpfAluOp.SUB:
      return wrap(a - b);
    case BpfAluOp.MUL:
      return wrap(a * b);
    case BpfAluOp.DIV:
      if (b === 0n) return 0n;
      return off === 1 ? wrap(BigInt.asIntN(width, a) / BigInt.asIntN(width, b)) : a / b;
    case BpfAluOp.MOD:
      if (b === 0n) return a;
      return off === 1 ? wrap(BigInt.asIntN(width, a) % BigInt.asIntN(width, b)) : a % b;
    case BpfAluOp.OR:
      return a | b;
    case BpfAluOp.AND:
      return a & b;
    case BpfAluOp.XOR:
      return a ^ b;
    case BpfAluOp.LSH:
      return wrap(a << (b & count));
    case BpfAluOp.RSH:
      return a >> (b & count);
    case BpfAluOp.ARSH:
      return wrap(BigInt.asIntN(width, a) >> (b & count));
    case BpfAluOp.MOV:
      return off === 0 ? b : wrap(BigInt.asIntN(off, b));
    default:
      throw new RangeError(`ALU${width === 64 ? '64' : ''} op 0x${op.toString(16)}`);
  }
}

/** RFC 9669 section 4.2: TO_LE/TO_BE convert from host (here: little-endian) order; BSWAP always swaps. */
export function byteOrder(value: bigint, bits: number, order: 'le' | 'be' | 'swap'): bigint {
  const width = bits === 16 || bits === 32 ? bits : 64;
  const v = BigInt.asUintN(width, value);
  if (order === 'le') return v;
  let out = 0n;
  for (let i = 0; i < width / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** RFC 9669 section 4.3 conditions; a and b already truncated to `width` bits. */
export function condition(op: number, a: bigint, b: bigint, width: 32 | 64): boolean {
  switch (op) {
    case BpfJmpOp.JEQ:
      return a === b;
    case BpfJmpOp.JNE:
      return a !== b;
    case BpfJmpOp.JGT:
      return a > b;
    case BpfJmpOp.JGE:
      return a >= b;
    case BpfJmpOp.JLT:
      return a < b;
    case BpfJmpOp.JLE:
      return a <= b;
    case BpfJmpOp.JSET:
      return (a & b) !== 0n;
    case BpfJmpOp.JSGT:
      return BigInt.asIntN(width, a) > BigInt.asIntN(width, b);
    case BpfJmpOp.JSGE:
      return BigInt.asIntN(width, a) >= BigInt.asIntN(width, b);
    case BpfJmpOp.JSLT:
      return BigInt.asIntN(width, a) < BigInt.asIntN(width, b);
    case BpfJmpOp.JSLE:
      return BigInt.asIntN(width, a) <= BigInt.asIntN(width, b);
    default:
      throw new RangeError(`jump op 0x${op.toString(16)}`);
  }
}
