import { disassembleInsn } from '../disassembler.js';
import type { BpfInsn } from '../instruction.js';
import type { VerifierEnv } from './env.js';
import { COMPLEXITY_LIMIT } from './env.js';
import { MSG } from './messages.js';
import type { RegState } from './reg-state.js';
import type { PtrReg } from './reg-state.js';
import { UNKNOWN, isPtr, regEqual } from './reg-state.js';
import { UNKNOWN_SCALAR, scalarEquals, unsignedRange } from './scalar.js';
import type { FrameMask, LiveAt } from './state.js';
import { VerifierState, dropLonelyIds, stateEqual, stateSafe } from './state.js';
import type { Successor } from './transfer/common.js';
import { step } from './transfer/step.js';

/**
 * The walk (the kernel's do_check with is_state_visited): depth first over every path,
 * continuing with the fall-through and keeping the other side of each branch on a stack. At
 * prune points the state is compared with the states already seen there:
 * - covered by one whose every continuation was verified: the path is pruned (safe);
 * - equal to one still being explored on the same path: the path comes back to where it was
 *   with nothing changed, a loop that may never end ("infinite loop detected");
 * - at a helper call that runs a callback (bpf_loop), the callback's return to the call is a
 *   loop the helper bounds, so being covered by an earlier visit on the same path is enough,
 *   and scalars that change from one run to the next are widened to unknown so it converges.
 * Every processed instruction counts against the complexity limit.
 */
interface Checkpoint {
  readonly state: VerifierState;
  /** paths below this checkpoint still being explored (0: all verified) */
  branches: number;
  readonly parent: Checkpoint | undefined;
  readonly callbackLoop: boolean;
}

interface Pending {
  readonly state: VerifierState;
  readonly pc: number;
  readonly parent: Checkpoint | undefined;
  readonly from: number;
}

/**
 * Checkpoints kept per pc. Older ones are dropped: pruning less is always sound, and a loop
 * that only repeats itself after more iterations than this still ends at the complexity limit.
 */
const MAX_PER_PC = 32;
/**
 * Sandbox mode: iterations of a loop on one path (checkpoints at its head still being
 * explored) after which the values that keep changing are widened (see widen), so that the
 * next iteration is covered and the walk ends however many times the loop may run.
 */
const WIDEN_AFTER = 8;
const CALLEE_SAVED = 0b1111000000;
const ALL_SLOTS = (1n << 64n) - 1n;

