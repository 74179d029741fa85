import type { Memory } from './memory.js';

/** What a helper or native function sees of the running program. */
export interface HelperEnv {
  /** the program's address space, for helpers that take pointers */
  readonly memory: Memory;
  /** slot index of the call instruction */
  readonly pc: number;
  /** stop the whole program at once with R0 = value (never returns) */
  exit(value: bigint): never;
}

/**
 * A helper called by `call <id>` (CALL src 0, RFC 9669 section 4.3.1 "helper functions").
 * It receives R1-R5 as unsigned 64-bit values and returns R0 (taken modulo 2^64).
 */
export type HelperFn = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, env: HelperEnv) => bigint;

/** Helpers by static id. */
export type HelperRegistry = ReadonlyMap<number, HelperFn>;

/**
 * A native function called by `call native <id>` (CALL src 2, the Linux kfunc form). It
 * takes up to 12 arguments: R1-R5 and then the outgoing stack-argument slots
 * (docs/bpf-stack-args.md), `arity` says how many.
 */
export interface NativeFunction {
  readonly name: string;
  /** 0..12 */
  readonly arity: number;
  call(args: readonly bigint[], env: HelperEnv): bigint;
}

/** Native functions by id (the CALL imm). */
export type NativeRegistry = ReadonlyMap<number, NativeFunction>;

export const MAX_FUNC_ARGS = 12;

/** name -> id, for `call native <name>` in the assembler. */
export function nativeIdsByName(natives: NativeRegistry): Map<string, number> {
  return new Map([...natives].map(([id, f]) => [f.name, id]));
}

/**
 * The bpf_conformance suite's only helper, id 5, as uBPF defines it: it returns its first
 * argument, and when that argument is 0 the program stops at once with R0 = 0 (used by the
 * suite to test unwinding out of nested calls).
 */
export const CONFORMANCE_UNWIND_HELPER_ID = 5;

export const conformanceUnwindHelper: HelperFn = (r1, _r2, _r3, _r4, _r5, env) => {
  if (r1 === 0n) env.exit(0n);
  return r1;
};

/** The helper registry a conformance run hands to the program. */
export function conformanceHelpers(): Map<number, HelperFn> {
  return new Map([[CONFORMANCE_UNWIND_HELPER_ID, conformanceUnwindHelper]]);
}
