import { validateProgram, type BpfInsn, type HelperEnv, type HelperFn, type HelperRegistry, type ValidateOptions } from '../bpf/index.js';
import { verifyProgram, type VerifyOptions, type VerifyResult } from '../bpf/verifier/index.js';
import { CodeRegion, NativeFunction, bufferAddress, hostInfo, koffi, prototype } from '../runtime/index.js';
import { blindConstants } from './blinding.js';
import { compileProgram, type CompiledProgram } from './compiler.js';
import type { OptimizeOptions } from './opt/index.js';
import {
  CONTEXT_SIZE,
  CTX_EXIT_REQUEST,
  CTX_EXIT_VALUE,
  CTX_HELPERS,
  EXIT_REQUEST_BAD_CALL,
  EXIT_REQUEST_HELPER,
  EXIT_REQUEST_NONE,
  HELPER_TABLE_SIZE,
} from './context-layout.js';

/** bpf_tail_call's id: inline code, not a table entry (emit-tailcall.ts). */
const TAIL_CALL_HELPER_ID = 12;
import { JitCompileError, JitRuntimeError } from './errors.js';
import { formatListing, listing, type ListingLine } from './listing.js';

/** A native function that `call native <id>` (CALL src 2) reaches, by address. */
export interface NativeTarget {
  readonly name: string;
  readonly address: bigint;
  /** 0..12 arguments: R1-R5, then stack-argument slots (validation checks the callers) */
  readonly arity: number;
}

export interface JitOptions {
  /** helpers by id, as JavaScript functions called through koffi callbacks (R1-R5 in, R0 out) */
  readonly helpers?: HelperRegistry;
  /**
   * helpers by id as native code addresses (functions of the BPF helper signature, e.g. the
   * addon's map helpers): JIT code calls them directly, no JavaScript on the way
   */
  readonly nativeHelpers?: ReadonlyMap<number, bigint>;
  /**
   * compile for tail calls: bpf_tail_call (helper 12) becomes inline code, and the program
   * gets a tail-call entry other programs' tail calls jump to (tailCallEntry)
   */
  readonly tailCalls?: boolean;
  /** native functions by CALL src 2 imm */
  readonly natives?: ReadonlyMap<number, NativeTarget>;
  /** values of LDDW pseudo forms (map values, global data) */
  readonly resolvePseudo?: (pseudo: number, imm: number, nextImm: number, pc: number) => bigint;
  /** 'auto' (default): LSE when the CPU has FEAT_LSE; 'llsc' forces exclusive-access loops */
  readonly atomics?: 'auto' | 'lse' | 'llsc';
  /** constant blinding, like the kernel's bpf_jit_harden: no program immediate reaches the code */
  readonly blind?: boolean | { readonly seed: number };
  /**
   * The optimization tier (src/jit/opt, on by default): false compiles each BPF instruction on
   * its own (`-O0`); an object switches single passes off (`{ disable: ['load-merge'] }`).
   */
  readonly optimize?: boolean | OptimizeOptions;
  /** further validation options (helper and native ids are filled in from above) */
  readonly validate?: Omit<ValidateOptions, 'helpers' | 'natives'>;
  /**
   * Prove the program safe before compiling it (default on; `false` for trusted code). The
   * options go to the verifier: helper prototypes for the helpers given (default Linux's),
   * maps, the program type, the memory size (without one, a run must give at least the size
   * the verifier found the program needs; with one, exactly that size).
   */
  readonly verify?: boolean | Omit<VerifyOptions, 'natives'>;
}

/** `uint64_t prog(void *ctx, uint64_t ctx_len)`: R1 = ctx, R2 = its length, R0 returned. */
export const ENTRY_SIGNATURE = 'uint64_t (void *, uint64_t)';
const HELPER_SIGNATURE = 'uint64_t (uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)';

/** Thrown inside a JS helper by env.exit(); turned into an exit request for the JIT code. */
class HelperExit {
  constructor(readonly value: bigint) {}
}

const toU64 = (v: unknown): bigint => BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v as number));

/**
 * A compiled program in executable memory, callable from JavaScript. Owns its code region,
 * context block and helper callbacks until free().
 */
export class JitProgram {
  readonly compiled: CompiledProgram;
  /** the slots that were compiled (after constant blinding, when on) */
  readonly program: readonly BpfInsn[];
  readonly atomics: 'lse' | 'llsc';
  readonly #region: CodeRegion;
  readonly #context: Buffer;
  readonly #callbacks: bigint[];
  readonly #entry: NativeFunction;
  #freed = false;
  #verified: { readonly result: VerifyResult; readonly options: Omit<VerifyOptions, 'natives'> } | undefined;

