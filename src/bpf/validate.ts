import type { BpfInsn } from './instruction.js';
import type { FieldRule, OpcodeInfo } from './insn-kind.js';
import { OPCODE_TABLE, callTarget, fieldAllows, jumpTarget, opcodeInfo } from './insn-kind.js';
import { BPF_REG_FP, BPF_REG_PARAMS, BpfAtomicOp, BpfPseudo, OP_LDDW } from './opcodes.js';

/**
 * Load-time structural validation: everything that can be decided from the bytecode alone,
 * without tracking values. It is what makes the interpreter and the JIT safe to run a program
 * on: every opcode is known, reserved fields are zero, every jump and call lands on an
 * instruction of the same function, functions end in exit/ja, R10 is never written, fixed
 * R10 offsets stay inside the 512-byte frame, the call graph is acyclic and at most 8 frames
 * deep, and stack arguments through R11 follow the Linux rules (docs/bpf-stack-args.md).
 *
 * Stack-argument rule used for local calls: a function's expected argument count is derived
 * from its body. If the highest incoming slot it reads is `[r11 + 8*N]` it expects 5 + N
 * arguments and every caller must have stored all outgoing slots 1..N (`[r11-8]` ..
 * `[r11-8*N]`) on every path to the call; a function that reads no slot expects at most 5.
 * Native functions (CALL src 2) expect the arity given in `ValidateOptions.natives`.
 */
export class BpfValidationError extends Error {
  override readonly name = 'BpfValidationError';
  constructor(
    /** the rule that is broken, as the kernel verifier words it where it has a message */
    readonly reason: string,
    /** slot index of the offending instruction (-1 for whole-program problems) */
    readonly pc: number,
  ) {
    super(pc >= 0 ? `pc ${pc}: ${reason}` : reason);
  }
}

export interface ValidateOptions {
  /** if given, `call <id>` must name one of these helper ids */
  helpers?: ReadonlySet<number> | ReadonlyMap<number, unknown>;
  /** if given, `call native <id>` must name one of these; arity drives the stack-argument checks */
  natives?: ReadonlyMap<number, { readonly arity: number }>;
  /** most slots a program may have (default 1,000,000, as Linux) */
  maxSlots?: number;
  /** helper id of bpf_tail_call, which cannot be mixed with stack arguments (default 12, Linux) */
  tailCallHelperId?: number;
  /**
   * accept LD_ABS / LD_IND (RFC 9669 section 5.5): their meaning comes from a socket-buffer
   * program type, whose fixups (src/bpf/fixups) lower them before a program runs
   */
  legacyPacketAccess?: boolean;
}

export interface FunctionInfo {
  /** func#index, 0 = the entry function */
  readonly index: number;
  /** first slot */
  readonly start: number;
  /** one past the last slot */
  readonly end: number;
  /** highest incoming stack-argument slot read ([r11 + 8*n]), 0 if none */
  readonly stackArgsIn: number;
  /** highest outgoing stack-argument slot written ([r11 - 8*n]), 0 if none */
  readonly stackArgsOut: number;
  /** indices of functions called with `call local` */
  readonly callees: readonly number[];
  /** reached through LDDW src 4 (a callback), not only through calls */
  readonly isCallback: boolean;
}

export interface ProgramInfo {
  readonly functions: readonly FunctionInfo[];
  /** frames needed by the deepest static call chain (1 = no calls) */
  readonly maxCallFrames: number;
  /** slots that are the second half of an LDDW */
  readonly lddwTails: ReadonlySet<number>;
}

export const STACK_FRAME_SIZE = 512;
export const MAX_CALL_FRAMES = 8;
export const MAX_STACK_ARG_SLOTS = 7;

const fail = (reason: string, pc: number): never => {
  throw new BpfValidationError(reason, pc);
};

const isR11Load = (insn: BpfInsn): boolean => insn.code === 0x79 && insn.src === BPF_REG_PARAMS;
const isR11Store = (insn: BpfInsn): boolean => (insn.code === 0x7b || insn.code === 0x7a) && insn.dst === BPF_REG_PARAMS;

