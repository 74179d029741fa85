import {
  BpfClass,
  BpfJmpOp,
  validateProgram,
  type BpfInsn,
  type BpfObject,
  type BpfProgram,
  type HelperFn,
} from '../bpf/index.js';
import { linkForInterpreter } from '../bpf/object-linker.js';
import { blindConstants, compileProgram, formatListing, listing } from '../jit/index.js';
import { DEFAULT_EXTERN_ARITY } from '../jit/object-program.js';

export interface ListingOptions {
  readonly atomics: 'lse' | 'llsc';
  /** the optimization tier (default on, as in JitProgram) */
  readonly optimize?: boolean;
  /** constant blinding with this seed */
  readonly blindSeed?: number;
}

/**
 * The JIT listing of a program without executing anything: the pure compiler with a fake
 * load address 0 (code addresses in the listing are offsets), context block at 0, every
 * helper the program calls taken as registered, natives at address 0. The code is exactly
 * what JitProgram would load, up to those embedded addresses.
 */
export function arm64Listing(insns: readonly BpfInsn[], options: ListingOptions, link?: { obj: BpfObject; program: BpfProgram }): string {
  const helperIds = new Set<number>();
  for (const insn of insns) {
    // call imm (CALL src 0, BPF_K): a helper by id
    if (insn.code === (BpfClass.JMP | BpfJmpOp.CALL) && insn.src === 0) helperIds.add(insn.imm);
  }
  const stub: HelperFn = () => 0n;
  const helpers = new Map([...helperIds].map((id) => [id, stub]));
  let natives = new Map<number, { name: string; arity: number }>();
  let resolvePseudo: ((pseudo: number, imm: number, nextImm: number, pc: number) => bigint) | undefined;
  if (link) {
    // The interpreter's layout gives data images distinct, stable fake addresses.
    const names = new Map(link.obj.externs.map((e) => [e.name, { arity: DEFAULT_EXTERN_ARITY, call: () => 0n }]));
    const linked = linkForInterpreter(link.obj, link.program, { natives: names });
    natives = new Map([...linked.natives].map(([id, n]) => [id, { name: n.name, arity: n.arity }]));
    resolvePseudo = linked.resolvePseudo;
  }
  let info = validateProgram(insns, { helpers, natives });
  let slots = insns;
  if (options.blindSeed !== undefined) {
    const blinded = blindConstants(insns, options.blindSeed);
    slots = blinded.program;
    info = blinded.info;
  }
  const compiled = compileProgram(slots, {
    contextAddress: 0n,
    helperIds,
    natives: new Map([...natives.keys()].map((id) => [id, 0n])),
    atomics: options.atomics,
    info,
    // as JitProgram has it: a blinded program's AX values stay opaque to the optimizer
    optimize: options.optimize === false ? false : options.blindSeed !== undefined ? { blinded: true } : {},
    ...(resolvePseudo ? { resolvePseudo } : {}),
  });
  return formatListing(listing(slots, compiled, 0n));
}
