import type { BpfInsn } from '../instruction.js';
import { HELPER_PROTOS } from '../helper-protos.js';
import type { ProgramInfo } from '../validate.js';
import type { Cfg } from './cfg.js';
import { BpfVerifierError } from './errors.js';
import type { Facts } from './facts.js';
import type { Precision } from './precision.js';
import type { HelperProto } from '../helper-protos.js';
import type { ProgramType } from '../program-types/model.js';
import type { RegState } from './reg-state.js';

/**
 * What the verifier is told about a program's surroundings, and the per-run bookkeeping the
 * transfer functions share (fresh ids, facts, stack depths, the memory a plain-buffer program
 * needs).
 */

/** BPF_F_RDONLY_PROG: the program may read the map's values but not write them (.rodata). */
export const MAP_F_RDONLY_PROG = 1 << 7;
export const MAP_TYPE_ARRAY = 2;

/**
 * The fields of a map the verifier reads: what BPF_MAP_CREATE takes (structurally the map
 * description of src/bpf/maps.ts, and the loader's BpfMapDef).
 */
export interface VerifierMap {
  readonly name: string;
  /** BPF_MAP_TYPE_* */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** array/hash of maps: the map every inner map is like (what a lookup gives) */
  readonly inner?: VerifierMap;
  /**
   * The contents of a read-only map (BPF_F_RDONLY_PROG: .rodata) the program cannot change:
   * loads from it give the constants (and the pointers `pointers` places there, to LDDW src 2
   * data `target` + `targetOffset`), as the kernel does for frozen read-only maps.
   */
  readonly frozen?: FrozenContents;
}

export interface FrozenContents {
  readonly bytes: Uint8Array;
  readonly pointers?: readonly { readonly offset: number; readonly width: 4 | 8; readonly target: number; readonly targetOffset: number }[];
}

/** Arguments and result of a native function (CALL src 2): trusted code, so only the count matters. */
export interface VerifierNative {
  readonly arity: number;
}

export interface VerifierLogOptions {
  /** receives each line (no newline) */
  readonly sink: (line: string) => void;
}

export interface VerifyOptions {
  /**
   * Plain buffer (no program type): the size in bytes of the memory R1 points to. When given,
   * every access must lie inside it and R2 is that size; without it the verifier works out
   * the least size the program's accesses need (`VerifyResult.memSize`), and a run must give
   * at least that much.
   */
  readonly memSize?: number;
  /**
   * The program type (src/bpf/program-types): its context rules, return rule, the helpers it
   * may call. Default: `plain`, a plain buffer.
   */
  readonly programType?: ProgramType;
  /** the expected attach type, for attach-specific context fields and return rules */
  readonly attach?: string;
  /** helper prototypes by id (default: src/bpf/helper-protos.ts); a program type still limits which it may call */
  readonly helpers?: ReadonlyMap<number, HelperProto>;
  /**
   * helper ids without a prototype that are the embedder's own trusted code (user helpers):
   * called like native functions, with nothing checked about their arguments; R0 is a number
   */
  readonly trustedHelpers?: ReadonlySet<number>;
  /** maps by LDDW src 1 imm (BPF_PSEUDO_MAP_FD / map index) */
  readonly maps?: readonly VerifierMap[];
  /** global data by LDDW src 2 imm, as one-entry array maps (BPF_PSEUDO_MAP_VALUE) */
  readonly data?: readonly VerifierMap[];
  /** native functions by CALL src 2 imm */
  readonly natives?: ReadonlyMap<number, VerifierNative>;
  /** most instructions processed before giving up (the kernel's BPF_COMPLEXITY_LIMIT_INSNS) */
  readonly maxProcessed?: number;
  /**
   * Most stack bytes a chain of calls may use together, each frame rounded up to 32 (the
   * kernel's MAX_BPF_STACK rule, default 512). a64jit gives every frame its own 512 bytes, so
   * a larger limit is still safe; the default keeps programs loadable by the kernel.
   */
  readonly maxCombinedStack?: number;
  /** false: reject every back-edge, as the kernel does without CAP_BPF (default true) */
  readonly allowLoops?: boolean;
  /** a line per processed instruction with the state before it (the kernel's log level 2) */
  readonly log?: VerifierLogOptions;
  /**
   * Sandbox mode: the analysis run before a program runs under the sandbox (run-time region
   * checks and the instruction budget). What no run-time check can see is refused exactly as
   * in normal mode; memory accesses whose bounds are not proven but may hold are accepted and
   * left to the run-time checks, and loops need not be proven to end (the budget stops them):
   * see Facts.leftToRunTime. Accesses certainly out of bounds are still refused.
   */
  readonly sandbox?: boolean;
}