/** Check a program; returns its function layout. Throws BpfValidationError. */
export function validateProgram(program: readonly BpfInsn[], options: ValidateOptions = {}): ProgramInfo {
  const len = program.length;
  if (len === 0) fail('program is empty', -1);
  const maxSlots = options.maxSlots ?? 1_000_000;
  if (len > maxSlots) fail(`program has ${len} instructions, more than the limit of ${maxSlots}`, -1);

  const lddwTails = new Set<number>();
  /** lddwTails as flags, for the checks below */
  const tail = new Uint8Array(len);
  const infos: OpcodeInfo[] = new Array<OpcodeInfo>(len);
  let usesStackArgs = false;
  let localCalls = 0;
  // Functions: the entry point and every target of a local call or function address.
  const starts = new Set<number>([0]);
  const callbacks = new Set<number>();

  // Pass 1: each instruction on its own.
  for (let pc = 0; pc < len; pc++) {
    const insn = program[pc] as BpfInsn;
    const info = opcodeInfo(insn.code);
    if (!info) return fail(`unknown opcode 0x${insn.code.toString(16).padStart(2, '0')}`, pc);
    infos[pc] = info;
    if (info.form === 'ld-legacy' && options.legacyPacketAccess !== true) {
      fail('legacy packet access (LD|ABS, LD|IND) needs a socket-buffer program type (socket_filter, sched_cls, sched_act, cgroup_skb)', pc);
    }
    fieldsOk(insn, info, pc);
    checkRegisters(insn, info, pc);
    if (isR11Load(insn) || isR11Store(insn)) usesStackArgs = true;

    switch (info.form) {
      case 'lddw': {
        const second = program[pc + 1];
        if (second === undefined) fail('lddw is the last slot: its second half is missing', pc);
        const t = second as BpfInsn;
        if (t.code !== 0 || t.dst !== 0 || t.src !== 0 || t.off !== 0) fail('invalid second slot of lddw: code, registers and offset must be 0', pc + 1);
        if (insn.src === BpfPseudo.FUNC) {
          checkCallTarget(program, callTarget(insn, pc), pc);
          starts.add(callTarget(insn, pc));
          callbacks.add(callTarget(insn, pc));
        }
        lddwTails.add(pc + 1);
        tail[pc + 1] = 1;
        pc++;
        break;
      }
      case 'ja':
      case 'jcond': {
        const target = jumpTarget(insn, pc);
        if (target < 0 || target >= len) fail(`jump out of range from insn ${pc} to ${target}`, pc);
        break;
      }
      case 'call':
        if (insn.src === 1) {
          checkCallTarget(program, callTarget(insn, pc), pc);
          starts.add(callTarget(insn, pc));
          localCalls++;
        } else if (insn.src === 0 && options.helpers && !options.helpers.has(insn.imm)) fail(`unknown helper function id ${insn.imm}`, pc);
        else if (insn.src === 2 && options.natives && !options.natives.has(insn.imm)) fail(`unknown native function id ${insn.imm}`, pc);
        break;
      default:
        break;
    }
  }
  // Jumps into the second half of an LDDW (needs all tails known first).
  for (let pc = 0; pc < len && lddwTails.size > 0; pc++) {
    const info = infos[pc];
    if (!info || tail[pc] === 1) continue;
    if (info.form === 'ja' || info.form === 'jcond') {
      const target = jumpTarget(program[pc] as BpfInsn, pc);
      if (tail[target] === 1) fail(`jump into the middle of ldimm64 insn ${target - 1}`, pc);
    }
    const insn = program[pc] as BpfInsn;
    const callsLocal = (info.form === 'call' && insn.src === 1) || (info.form === 'lddw' && insn.src === BpfPseudo.FUNC);
    if (callsLocal && tail[callTarget(insn, pc)] === 1) fail(`call into the middle of ldimm64 insn ${callTarget(insn, pc) - 1}`, pc);
  }

  const sorted = [...starts].sort((a, b) => a - b);
  const funcOf = new Int32Array(len);
  sorted.forEach((s, i) => {
    const end = sorted[i + 1] ?? len;
    funcOf.fill(i, s, end);
  });
  sorted.forEach((s, i) => {
    const end = sorted[i + 1] ?? len;
    // The last slot of a function must not fall through (into the next function or off the end).
    const last = end - 1;
    const form = tail[last] === 1 ? 'lddw' : infos[last]?.form;
    if (form !== 'exit' && form !== 'ja') fail(i === sorted.length - 1 && i === 0 ? 'last insn is not an exit or jmp' : `last insn of func#${i} is not an exit or jmp`, last);
    for (let pc = s; pc < end; pc++) {
      const f = infos[pc]?.form;
      if (tail[pc] === 1 || (f !== 'ja' && f !== 'jcond')) continue;
      const target = jumpTarget(program[pc] as BpfInsn, pc);
      if (target < s || target >= end) fail(`jump out of range from insn ${pc} to ${target}`, pc);
    }
  });

  // Call graph: acyclic and at most MAX_CALL_FRAMES deep.
  const callees: number[][] = sorted.map(() => []);
  const callSites: { pc: number; from: number; to: number }[] = [];
  for (let pc = 0; pc < len && localCalls > 0; pc++) {
    const insn = program[pc] as BpfInsn;
    if (tail[pc] === 1 || infos[pc]?.form !== 'call' || insn.src !== 1) continue;
    const from = funcOf[pc] as number;
    const to = funcOf[callTarget(insn, pc)] as number;
    callees[from]?.push(to);
    callSites.push({ pc, from, to });
  }
  const depthMemo = new Map<number, number>();
  const onStack = new Set<number>();
  const frames = (f: number): number => {
    const known = depthMemo.get(f);
    if (known !== undefined) return known;
    onStack.add(f);
    let deepest = 0;
    for (const site of callSites) {
      if (site.from !== f) continue;
      if (onStack.has(site.to)) fail(`recursive call: func#${site.to} is called again from func#${f} while it is running`, site.pc);
      deepest = Math.max(deepest, frames(site.to));
    }
    onStack.delete(f);
    depthMemo.set(f, deepest + 1);
    return deepest + 1;
  };
  let maxCallFrames = 0;
  for (let f = 0; f < sorted.length; f++) {
    if (f !== 0 && !callbacks.has(sorted[f] as number)) continue;
    const n = frames(f) + (f === 0 ? 0 : 1);
    maxCallFrames = Math.max(maxCallFrames, n);
    if (n > MAX_CALL_FRAMES) fail(`the call stack of ${n} frames is too deep`, sorted[f] as number);
  }

  // Stack arguments (R11).
  const slotsIn = sorted.map(() => 0);
  const slotsOut = sorted.map(() => 0);
  for (let pc = 0; pc < len && usesStackArgs; pc++) {
    if (tail[pc] === 1) continue;
    const insn = program[pc] as BpfInsn;
    const f = funcOf[pc] as number;
    if (isR11Load(insn)) slotsIn[f] = Math.max(slotsIn[f] as number, insn.off / 8);
    if (isR11Store(insn)) slotsOut[f] = Math.max(slotsOut[f] as number, -insn.off / 8);
  }
  if (usesStackArgs) {
    const tailCall = options.tailCallHelperId ?? 12;
    for (let pc = 0; pc < len; pc++) {
      const insn = program[pc] as BpfInsn;
      if (tail[pc] !== 1 && infos[pc]?.form === 'call' && insn.src === 0 && insn.imm === tailCall) {
        fail('tail calls cannot be used in a program that passes stack arguments', pc);
      }
    }
    sorted.forEach((s, f) => {
      if (f !== 0 && !callbacks.has(s)) return;
      // The entry function and callbacks are called with at most 5 arguments.
      for (let pc = s; pc < (sorted[f + 1] ?? len); pc++) {
        const insn = program[pc] as BpfInsn;
        if (tail[pc] !== 1 && isR11Load(insn)) fail(`invalid read from stack arg off ${insn.off} depth ${f === 0 ? 0 : 1}`, pc);
      }
    });
    sorted.forEach((s, f) => checkStackArgFlow(program, infos, lddwTails, s, sorted[f + 1] ?? len, f, funcOf, slotsIn, slotsOut[f] as number, options));
  }

  const functions: FunctionInfo[] = sorted.map((start, index) => ({
    index,
    start,
    end: sorted[index + 1] ?? len,
    stackArgsIn: slotsIn[index] as number,
    stackArgsOut: slotsOut[index] as number,
    callees: [...new Set(callees[index])],
    isCallback: callbacks.has(start),
  }));
  return { functions, maxCallFrames, lddwTails };
}

