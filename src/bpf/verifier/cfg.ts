import type { BpfInsn } from '../instruction.js';
import type { InsnKind, OpcodeInfo } from '../insn-kind.js';
import { callTarget, insnKind, jumpTarget, opcodeInfo } from '../insn-kind.js';
import { BPF_REG_PARAMS, BpfAtomicOp } from '../opcodes.js';
import type { ProgramInfo } from '../validate.js';
import { BpfVerifierError } from './errors.js';
import { MSG } from './messages.js';

/**
 * The control-flow facts the driver needs before walking: which function each pc belongs to,
 * the prune points (where states are checkpointed and compared: jump targets, the
 * fall-through of conditional jumps, function entries and call return sites), and which
 * registers are live before each pc (a backward data-flow per function, the kernel's
 * compute_live_registers), so pruning compares only registers that can still be read.
 */
export interface Cfg {
  readonly insns: readonly BpfInsn[];
  readonly info: ProgramInfo;
  readonly ops: readonly (OpcodeInfo | undefined)[];
  /** the refined kind of each instruction (undefined for LDDW second halves) */
  readonly kinds: readonly (InsnKind | undefined)[];
  /** function index of each pc */
  readonly funcOf: Int32Array;
  readonly prunePoint: Uint8Array;
  /** bit r set: register r may be read before it is written, from this pc on */
  readonly liveIn: Uint16Array;
}

const ALL_ARGS = 0b111110; // R1-R5
const R0 = 1;

/** Registers an instruction reads (use) and writes (def), as bit masks. */
function useDef(insn: BpfInsn, op: OpcodeInfo): [number, number] {
  const d = 1 << insn.dst;
  const s = insn.src <= 10 ? 1 << insn.src : 0;
  switch (op.form) {
    case 'alu':
      if (op.op === 0xb0) return [op.usesSrcReg ? s : 0, d]; // MOV
      return [d | (op.usesSrcReg ? s : 0), d];
    case 'neg':
    case 'end':
      return [d, d];
    case 'ldx':
    case 'ldxsx':
      return [insn.src === BPF_REG_PARAMS ? 0 : s, d];
    case 'st':
      return [insn.dst === BPF_REG_PARAMS ? 0 : d, 0];
    case 'stx':
      return [(insn.dst === BPF_REG_PARAMS ? 0 : d) | s, 0];
    case 'atomic':
      if (insn.imm === BpfAtomicOp.LOAD_ACQ) return [s, d];
      if (insn.imm === BpfAtomicOp.STORE_REL) return [d | s, 0];
      if (insn.imm === BpfAtomicOp.CMPXCHG) return [d | s | R0, R0];
      return [d | s, insn.imm & BpfAtomicOp.FETCH ? s : 0];
    case 'lddw':
      return [0, d];
    case 'jcond':
      return [d | (op.usesSrcReg ? s : 0), 0];
    case 'call':
      // arguments may be read; R0 is the result and R1-R5 are clobbered
      return [ALL_ARGS, R0 | ALL_ARGS];
    case 'callx':
      return [ALL_ARGS | d, R0 | ALL_ARGS];
    case 'exit':
      return [R0, 0];
    default:
      return [0, 0];
  }
}

export function buildCfg(insns: readonly BpfInsn[], info: ProgramInfo): Cfg {
  const len = insns.length;
  const ops = insns.map((i, pc) => (info.lddwTails.has(pc) ? undefined : opcodeInfo(i.code)));
  const kinds = insns.map((i, pc) => (info.lddwTails.has(pc) ? undefined : insnKind(i)));
  const funcOf = new Int32Array(len);
  for (const f of info.functions) funcOf.fill(f.index, f.start, f.end);
  const prunePoint = new Uint8Array(len);
  const succs: number[][] = insns.map(() => []);
  for (const f of info.functions) prunePoint[f.start] = 1;
  for (let pc = 0; pc < len; pc++) {
    const op = ops[pc];
    if (!op) continue;
    const insn = insns[pc] as BpfInsn;
    const next = pc + (op.form === 'lddw' ? 2 : 1);
    switch (op.form) {
      case 'exit':
        break;
      case 'ja': {
        const t = jumpTarget(insn, pc);
        succs[pc]!.push(t);
        prunePoint[t] = 1;
        break;
      }
      case 'jcond': {
        const t = jumpTarget(insn, pc);
        succs[pc]!.push(next, t);
        prunePoint[t] = 1;
        prunePoint[next] = 1;
        break;
      }
      case 'call':
      case 'callx':
        succs[pc]!.push(next);
        if (next < len) prunePoint[next] = 1;
        // a call that can run a callback again and again comes back to itself: a loop head
        prunePoint[pc] = 1;
        break;
      default:
        succs[pc]!.push(next);
    }
  }

  // Liveness: live_in = use | (live_out & ~def), iterated to a fixpoint per function.
  const liveIn = new Uint16Array(len);
  const uses = new Uint16Array(len);
  const defs = new Uint16Array(len);
  for (let pc = 0; pc < len; pc++) {
    const op = ops[pc];
    if (!op) continue;
    const [u, d] = useDef(insns[pc] as BpfInsn, op);
    uses[pc] = u;
    defs[pc] = d;
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = len - 1; pc >= 0; pc--) {
      if (!ops[pc]) continue;
      let out = 0;
      for (const s of succs[pc]!) if (s < len) out |= liveIn[s] as number;
      const v = (uses[pc] as number) | (out & ~(defs[pc] as number));
      if (v !== liveIn[pc]) {
        liveIn[pc] = v;
        changed = true;
      }
    }
  }
  return { insns, info, ops, kinds, funcOf, prunePoint, liveIn };
}

/**
 * Reject every back-edge, for callers that want loop-free programs only (the kernel's rule
 * for programs loaded without CAP_BPF): a depth-first walk per function, and a jump to an
 * instruction still on the walk's path is a back-edge.
 */
export function checkNoBackEdges(cfg: Cfg): void {
  const { insns, ops } = cfg;
  const state = new Uint8Array(insns.length); // 0 new, 1 on path, 2 done
  for (const f of cfg.info.functions) {
    const stack: [number, number][] = [[f.start, 0]];
    state[f.start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [pc, k] = top;
      const op = ops[pc];
      const succ: number[] = [];
      if (op) {
        const insn = insns[pc] as BpfInsn;
        const next = pc + (op.form === 'lddw' ? 2 : 1);
        if (op.form === 'ja') succ.push(jumpTarget(insn, pc));
        else if (op.form === 'jcond') succ.push(next, jumpTarget(insn, pc));
        else if (op.form !== 'exit') succ.push(next);
      }
      if (k >= succ.length) {
        state[pc] = 2;
        stack.pop();
        continue;
      }
      top[1] = k + 1;
      const t = succ[k]!;
      if (t >= f.end) continue;
      if (state[t] === 1) throw new BpfVerifierError(MSG.backEdge(pc, t), pc, insns);
      if (state[t] === 0) {
        state[t] = 1;
        stack.push([t, 0]);
      }
    }
  }
}

/** Start pc of the function containing pc. */
export function functionStart(cfg: Cfg, pc: number): number {
  return cfg.info.functions[cfg.funcOf[pc] as number]!.start;
}

export { callTarget };
