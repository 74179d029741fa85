import { BPF_REG_FP } from '../opcodes.js';
import { MAX_STACK_ARG_SLOTS } from '../validate.js';
import type { RegState } from './reg-state.js';
import { IdMap, NOT_INIT, formatReg, isPtr, ptrReg, regEqual, regSafe } from './reg-state.js';
import { StackState, stackEqual, stackSafe } from './stack-state.js';

/**
 * The verifier state of one path (the kernel's `bpf_verifier_state`): the call chain's frames,
 * each with its registers, stack and stack-argument slots, and the references (ringbuf
 * records) the program holds and must release. Mutable while one path is walked; `clone`
 * is taken at every branch and checkpoint.
 */
export interface CallbackFrame {
  /** pc of the helper call that runs the callback */
  readonly callPc: number;
  /** allowed R0 at the callback's exit */
  readonly returns: { readonly min: number; readonly max: number };
}

export class FrameState {
  constructor(
    public regs: RegState[],
    public stack: StackState,
    /** pc of the call that made this frame (-1: the entry function) */
    readonly callsite: number,
    /** first pc of the function */
    readonly funcStart: number,
    readonly frameNo: number,
    /** incoming stack arguments 6..12 ([r11 + 8], ...), undefined = not passed */
    public argsIn: (RegState | undefined)[],
    /** outgoing stack-argument slots stored since the last call */
    public argsOut: (RegState | undefined)[],
    readonly callback?: CallbackFrame,
  ) {}

  static entry(frameNo: number, funcStart: number, callsite: number, callback?: CallbackFrame): FrameState {
    const regs: RegState[] = new Array<RegState>(11).fill(NOT_INIT);
    regs[BPF_REG_FP] = ptrReg('stack', { frame: frameNo });
    return new FrameState(regs, new StackState(), callsite, funcStart, frameNo, [], new Array<RegState | undefined>(MAX_STACK_ARG_SLOTS).fill(undefined), callback);
  }

  /** The stack, to change: copied first when another state shares it (copy on write). */
  writableStack(): StackState {
    if (this.stack.shared) this.stack = this.stack.clone();
    return this.stack;
  }

  clone(): FrameState {
    this.stack.shared = true;
    return new FrameState(this.regs.slice(), this.stack, this.callsite, this.funcStart, this.frameNo, this.argsIn, this.argsOut.slice(), this.callback);
  }
}

export interface Reference {
  readonly id: number;
  /** pc of the helper call that acquired it */
  readonly pc: number;
}

export class VerifierState {
  constructor(
    public frames: FrameState[],
    public refs: Reference[] = [],
    /** the path can no longer happen (a contradicting branch); the driver drops it */
    public dead = false,
  ) {}

  get cur(): FrameState {
    return this.frames[this.frames.length - 1] as FrameState;
  }

  clone(): VerifierState {
    return new VerifierState(
      this.frames.map((f) => f.clone()),
      this.refs.slice(),
    );
  }

  /** Every register and spilled register of every frame (for id-wide updates). */
  forEachReg(fn: (r: RegState, set: (n: RegState) => void) => void): void {
    for (const f of this.frames) {
      for (let i = 0; i < f.regs.length; i++) fn(f.regs[i] as RegState, (n) => (f.regs[i] = n));
      f.stack.forEachSpill((slot, s) => fn(s.reg, (n) => f.writableStack().setSpill(slot, n)));
      for (let i = 0; i < f.argsOut.length; i++) {
        const a = f.argsOut[i];
        if (a) fn(a, (n) => (f.argsOut[i] = n));
      }
    }
  }

  format(mapName: (i: number) => string): string {
    const parts: string[] = [];
    this.frames.forEach((f, k) => {
      const regs = f.regs.map((r, i) => (r.type === 'not_init' ? '' : `R${i}=${formatReg(r, mapName)}`)).filter(Boolean);
      const stack = f.stack.format((r) => formatReg(r, mapName));
      const text = [...regs, stack].filter(Boolean).join(' ');
      parts.push(this.frames.length > 1 ? `frame${k}: ${text}` : text);
    });
    return parts.join(' ');
  }
}