/**
 * Per opcode byte, how its fields are checked: bits 0-3 = dst, src, off, imm must be zero,
 * bit 4 = some field has a list of allowed values. Most instructions need only the zero
 * tests, made inline; anything else (or any failure) takes checkFields.
 */
const FIELD_CHECKS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const [code, info] of OPCODE_TABLE) {
    let m = 0;
    const rules = [info.dst, info.src, info.off, info.imm];
    for (let f = 0; f < 4; f++) {
      const rule = rules[f]!;
      if (rule === 'zero') m |= 1 << f;
      else if (typeof rule !== 'string') m |= 16;
    }
    t[code] = m;
  }
  return t;
})();

/** The reserved-field and allowed-value rules of an instruction; throws for the first broken one. */
function fieldsOk(insn: BpfInsn, info: OpcodeInfo, pc: number): void {
  const m = FIELD_CHECKS[info.code]!;
  if ((m & 16) !== 0 || ((m & 1) !== 0 && insn.dst !== 0) || ((m & 2) !== 0 && insn.src !== 0) || ((m & 4) !== 0 && insn.off !== 0) || ((m & 8) !== 0 && insn.imm !== 0)) {
    checkFields(insn, info, pc);
  }
}

function checkFields(insn: BpfInsn, info: OpcodeInfo, pc: number): void {
  // one field at a time, in this order (the first broken one is reported); registers are
  // checked with the R11 rules
  checkField(info, info.dst, insn.dst, 'dst', pc);
  checkField(info, info.src, insn.src, 'src', pc);
  checkField(info, info.off, insn.off, 'off', pc);
  checkField(info, info.imm, insn.imm, 'imm', pc);
}

