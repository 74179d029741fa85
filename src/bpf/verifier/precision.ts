import type { BpfInsn } from '../instruction.js';
import { callTarget, jumpTarget } from '../insn-kind.js';
import { BPF_REG_FP, BPF_REG_PARAMS, BpfAtomicOp } from '../opcodes.js';
import type { Cfg } from './cfg.js';

/**
 * Which scalar values can still matter for safety, per pc: a static stand-in for the kernel's
 * precision tracking (mark_chain_precision). A value matters when it may flow into a memory
 * address (a load's or store's base, a variable offset), a conditional jump, a helper or
 * callback argument, a checked return value, or a value stored where it is read back as one of
 * those (a stack slot). A scalar that matters nowhere can differ between two states without
 * changing what was proven, so pruning ignores its value (not its type): a running hash or
 * counter then no longer makes every loop iteration a new state, which is what lets bounded
 * loops with such values verify at all.
 *
 * The analysis is a backward data-flow over registers R0-R9 and the 64 stack slots addressed
 * through R10 with fixed offsets, across functions (callee arguments and return values). Where
 * memory is reached through other pointers it stays conservative, helped by a forward
 * "may point into the stack" analysis: loads through such a pointer make every slot matter,
 * stores through it make the stored value matter; loads and stores through pointers that can
 * only reach the context, packets, maps or the plain buffer do neither (values there are never
 * tracked).
 */
export interface Precision {
  /** bit r: the value of register r at this pc (before the instruction) may matter */
  readonly regs: Uint16Array;
  /** bit k: the value of stack slot k (bytes fp-512+8k ..) may matter */
  readonly slots: BigUint64Array;
  /** the call at this pc passes a pointer that may reach the caller's stack */
  readonly passesStack: Uint8Array;
}

const ALL_SLOTS = (1n << 64n) - 1n;
const ARGS = 0b111110;
const R0 = 1;

interface Info {
  succ: number[];
}

