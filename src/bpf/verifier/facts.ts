import type { RegState } from './reg-state.js';
import { constValue, isConst } from './scalar.js';

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
