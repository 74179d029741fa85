/**
 * A direction is one way of crossing a call boundary that the matrix checks (JS -> probe through
 * koffi, stub -> C, C -> probe, stub -> JS callback, later the JIT's native calls). Directions
 * live in a registry so a new one plugs in without touching the matrix or the CLI.
 */
import type { Mismatch } from '../check.js';
import type { Variant } from '../classify.js';
import type { Signature } from '../types.js';

export type OutcomeStatus = 'pass' | 'fail' | 'known' | 'skipped';

export interface SignatureOutcome {
  readonly id: string;
  /** the signature in text form */
  readonly signature: string;
  readonly status: OutcomeStatus;
  readonly mismatches: readonly Mismatch[];
  /** id of the known defect a 'known' failure is attributed to */
  readonly known?: string;
  /** why it was skipped, or the error that stopped it */
  readonly reason?: string;
}

/** A defect of a third party that the matrix finds and reports (never hides). */
export interface KnownDefect {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** a minimal reproduction, as text (code and what it prints) */
  readonly reproduction: string;
}

export interface DirectionRun {
  readonly id: string;
  readonly title: string;
  readonly outcomes: readonly SignatureOutcome[];
  readonly knownDefects: readonly KnownDefect[];
  readonly notes: readonly string[];
}

export interface DirectionContext {
  readonly variant: Variant;
  /** seed mixed into the argument patterns */
  readonly seed: number;
  /** progress messages (stderr in the CLI) */
  readonly log?: (message: string) => void;
}

export interface Direction {
  readonly id: string;
  readonly title: string;
  /** undefined when the direction can run here, else why not (e.g. no arm64 C compiler) */
  unavailable(ctx: DirectionContext): string | undefined;
  run(signatures: readonly Signature[], ctx: DirectionContext): Promise<DirectionRun>;
}

const registry = new Map<string, Direction>();

export function registerDirection(d: Direction): void {
  if (registry.has(d.id)) throw new Error(`direction '${d.id}' is already registered`);
  registry.set(d.id, d);
}

/** Every registered direction, in registration order. */
export function registeredDirections(): readonly Direction[] {
  return [...registry.values()];
}

export function findDirection(id: string): Direction | undefined {
  return registry.get(id);
}

/** Helper for directions: a skipped outcome. */
export const skipped = (sig: Signature, text: string, reason: string): SignatureOutcome => ({ id: sig.id, signature: text, status: 'skipped', mismatches: [], reason });

/** Helper for directions: pass or fail from mismatches. */
export const judged = (sig: Signature, text: string, mismatches: readonly Mismatch[]): SignatureOutcome => ({
  id: sig.id,
  signature: text,
  status: mismatches.length === 0 ? 'pass' : 'fail',
  mismatches,
});