function checkField(info: OpcodeInfo, rule: FieldRule, value: number, field: string, pc: number): void {
  if (rule === 'reg' || fieldAllows(rule, value)) return;
  const name = `${info.mnemonic} (opcode 0x${info.code.toString(16).padStart(2, '0')})`;
  if (rule === 'zero') fail(`${name}: reserved field ${field} must be 0, is ${value}`, pc);
  fail(`${name}: invalid ${field} ${value} (allowed: ${(rule as readonly number[]).join(', ')})`, pc);
}

/** Which fields the instruction writes as a destination register. */
function writesDst(info: OpcodeInfo, insn: BpfInsn): boolean {
  switch (info.form) {
    case 'alu':
    case 'neg':
    case 'end':
    case 'ldx':
    case 'ldxsx':
    case 'lddw':
      return true;
    case 'atomic':
      return insn.imm === BpfAtomicOp.LOAD_ACQ;
    default:
      return false;
  }
}

function checkRegisters(insn: BpfInsn, info: OpcodeInfo, pc: number): void {
  const r11Load = isR11Load(insn);
  const r11Store = isR11Store(insn);
  if (info.dst === 'reg') checkRegister(insn.dst, r11Store, pc);
  if (info.src === 'reg') checkRegister(insn.src, r11Load, pc);
  if (r11Load && (insn.off <= 0 || insn.off % 8 !== 0)) fail('R11 is invalid', pc);
  if (r11Store && (insn.off >= 0 || insn.off % 8 !== 0)) fail('R11 is invalid', pc);
  if (r11Store && -insn.off / 8 > MAX_STACK_ARG_SLOTS) fail(`stack arg write offset ${insn.off} exceeds max ${MAX_STACK_ARG_SLOTS} stack args`, pc);
  if (r11Load && insn.off / 8 > MAX_STACK_ARG_SLOTS) fail(`stack arg read offset ${insn.off} exceeds max ${MAX_STACK_ARG_SLOTS} stack args`, pc);

  if (writesDst(info, insn) && insn.dst === BPF_REG_FP) fail('frame pointer is read only', pc);
  if (info.form === 'atomic' && insn.src === BPF_REG_FP && insn.imm !== BpfAtomicOp.STORE_REL && (insn.imm & BpfAtomicOp.FETCH) !== 0) {
    fail('frame pointer is read only', pc);
  }
  // Fixed offsets from R10 must stay inside the frame [R10-512, R10).
  const size = info.size;
  if (size !== undefined && insn.code !== OP_LDDW) {
    const loadAcq = info.form === 'atomic' && insn.imm === BpfAtomicOp.LOAD_ACQ;
    const base = info.form === 'ldx' || info.form === 'ldxsx' || loadAcq ? insn.src : insn.dst;
    if (base === BPF_REG_FP && (insn.off < -STACK_FRAME_SIZE || insn.off + size > 0)) {
      const what = info.form === 'ldx' || info.form === 'ldxsx' || loadAcq ? 'read from' : 'write to';
      fail(`invalid ${what} stack R10 off=${insn.off} size=${size}`, pc);
    }
  }
}

/** A register field: R0-R10, or R11 where the stack-argument rules allow it. */
function checkRegister(r: number, r11Allowed: boolean, pc: number): void {
  if (r === BPF_REG_PARAMS) {
    if (!r11Allowed) fail('R11 is invalid', pc);
  } else if (r > BPF_REG_PARAMS) {
    fail(`R${r} is invalid`, pc);
  }
}