export function analysePrecision(cfg: Cfg, returnChecked: boolean): Precision {
  const { insns, ops } = cfg;
  const len = insns.length;
  const funcs = cfg.info.functions;
  const infos: Info[] = insns.map(() => ({ succ: [] }));
  for (let pc = 0; pc < len; pc++) {
    const op = ops[pc];
    if (!op) continue;
    const insn = insns[pc] as BpfInsn;
    const next = pc + (op.form === 'lddw' ? 2 : 1);
    const s = infos[pc]!.succ;
    if (op.form === 'ja') s.push(jumpTarget(insn, pc));
    else if (op.form === 'jcond') s.push(next, jumpTarget(insn, pc));
    else if (op.form !== 'exit') s.push(next);
  }
  const mayStack = mayPointToStack(cfg, infos);
  const passesStack = new Uint8Array(len);
  for (let pc = 0; pc < len; pc++) {
    const f = ops[pc]?.form;
    if ((f === 'call' || f === 'callx') && (mayStack[pc]! & ARGS) !== 0) passesStack[pc] = 1;
  }
  const callbackStart = new Set(funcs.filter((f) => f.isCallback).map((f) => f.start));

  const regs = new Uint16Array(len);
  const slots = new BigUint64Array(len);
  // R0 at a function's exit matters when some caller's R0 after the call matters
  const exitR0 = funcs.map((f) => (f.index === 0 ? returnChecked : callbackStart.has(f.start)));

  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = len - 1; pc >= 0; pc--) {
      const op = ops[pc];
      if (!op) continue;
      const insn = insns[pc] as BpfInsn;
      let r = 0;
      let s = 0n;
      for (const n of infos[pc]!.succ) {
        if (n >= len) continue;
        r |= regs[n]!;
        s |= slots[n]!;
      }
      const d = 1 << insn.dst;
      const src = insn.src <= 10 ? 1 << insn.src : 0;
      const slot = (off: number): bigint => 1n << BigInt((512 + off) >> 3);
      const stackBase = (reg: number): boolean => (mayStack[pc]! & (1 << reg)) !== 0;
      switch (op.form) {
        case 'alu':
          if (op.op === 0xb0) {
            const relevant = (r & d) !== 0;
            r &= ~d;
            if (relevant && op.usesSrcReg) r |= src;
          } else if (r & d && op.usesSrcReg) {
            r |= src;
          }
          break;
        case 'neg':
        case 'end':
          break;
        case 'ldx':
        case 'ldxsx': {
          const relevant = (r & d) !== 0;
          r &= ~d;
          if (insn.src === BPF_REG_PARAMS) break;
          if (insn.src === BPF_REG_FP) {
            if (relevant) s |= slot(insn.off);
          } else {
            r |= src;
            if (relevant && stackBase(insn.src)) s = ALL_SLOTS;
          }
          break;
        }
        case 'st':
        case 'stx': {
          const size = op.size ?? 8;
          if (insn.dst === BPF_REG_PARAMS) {
            r |= op.form === 'stx' ? src : 0;
            break;
          }
          if (insn.dst === BPF_REG_FP) {
            const k = slot(insn.off);
            if (s & k && op.form === 'stx') r |= src;
            if (size === 8 && (insn.off & 7) === 0) s &= ~k;
          } else {
            r |= d;
            if (op.form === 'stx' && stackBase(insn.dst)) r |= src;
          }
          break;
        }
        case 'atomic': {
          const loadAcq = insn.imm === BpfAtomicOp.LOAD_ACQ;
          if (loadAcq) {
            const relevant = (r & d) !== 0;
            r = (r & ~d) | src;
            if (relevant && stackBase(insn.src)) s = ALL_SLOTS;
            break;
          }
          if (insn.imm & BpfAtomicOp.FETCH && insn.imm !== BpfAtomicOp.CMPXCHG) r &= ~src;
          if (insn.imm === BpfAtomicOp.CMPXCHG) r = (r & ~R0) | R0;
          r |= d | src;
          if (stackBase(insn.dst)) s = ALL_SLOTS;
          break;
        }
        case 'lddw':
          r &= ~d;
          break;
        case 'jcond':
          r |= d | (op.usesSrcReg ? src : 0);
          break;
        case 'call': {
          const after = r;
          r &= ~(R0 | ARGS);
          if (insn.src === 1) {
            const callee = cfg.funcOf[callTarget(insn, pc)] as number;
            const f = funcs[callee]!;
            r |= regs[f.start]! & ARGS;
            if (after & R0 && !exitR0[callee]) {
              exitR0[callee] = true;
              changed = true;
            }
          } else if (insn.src === 0) {
            r |= ARGS;
          }
          if (passesStack[pc]) s = ALL_SLOTS;
          break;
        }
        case 'callx': {
          const after = r;
          r = (r & ~(R0 | ARGS)) | ARGS | d;
          if (after & R0) {
            for (const f of funcs) {
              if (f.index !== 0 && !exitR0[f.index]) {
                exitR0[f.index] = true;
                changed = true;
              }
            }
          }
          if (passesStack[pc]) s = ALL_SLOTS;
          break;
        }
        case 'exit':
          r = exitR0[cfg.funcOf[pc] as number] ? R0 : 0;
          s = 0n;
          break;
        default:
          break;
      }
      if (r !== regs[pc] || s !== slots[pc]) {
        regs[pc] = r;
        slots[pc] = s;
        changed = true;
      }
    }
  }
  return { regs, slots, passesStack };
}

/**
 * Forward: which registers may hold a pointer into a stack frame before each pc (R10 and what
 * is derived from it, spilled and filled through R10, passed to callees and callbacks).
 */
