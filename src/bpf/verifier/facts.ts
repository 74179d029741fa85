import type { RegState } from './reg-state.js';
import { constValue, isConst } from './scalar.js';
import type { PointerCheck } from '../pointer-checks.js';

/**
 * What the verifier proved, per pc, for later stages (an optimizer may drop checks or fold
 * constants with them). Facts hold on every path the verifier walked to that pc.
 */
export interface AccessFact {
  /** what the pointer points into: the register type name ('fp', 'map_value', 'pkt', 'mem', 'ctx', ...) */
  readonly region: string;
  /** byte offsets from the region's start (stack: from the frame pointer) of the first accessed byte, lowest and highest */
  readonly minOff: number;
  readonly maxOff: number;
  readonly size: number;
  readonly write: boolean;
}

export interface CtxFieldFact {
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
}

export class Facts {
  /** pc -> the memory access at that pc, proven in bounds */
  readonly accesses = new Map<number, AccessFact>();
  /** pc -> the context field accessed */
  readonly ctxFields = new Map<number, CtxFieldFact>();
  /** pc -> registers holding the same constant before the instruction on every visit */
  readonly constants = new Map<number, Map<number, bigint>>();
  /** pcs the verifier reached (the others are dead code) */
  readonly reached = new Set<number>();
  /**
   * Sandbox mode only: pc -> what normal mode would have refused there (its kernel-worded
   * message), left to the sandbox's run-time checks: accesses whose bounds are not proven but
   * may hold (and pointer arithmetic with an unbounded offset, whose accesses are checked).
   * Those accesses have no entry in `accesses` (nothing is proven about them).
   */
  readonly leftToRunTime = new Map<number, string>();
  /** Sandbox mode only: loop heads (pc -> why) whose termination is left to the instruction budget. */
  readonly loopsLeftToBudget = new Map<number, string>();

  /**
   * Sandbox mode only: pc -> the run-time check of a map-value pointer's arithmetic there
   * (src/bpf/pointer-checks.ts). Present only where some path needs it and every path that
   * reaches the instruction agrees on its shape (pointerArith).
   */
  get pointerChecks(): ReadonlyMap<number, PointerCheck> {
    const out = new Map<number, PointerCheck>();
    for (const [pc, v] of this.#pointerArith) {
      if (!v.needed || !v.check) continue;
      const d = this.#demands.get(pc);
      out.set(pc, d ? { ...v.check, min: Math.max(v.check.min, d[0]), max: Math.min(v.check.max, d[1]) } : v.check);
    }
    return out;
  }
  readonly #pointerArith = new Map<number, { check: PointerCheck | undefined; needed: boolean }>();
  readonly #demands = new Map<number, [number, number]>();

  /** Sandbox mode: an access through a pointer checked at pc needs its offset t in [lo, hi]. */
  pointerDemand(pc: number, lo: number, hi: number): void {
    const d = this.#demands.get(pc);
    this.#demands.set(pc, d ? [Math.max(d[0], lo), Math.min(d[1], hi)] : [lo, hi]);
  }

  /** The shape of the check at pc (undefined when paths disagree or none is known). */
  pointerCheckAt(pc: number): PointerCheck | undefined {
    return this.#pointerArith.get(pc)?.check;
  }

  /**
   * Sandbox mode: one visit of pointer arithmetic at pc: the check's shape on this path
   * (undefined: no map-value pointer at a known offset) and whether this path needs it.
   */
  pointerArith(pc: number, check: PointerCheck | undefined, needed: boolean): void {
    const old = this.#pointerArith.get(pc);
    if (!old) {
      this.#pointerArith.set(pc, { check, needed });
      return;
    }
    const same = old.check !== undefined && check !== undefined && samePointerCheck(old.check, check);
    this.#pointerArith.set(pc, { check: same ? old.check : undefined, needed: old.needed || needed });
  }

  access(pc: number, fact: AccessFact): void {
    if (this.leftToRunTime.has(pc)) return;
    const old = this.accesses.get(pc);
    if (!old) {
      this.accesses.set(pc, fact);
      return;
    }
    this.accesses.set(pc, {
      region: old.region === fact.region ? old.region : 'mixed',
      minOff: Math.min(old.minOff, fact.minOff),
      maxOff: Math.max(old.maxOff, fact.maxOff),
      size: fact.size,
      write: fact.write,
    });
  }

  /** Sandbox mode: the access at pc is left to run time (see leftToRunTime). */
  leaveToRunTime(pc: number, reason: string): void {
    this.accesses.delete(pc);
    if (!this.leftToRunTime.has(pc)) this.leftToRunTime.set(pc, reason);
  }

  ctxField(pc: number, fact: CtxFieldFact): void {
    this.ctxFields.set(pc, fact);
  }

  visit(pc: number, regs: readonly RegState[]): void {
    const known = this.constants.get(pc);
    if (known === undefined) {
      this.reached.add(pc);
      const m = new Map<number, bigint>();
      for (let i = 0; i < 10; i++) {
        const r = regs[i] as RegState;
        if (r.type === 'scalar' && isConst(r.v)) m.set(i, constValue(r.v));
      }
      this.constants.set(pc, m);
      return;
    }
    if (known.size === 0) return;
    for (const [i, v] of known) {
      const r = regs[i] as RegState;
      if (r.type !== 'scalar' || !isConst(r.v) || constValue(r.v) !== v) known.delete(i);
    }
  }
}

function samePointerCheck(a: PointerCheck, b: PointerCheck): boolean {
  return a.scalarReg === b.scalarReg && a.dst === b.dst && a.negate === b.negate && a.base === b.base && a.limit === b.limit && a.map === b.map && a.min === b.min && a.max === b.max;
}