/**
 * What to compare in frame `depth` of a state (see driver.ts): registers that may still be
 * read (`live`), those whose scalar value may still matter (`precise`, see precision.ts),
 * and the stack slots whose scalar values may still matter.
 */
export interface FrameMask {
  readonly live: number;
  readonly precise: number;
  readonly slots: bigint;
}
export type LiveAt = (depth: number) => FrameMask;

const slotPrecise = (slots: bigint) => (i: number): boolean => ((slots >> BigInt(i >> 3)) & 1n) === 1n;

/**
 * `cur` is covered by `old`: same call chain, and every live register, stack byte and reference
 * of `cur` is allowed by `old` (the kernel's states_equal for pruning).
 */
export function stateSafe(old: VerifierState, cur: VerifierState, live: LiveAt): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
  const ids = new IdMap();
  for (let k = 0; k < old.frames.length; k++) {
    const o = old.frames[k] as FrameState;
    const c = cur.frames[k] as FrameState;
    if (o.callsite !== c.callsite || o.funcStart !== c.funcStart) return false;
    const mask = live(k);
    for (let r = 0; r < 10; r++) {
      const bit = 1 << r;
      if (!(mask.live & bit)) continue;
      const a = o.regs[r] as RegState;
      const b = c.regs[r] as RegState;
      if (!(mask.precise & bit) && a.type === 'scalar') {
        if (b.type !== 'scalar') return false;
        continue;
      }
      if (!regSafe(a, b, ids)) return false;
    }
    if (!stackSafe(o.stack, c.stack, ids, slotPrecise(mask.slots))) return false;
    for (let i = 0; i < o.argsIn.length || i < c.argsIn.length; i++) {
      const a = o.argsIn[i];
      const b = c.argsIn[i];
      if (a && (!b || !regSafe(a, b, ids))) return false;
    }
    for (let i = 0; i < o.argsOut.length; i++) {
      const a = o.argsOut[i];
      const b = c.argsOut[i];
      if (a && (!b || !regSafe(a, b, ids))) return false;
      if (!a && b) return false; // a stored slot decides whether a later call is allowed
    }
  }
  for (let i = 0; i < old.refs.length; i++) if (!ids.check(old.refs[i]!.id, cur.refs[i]!.id)) return false;
  return true;
}

/** The same abstract state at the same place: a loop that makes no progress. */
export function stateEqual(a: VerifierState, b: VerifierState, live: LiveAt): boolean {
  if (a.frames.length !== b.frames.length || a.refs.length !== b.refs.length) return false;
  for (let k = 0; k < a.frames.length; k++) {
    const x = a.frames[k] as FrameState;
    const y = b.frames[k] as FrameState;
    if (x.callsite !== y.callsite || x.funcStart !== y.funcStart) return false;
    const mask = live(k);
    for (let r = 0; r < 10; r++) {
      const bit = 1 << r;
      if (!(mask.live & bit)) continue;
      const a = x.regs[r] as RegState;
      const b = y.regs[r] as RegState;
      if (!(mask.precise & bit) && a.type === 'scalar' && b.type === 'scalar') continue;
      if (!regEqual(a, b)) return false;
    }
    if (!stackEqual(x.stack, y.stack, slotPrecise(mask.slots))) return false;
  }
  return true;
}

/** Drop ids that no other register shares (they link nothing, and would only block pruning). */
export function dropLonelyIds(s: VerifierState): void {
  let any = false;
  s.forEachReg((r) => {
    if (r.type === 'scalar' && r.id) any = true;
  });
  if (!any) return;
  const count = new Map<number, number>();
  s.forEachReg((r) => {
    if (r.type === 'scalar' && r.id) count.set(r.id, (count.get(r.id) ?? 0) + 1);
  });
  s.forEachReg((r, set) => {
    if (r.type === 'scalar' && r.id && count.get(r.id) === 1) set({ ...r, id: 0 });
  });
}

export { isPtr };