  private constructor(
    compiled: CompiledProgram,
    program: readonly BpfInsn[],
    atomics: 'lse' | 'llsc',
    region: CodeRegion,
    context: Buffer,
    callbacks: bigint[],
  ) {
    this.compiled = compiled;
    this.program = program;
    this.atomics = atomics;
    this.#region = region;
    this.#context = context;
    this.#callbacks = callbacks;
    this.#entry = new NativeFunction(region.address, ENTRY_SIGNATURE, region);
  }

  /** Validate, compile and load a program. Everything the JIT cannot do fails here. */
  static compile(program: readonly BpfInsn[], options: JitOptions = {}): JitProgram {
    const helpers = options.helpers ?? new Map();
    const nativeHelpers = options.nativeHelpers ?? new Map<number, bigint>();
    const natives = options.natives ?? new Map<number, NativeTarget>();
    const helperIds = new Set<number>([...helpers.keys(), ...nativeHelpers.keys(), ...(options.tailCalls === true ? [TAIL_CALL_HELPER_ID] : [])]);
    for (const id of nativeHelpers.keys()) {
      if (helpers.has(id)) throw new JitCompileError(`helper ${id} is given both as a JavaScript function and as native code`, -1);
    }
    validateProgram(program, { ...options.validate, helpers: helperIds, natives });
    const verifyOptions = options.verify === false ? undefined : options.verify === true || options.verify === undefined ? {} : options.verify;
    const verified = verifyOptions && verifyProgram(program, { ...verifyOptions, natives });
    const atomics = options.atomics === undefined || options.atomics === 'auto' ? (hostInfo().lse ? 'lse' : 'llsc') : options.atomics;
    const blinded = options.blind ? blindConstants(program, typeof options.blind === 'object' ? options.blind.seed : randomSeed()) : undefined;
    const slots = blinded?.program ?? program;

    const context = Buffer.alloc(CONTEXT_SIZE);
    const callbacks: bigint[] = [];
    let region: CodeRegion | undefined;
    try {
      for (const [id, fn] of helpers) {
        const address = registerHelper(context, id, fn);
        callbacks.push(address);
        context.writeBigUInt64LE(address, CTX_HELPERS + 8 * id);
      }
      for (const [id, address] of nativeHelpers) {
        if (!Number.isInteger(id) || id < 0 || id >= HELPER_TABLE_SIZE) throw new JitCompileError(`helper id ${id} is outside 0..${HELPER_TABLE_SIZE - 1}`, -1);
        context.writeBigUInt64LE(address, CTX_HELPERS + 8 * id);
      }
      const compiled = compileProgram(slots, {
        contextAddress: bufferAddress(context),
        helperIds,
        ...(options.tailCalls === true ? { tailCalls: true } : {}),
        natives: new Map([...natives].map(([id, n]) => [id, n.address])),
        atomics,
        ...(options.resolvePseudo ? { resolvePseudo: options.resolvePseudo } : {}),
        ...(blinded ? { info: blinded.info } : {}),
        optimize: optimizeOptions(options.optimize, blinded !== undefined),
      });
      region = CodeRegion.fromCode(compiled.code);
      const jit = new JitProgram(compiled, slots, atomics, region, context, callbacks);
      if (verified && verifyOptions) jit.#verified = { result: verified, options: verifyOptions };
      return jit;
    } catch (e) {
      region?.free();
      for (const cb of callbacks) koffi().unregister(cb);
      throw e;
    }
  }

  /** Address of the compiled entry function. */
  get address(): bigint {
    return this.#region.address;
  }

  /** Where a bpf_tail_call enters this program (programs compiled with tailCalls), else undefined. */
  get tailCallEntry(): bigint | undefined {
    const off = this.compiled.tailCallEntry;
    return off === undefined ? undefined : this.#region.address + BigInt(off);
  }

  /** What the verifier proved (undefined when compiled with `verify: false`). */
  get verified(): VerifyResult | undefined {
    return this.#verified?.result;
  }

  /** Machine code bytes. */
  get code(): Uint8Array {
    return this.compiled.code;
  }

  /**
   * Run with `mem` as the context (R1 = its address, R2 = its length; null gives 0 and 0).
   * The program reads and writes `mem` in place.
   */
  run(mem: Uint8Array | null = null): bigint {
    return this.call(mem, BigInt(mem?.length ?? 0));
  }