export function walk(env: VerifierEnv, init: VerifierState): void {
  const { cfg } = env;
  const limit = env.options.maxProcessed ?? COMPLEXITY_LIMIT;
  const log = env.options.log?.sink;
  const explored = new Map<number, Checkpoint[]>();
  const work: Pending[] = [{ state: init, pc: 0, parent: undefined, from: -1 }];
  let live = 0;

  /** Registers that matter in each frame of a state at pc: the innermost by liveness, callers at the pc they resume at. */
  const prec = env.precision;
  const at = (pc: number, regMask: number, allSlots: boolean): FrameMask => ({
    live: (cfg.liveIn[pc] as number) & regMask,
    precise: prec.regs[pc] as number,
    slots: allSlots ? ALL_SLOTS : (prec.slots[pc] as bigint),
  });
  const liveMask = (s: VerifierState, pc: number): LiveAt => (k) => {
    if (k === s.frames.length - 1) return at(pc, 0xffff, false);
    const inner = s.frames[k + 1]!;
    if (inner.callback) return at(inner.callback.callPc, 0xffff, false);
    // the callee may be reading this frame's stack through a pointer it was given
    return at(inner.callsite + 1, CALLEE_SAVED, prec.passesStack[inner.callsite] === 1);
  };

  const finish = (cp: Checkpoint | undefined): void => {
    for (let c = cp; c; c = c.parent) {
      c.branches--;
      if (c.branches > 0) return;
    }
  };

  const loopLeftToBudget = (pc: number): 'pruned' => {
    if (!env.facts.loopsLeftToBudget.has(pc)) env.facts.loopsLeftToBudget.set(pc, MSG.loopLeftToBudget(pc));
    return 'pruned';
  };

  const isCallbackCall = (pc: number): boolean => {
    const k = cfg.kinds[pc];
    return k?.kind === 'call-helper' && env.helpers.get(k.id)?.args.some((a) => a.callback) === true;
  };

  /** A checkpoint for the state at pc, or 'pruned'. */
  const visit = (state: VerifierState, pc: number, parent: Checkpoint | undefined): Checkpoint | 'pruned' => {
    let list = explored.get(pc);
    if (!list) {
      list = [];
      explored.set(pc, list);
    }
    const liveAt = liveMask(state, pc);
    let ancestor: Checkpoint | undefined;
    /** sandbox mode: checkpoints at pc still being explored, with the same call chain depth (loop iterations) */
    let iterations = 0;
    let lastIteration: Checkpoint | undefined;
    for (const cp of list) {
      if (cp.branches > 0) {
        if (cp.callbackLoop) {
          if (stateSafe(cp.state, state, liveAt)) return 'pruned';
          if (cp.state.frames.length === state.frames.length) ancestor = cp;
        } else if (env.sandbox) {
          // back where it was with nothing changed (and covered: stateEqual does not compare
          // references and stack-argument slots): whether the loop ends is the budget's
          if (stateEqual(cp.state, state, liveAt) && stateSafe(cp.state, state, liveAt)) return loopLeftToBudget(pc);
          if (cp.state.frames.length === state.frames.length) {
            iterations++;
            lastIteration = cp;
          }
        } else if (stateEqual(cp.state, state, liveAt)) {
          env.fail(MSG.infiniteLoop(pc), pc);
        }
      } else if (stateSafe(cp.state, state, liveAt)) {
        return 'pruned';
      }
    }
    const callbackLoop = isCallbackCall(pc);
    if (callbackLoop && ancestor) {
      widen(state, ancestor.state);
      if (stateSafe(ancestor.state, state, liveAt)) return 'pruned';
    }
    if (lastIteration && iterations >= WIDEN_AFTER && !callbackLoop) {
      // a loop that has run WIDEN_AFTER times on this path without being proven to end: an
      // iteration covered by an earlier one is a fixed point for safety (whether the loop
      // ends is the instruction budget's); otherwise widen what keeps changing
      for (const cp of list) if (cp.branches > 0 && !cp.callbackLoop && stateSafe(cp.state, state, liveAt)) return loopLeftToBudget(pc);
      widen(state, lastIteration.state, env);
      if (stateSafe(lastIteration.state, state, liveAt)) return loopLeftToBudget(pc);
    }
    const snapshot = state.clone();
    dropLonelyIds(snapshot);
    const cp: Checkpoint = { state: snapshot, branches: 1, parent, callbackLoop };
    list.push(cp);
    env.totalStates++;
    live++;
    if (list.length > MAX_PER_PC) {
      // the oldest verified one, else the oldest at all (a long loop's early iterations)
      const i = list.findIndex((c) => c.branches === 0);
      list.splice(i >= 0 ? i : 0, 1);
      live--;
    }
    env.peakStates = Math.max(env.peakStates, live);
    return cp;
  };

  while (work.length > 0) {
    const item = work.pop() as Pending;
    let { state, pc, parent } = item;
    if (log && item.from >= 0) log(`from ${item.from} to ${pc}: ${state.format(env.mapName)}`);
    for (;;) {
      if (++env.processed > limit) env.fail(MSG.tooLarge(env.processed), pc);
      if (cfg.prunePoint[pc]) {
        const r = visit(state, pc, parent);
        if (r === 'pruned') {
          if (log) log(`${pc}: safe`);
          finish(parent);
          break;
        }
        parent = r;
      }
      env.facts.visit(pc, state.cur.regs);
      if (log) {
        log(`${pc}: ${state.format(env.mapName)}`);
        log(`${pc}: (${(env.insns[pc] as BpfInsn).code.toString(16).padStart(2, '0')}) ${disassembleInsn(env.insns, pc).text}`);
      }
      const next: Successor[] = step(env, state, pc);
      if (next.length === 0) {
        finish(parent);
        break;
      }
      for (let i = next.length - 1; i >= 1; i--) {
        const s = next[i] as Successor;
        work.push({ state: s.state, pc: s.pc, parent, from: pc });
        if (parent) parent.branches++;
      }
      state = (next[0] as Successor).state;
      pc = (next[0] as Successor).pc;
    }
  }
}

/**
 * Where a state that comes back to a callback-running call differs from the previous run's in
 * a scalar, the scalar becomes unknown (the kernel's widen_imprecise_scalars). Sandbox mode's
 * loop heads (`env` given) widen pointers too: one whose offset changed gets an unknown
 * variable offset (a packet pointer a new base with nothing proven), so that every further
 * iteration is covered. Widening only ever loses knowledge, so what is proven stays proven.
 */
function widen(cur: VerifierState, old: VerifierState, env?: VerifierEnv): void {
  const pointer = (a: RegState, b: RegState): RegState | undefined => {
    if (!env || !isPtr(a) || !isPtr(b) || a.type !== b.type || regEqual(a, b)) return undefined;
    if (a.off === b.off && scalarEquals(a.v, b.v)) return undefined;
    const { checkedAt: _checked, ...rest } = a;
    const p: PtrReg = { ...rest, off: 0, v: UNKNOWN_SCALAR };
    return a.type === 'pkt' || a.type === 'pkt_meta' ? { ...p, id: env.nextId(), range: 0 } : p;
  };
  cur.frames.forEach((f, k) => {
    const o = old.frames[k];
    if (!o) return;
    for (let r = 0; r < 10; r++) {
      const a = f.regs[r] as RegState;
      const b = o.regs[r] as RegState;
      if (a.type === 'scalar' && b.type === 'scalar' && !regEqual(a, b)) f.regs[r] = UNKNOWN;
      const p = pointer(a, b);
      if (p) f.regs[r] = p;
    }
    f.stack.forEachSpill((slot, s) => {
      const os = o.stack.spills[slot];
      if (s.reg.type === 'scalar' && os && os.reg.type === 'scalar' && !regEqual(s.reg, os.reg)) {
        f.writableStack().setSpill(slot, { type: 'scalar', v: s.size === 8 ? UNKNOWN_SCALAR : unsignedRange(0n, (1n << BigInt(8 * s.size)) - 1n), id: 0 });
      }
      const p = os && pointer(s.reg, os.reg);
      if (p) f.writableStack().setSpill(slot, p);
    });
  });
}