export const COMPLEXITY_LIMIT = 1_000_000;
/** BPF_MAX_VAR_OFF: a variable offset must stay below this */
export const MAX_VAR_OFF = 1 << 29;

/** A map reference as kept in a register: an index into `VerifierEnv.maps`. */
export interface MapSlot {
  readonly map: VerifierMap;
  /** 'map': LDDW src 1 index i; 'data': LDDW src 2 index i */
  readonly kind: 'map' | 'data';
  readonly index: number;
}

/**
 * The context rules of a program type, as the verifier asks them (built from the program-type
 * model by context.ts).
 */
export interface ContextRules {
  /**
   * A context access of `size` bytes at `off`: a kernel-worded message when it is refused,
   * 'scalar' when it reads data, or the pointer register a load of the field gives.
   */
  access(off: number, size: number, write: boolean, signed: boolean): string | 'scalar' | RegState;
  /** the program may write packet data */
  readonly packetWritable: boolean;
}

export class VerifierEnv {
  /** the program type's context rules (undefined: a plain buffer) */
  context?: ContextRules;
  /** R0 at the program's exit must lie in this signed range (the type's enforced return rule) */
  returnRange?: { readonly min: number; readonly max: number };
  readonly helpers: ReadonlyMap<number, HelperProto>;
  readonly typeName: string;
  /** an atomic operation on the plain buffer: it must be 8-byte aligned */
  memAtomics = false;
  readonly maps: MapSlot[] = [];
  readonly #mapIndex = new Map<string, number>();
  #nextId = 0;
  /** highest byte offset + 1 the plain buffer must have */
  requiredMem = 0;
  /** per function: deepest stack byte used (positive number of bytes) */
  readonly stackDepth: number[];
  /** which values can still matter, per pc (precision.ts) */
  precision!: Precision;
  processed = 0;
  totalStates = 0;
  peakStates = 0;

  constructor(
    readonly insns: readonly BpfInsn[],
    readonly info: ProgramInfo,
    readonly cfg: Cfg,
    readonly options: VerifyOptions,
    readonly facts: Facts,
  ) {
    this.stackDepth = info.functions.map(() => 0);
    this.helpers = options.helpers ?? HELPER_PROTOS;
    this.typeName = options.programType?.name ?? 'plain';
  }

  /** The slot of the inner map of map-in-map `outer`. */
  innerSlot(outer: number): number | undefined {
    const key = `inner:${outer}`;
    const known = this.#mapIndex.get(key);
    if (known !== undefined) return known;
    const map = this.maps[outer]?.map.inner;
    if (!map) return undefined;
    this.maps.push({ map, kind: 'map', index: -1 });
    this.#mapIndex.set(key, this.maps.length - 1);
    return this.maps.length - 1;
  }

  nextId(): number {
    return ++this.#nextId;
  }

  fail(reason: string, pc: number): never {
    throw new BpfVerifierError(reason, pc, this.insns);
  }

  /** sandbox mode (VerifyOptions.sandbox) */
  get sandbox(): boolean {
    return this.options.sandbox === true;
  }

  /**
   * What normal mode refuses with `reason` but the sandbox's run-time checks decide: refused
   * in normal mode, recorded (and accepted) in sandbox mode.
   */
  leaveToRunTime(reason: string, pc: number): void {
    if (!this.sandbox) this.fail(reason, pc);
    this.facts.leaveToRunTime(pc, reason);
  }

  /** The register-level handle of LDDW src 1 (kind 'map') or src 2 (kind 'data') index i; undefined if none. */
  mapSlot(kind: 'map' | 'data', index: number): number | undefined {
    const key = `${kind}:${index}`;
    const known = this.#mapIndex.get(key);
    if (known !== undefined) return known;
    const list = kind === 'map' ? this.options.maps : this.options.data;
    const map = list?.[index];
    if (!map) return undefined;
    this.maps.push({ map, kind, index });
    this.#mapIndex.set(key, this.maps.length - 1);
    return this.maps.length - 1;
  }

  map(slot: number): VerifierMap {
    return (this.maps[slot] as MapSlot).map;
  }

  mapName = (slot: number): string => this.maps[slot]?.map.name ?? `#${slot}`;

  noteStack(func: number, depth: number): void {
    if (depth > (this.stackDepth[func] as number)) this.stackDepth[func] = depth;
  }
}
