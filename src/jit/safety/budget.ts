import { X30, adr, subImm, type Assembler, type Label } from '../../arm64/index.js';
import { BUDGET, SCRATCH3 } from '../registers.js';

/**
 * The instruction budget of unverified code: x24 counts the back-edges and calls a run may
 * still take. The entry sets it; every backward branch and every function entry take one
 * tick; a tick that finds it at 0 stops the program (BpfBudgetError), so an endless loop or
 * endless recursion ends like it does in the interpreter. Verified programs carry none.
 *
 * A tick is `cbnz x24, go; <x15 = native pc>; b budget_exit; go: sub x24, x24, #1`: two
 * instructions on the path taken, none of them touching the flags, so it may sit between a
 * compare and its conditional branch. The exit stub is inline, so no branch reach limit
 * applies (B reaches 128 MiB).
 */
export function emitTick(a: Assembler, budgetExit: Label, where: 'branch' | 'call'): void {
  const go = a.newLabel();
  a.cbnz(BUDGET, go);
  // at a branch: this instruction's own address (its origin is the branch's BPF pc); at a
  // function entry: the call instruction, just before the return address
  if (where === 'branch') a.emit(adr(SCRATCH3, 0));
  else a.emit(subImm(SCRATCH3, X30, 4));
  a.b(budgetExit);
  a.bind(go);
  a.emit(subImm(BUDGET, BUDGET, 1));
}

/** The counter's start value: `budget` ticks succeed, the next one stops the run. */
export function emitBudgetInit(a: Assembler, budget: number): void {
  a.materialize(BUDGET, BigInt(budget));
}

/** Largest budget: the counter is a 64-bit register, but budgets are JS numbers. */
export const MAX_BUDGET = Number.MAX_SAFE_INTEGER;

export function checkBudget(budget: number): void {
  if (!Number.isInteger(budget) || budget < 1 || budget > MAX_BUDGET) {
    throw new RangeError(`budget must be an integer from 1 to ${MAX_BUDGET}, got ${budget}`);
  }
}