  /** Run with explicit R1 (a buffer, an address, or null) and R2. */
  call(r1: Uint8Array | bigint | null, r2: bigint): bigint {
    if (this.#freed) throw new JitRuntimeError('the program was freed');
    if (this.#verified) checkVerifiedMemory(this.#verified, r1, r2);
    this.#context.writeBigUInt64LE(BigInt(EXIT_REQUEST_NONE), CTX_EXIT_REQUEST);
    const r0 = this.#entry.call(r1, r2) as bigint;
    const request = Number(this.#context.readBigUInt64LE(CTX_EXIT_REQUEST));
    if (request === EXIT_REQUEST_BAD_CALL) {
      const target = this.#context.readBigUInt64LE(CTX_EXIT_VALUE);
      throw new JitRuntimeError(`callx to 0x${target.toString(16)}: not a registered helper id or a function of this program`);
    }
    return BigInt.asUintN(64, r0);
  }

  /** Each BPF instruction with the AArch64 code it became (objdump-style). */
  listing(): ListingLine[] {
    return listing(this.program, this.compiled, this.#region.address);
  }

  formatListing(): string {
    return formatListing(this.listing());
  }

  free(): void {
    if (this.#freed) throw new JitRuntimeError('the program was already freed');
    this.#freed = true;
    this.#region.free();
    for (const cb of this.#callbacks) koffi().unregister(cb);
  }
}

/** JitOptions.optimize as the compiler takes it; a blinded program's AX values stay opaque. */
function optimizeOptions(optimize: boolean | OptimizeOptions | undefined, blinded: boolean): false | OptimizeOptions {
  if (optimize === false) return false;
  const o = typeof optimize === 'object' ? optimize : {};
  return blinded ? { ...o, blinded: true } : o;
}

/**
 * A verified plain-buffer program was proven safe for a memory of at least (or, with
 * `memSize`, exactly) the size the verifier worked out; anything else could let it read or
 * write past the buffer, so it is refused before any code runs.
 */
function checkVerifiedMemory(v: { readonly result: VerifyResult; readonly options: Omit<VerifyOptions, 'natives'> }, r1: Uint8Array | bigint | null, r2: bigint): void {
  const typed = v.options.programType !== undefined && v.options.programType.name !== 'plain';
  if (typed) return;
  const need = v.result.memSize;
  const exact = v.options.memSize;
  if (typeof r1 === 'bigint' && (need > 0 || exact !== undefined)) {
    throw new JitRuntimeError('a verified program gets its memory as a buffer, not an address (compile with verify: false for raw addresses)');
  }
  const length = r1 instanceof Uint8Array ? r1.length : 0;
  if (exact !== undefined && (length !== exact || r2 !== BigInt(exact))) {
    throw new JitRuntimeError(`the program was verified for exactly ${exact} bytes of memory; got ${length}${r2 !== BigInt(length) ? ` (R2 = ${r2})` : ''}`);
  }
  if (length < need) throw new JitRuntimeError(`the program reads or writes ${need} bytes of its memory (as verified); got ${length}`);
  if (v.result.memAtomics && r1 instanceof Uint8Array && bufferAddress(r1) % 8n !== 0n) {
    throw new JitRuntimeError('the program does atomic operations on its memory, which must then be 8-byte aligned');
  }
}

function randomSeed(): number {
  return (Math.random() * 2 ** 32) >>> 0;
}

/**
 * A koffi callback for a JS helper. It runs on the main thread (koffi.register); exceptions
 * must not unwind through JIT frames, so every outcome becomes a return value: env.exit(v)
 * stores an exit request the JIT code checks after the call, and a helper that throws stops
 * the program the same way after recording the error for run() to rethrow.
 */
function registerHelper(context: Buffer, id: number, fn: HelperFn): bigint {
  const env: HelperEnv = {
    get memory(): never {
      throw new JitRuntimeError(`helper ${id}: JIT-compiled programs use native memory; this helper needs the interpreter's Memory`);
    },
    pc: -1,
    exit(value: bigint): never {
      throw new HelperExit(value);
    },
  };
  const callback = (r1: unknown, r2: unknown, r3: unknown, r4: unknown, r5: unknown): bigint => {
    try {
      return toU64(fn(toU64(r1), toU64(r2), toU64(r3), toU64(r4), toU64(r5), env));
    } catch (e) {
      if (e instanceof HelperExit) {
        context.writeBigUInt64LE(BigInt(EXIT_REQUEST_HELPER), CTX_EXIT_REQUEST);
        context.writeBigUInt64LE(BigInt.asUintN(64, e.value), CTX_EXIT_VALUE);
        return 0n;
      }
      throw e;
    }
  };
  return koffi().register(callback, koffi().pointer(prototype(HELPER_SIGNATURE)));
}

export { JitCompileError, JitRuntimeError };