function mayPointToStack(cfg: Cfg, infos: readonly Info[]): Uint16Array {
  const { insns, ops } = cfg;
  const len = insns.length;
  const regsIn = new Uint16Array(len);
  const slotsIn = new BigUint64Array(len);
  const reached = new Uint8Array(len);
  const funcs = cfg.info.functions;
  const entryArgs = funcs.map((f) => (f.isCallback ? ARGS : 0));
  const FP = 1 << BPF_REG_FP;
  const work: number[] = [];
  /** functions that pass a stack pointer as a stack argument (args 6-12) */
  const stackArgPointer = new Uint8Array(funcs.length);
  const join = (pc: number, r: number, s: bigint): void => {
    if (pc >= len) return;
    const nr = regsIn[pc]! | r;
    const ns = slotsIn[pc]! | s;
    if (!reached[pc] || nr !== regsIn[pc] || ns !== slotsIn[pc]) {
      reached[pc] = 1;
      regsIn[pc] = nr;
      slotsIn[pc] = ns;
      work.push(pc);
    }
  };
  for (const f of funcs) join(f.start, FP | entryArgs[f.index]!, 0n);
  while (work.length > 0) {
    const pc = work.pop() as number;
    const op = ops[pc];
    if (!op) continue;
    const insn = insns[pc] as BpfInsn;
    let r = regsIn[pc]!;
    let s = slotsIn[pc]!;
    const d = 1 << insn.dst;
    const src = insn.src <= 10 ? 1 << insn.src : 0;
    const has = (mask: number): boolean => (r & mask) !== 0;
    const slot = (off: number): bigint => 1n << BigInt((512 + off) >> 3);
    switch (op.form) {
      case 'alu':
        if (op.op === 0xb0) r = op.usesSrcReg && has(src) ? r | d : r & ~d;
        else if (op.op === 0x00 && op.usesSrcReg && has(src)) r |= d;
        break;
      case 'neg':
      case 'end':
        r &= ~d;
        break;
      case 'ldx':
      case 'ldxsx':
        if (insn.src === BPF_REG_PARAMS) r |= d;
        else if (insn.src === BPF_REG_FP) r = s & slot(insn.off) ? r | d : r & ~d;
        else r = has(src) ? r | d : r & ~d;
        break;
      case 'stx':
        if (insn.dst === BPF_REG_PARAMS && has(src)) stackArgPointer[cfg.funcOf[pc] as number] = 1;
        else if (insn.dst === BPF_REG_FP && has(src)) s |= slot(insn.off);
        else if (has(src)) s = ALL_SLOTS; // a stack pointer stored somewhere that may be the stack
        break;
      case 'atomic':
        if (insn.imm === BpfAtomicOp.LOAD_ACQ) r = has(src) ? r | d : r & ~d;
        else if (insn.imm & BpfAtomicOp.FETCH) r &= insn.imm === BpfAtomicOp.CMPXCHG ? ~R0 : ~src;
        break;
      case 'lddw':
        // (callbacks start with every argument possibly a stack pointer)
        r &= ~d;
        break;
      case 'call':
      case 'callx': {
        const args = r & ARGS;
        const local = op.form === 'callx' || insn.src === 1;
        if (args && op.form === 'call' && insn.src === 1) join(funcs[cfg.funcOf[callTarget(insn, pc)] as number]!.start, args, 0n);
        if (args && op.form === 'callx') for (const f of funcs) join(f.start, args, 0n);
        // a BPF callee may return one of the stack pointers it was given; helpers never do
        r = (r & ~(R0 | ARGS)) | (args && local ? R0 : 0);
        break;
      }
      default:
        break;
    }
    for (const n of infos[pc]!.succ) join(n, r, s);
  }
  // a call from a function that stores stack pointers into argument slots may pass them on
  for (let pc = 0; pc < len; pc++) {
    const f = ops[pc]?.form;
    if ((f === 'call' || f === 'callx') && stackArgPointer[cfg.funcOf[pc] as number]) regsIn[pc] |= ARGS;
  }
  return regsIn;
}