function checkCallTarget(program: readonly BpfInsn[], target: number, pc: number): void {
  if (target < 0 || target >= program.length) fail(`call to invalid destination ${target}`, pc);
}

/**
 * Path-sensitive stack-argument rules inside one function, as a forward data-flow over its
 * instructions: "must be stored" sets meet by intersection, "store or call seen" by union.
 * States only shrink/grow monotonically, so an error seen on the way is an error at the fixpoint.
 * A state per slot: the outgoing slots definitely stored on every path (bit k-1 = slot k; -1:
 * not reached yet) and whether a stack-argument store or a call happened on some path.
 */
function checkStackArgFlow(
  program: readonly BpfInsn[],
  infos: readonly OpcodeInfo[],
  lddwTails: ReadonlySet<number>,
  start: number,
  end: number,
  func: number,
  funcOf: Int32Array,
  slotsIn: readonly number[],
  slotsOut: number,
  options: ValidateOptions,
): void {
  const storedAt = new Int16Array(end - start).fill(-1);
  const dirtyAt = new Uint8Array(end - start);
  const work: number[] = [start];
  storedAt[0] = 0;
  let required = 0;
  let unknownCallee = false;

  const merge = (pc: number, stored: number, dirty: boolean): void => {
    const i = pc - start;
    const old = storedAt[i]!;
    if (old < 0) {
      storedAt[i] = stored;
      dirtyAt[i] = dirty ? 1 : 0;
      work.push(pc);
      return;
    }
    const next = old & stored;
    const nextDirty = dirtyAt[i] === 1 || dirty ? 1 : 0;
    if (next !== old || nextDirty !== dirtyAt[i]) {
      storedAt[i] = next;
      dirtyAt[i] = nextDirty;
      work.push(pc);
    }
  };
  const needArgs = (need: number, stored: number, pc: number): void => {
    for (let k = 1; k <= need; k++) {
      if ((stored & (1 << (k - 1))) === 0) fail(`callee expects ${5 + need} args, stack arg${k} is not initialized`, pc);
    }
  };

  while (work.length > 0) {
    const pc = work.pop() as number;
    const inStored = storedAt[pc - start]!;
    const inDirty = dirtyAt[pc - start] === 1;
    const insn = program[pc] as BpfInsn;
    const info = infos[pc] as OpcodeInfo;
    let stored = inStored;
    let dirty = inDirty;
    if (isR11Load(insn)) {
      if (inDirty) fail('r11 load must be before any r11 store or call insn', pc);
    } else if (isR11Store(insn)) {
      stored = inStored | (1 << (-insn.off / 8 - 1));
      dirty = true;
    } else if (info.form === 'call' || info.form === 'callx') {
      if (info.form === 'call' && insn.src === 1) {
        const need = slotsIn[funcOf[callTarget(insn, pc)] as number] as number;
        needArgs(need, inStored, pc);
        required = Math.max(required, need);
      } else if (info.form === 'call' && insn.src === 2) {
        const arity = options.natives?.get(insn.imm)?.arity;
        if (arity === undefined) unknownCallee = true;
        else {
          needArgs(Math.max(0, arity - 5), inStored, pc);
          required = Math.max(required, arity - 5);
        }
      } else if (info.form === 'callx') {
        unknownCallee = true;
      }
      // All argument slots are caller-saved: nothing stored survives a call.
      stored = 0;
      dirty = true;
    }
    if (info.form === 'exit') continue;
    if (info.form === 'ja') {
      merge(jumpTarget(insn, pc), stored, dirty);
      continue;
    }
    if (info.form === 'jcond') merge(jumpTarget(insn, pc), stored, dirty);
    const next = info.form === 'lddw' ? pc + 2 : pc + 1;
    if (next < end) merge(next, stored, dirty);
  }
  if (!unknownCallee && slotsOut > required) {
    fail(`func#${func} writes ${slotsOut} stack arg slots, but calls only require ${required}`, firstStore(program, lddwTails, start, end));
  }
}

function firstStore(program: readonly BpfInsn[], lddwTails: ReadonlySet<number>, start: number, end: number): number {
  for (let pc = start; pc < end; pc++) if (!lddwTails.has(pc) && isR11Store(program[pc] as BpfInsn)) return pc;
  return start;
}
