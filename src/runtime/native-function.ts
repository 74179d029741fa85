import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { liveCodeAt } from './addon.js';
import { CodeRegion } from './code-region.js';
import { processCodeRangeAt } from './code-ranges.js';
import { NativeCallError } from './errors.js';
import { requireArm64Host } from './wrong-host.js';

type KoffiModule = typeof Koffi;
type KoffiType = ReturnType<KoffiModule['proto']>;

let koffiModule: KoffiModule | undefined;

/**
 * koffi, ready for calls through raw addresses. koffi 3 sets its call memory up only inside
 * load()/register(); a raw-pointer call before either crashes the process (defect A,
 * ../shared/docs/toolchain-notes.md), so the first use loads the main program once.
 */
export function koffi(): KoffiModule {
  if (!koffiModule) {
    const require = createRequire(import.meta.url);
    const k = require('koffi') as KoffiModule;
    k.load(null);
    koffiModule = k;
  }
  return koffiModule;
}

const prototypes = new Map<string, KoffiType>();

/** A koffi prototype for a C signature such as 'int64_t (int64_t, int64_t)', cached by text. */
export function prototype(signature: string): KoffiType {
  let proto = prototypes.get(signature);
  if (!proto) {
    try {
      proto = koffi().proto(signature);
    } catch (e) {
      throw new NativeCallError(`invalid C prototype '${signature}': ${(e as Error).message}`);
    }
    prototypes.set(signature, proto);
  }
  return proto;
}

export type NativeArg = bigint | number | boolean | null | Uint8Array;
export type NativeResult = bigint | number | boolean | null | undefined | unknown;

/**
 * Calling through koffi without a per-function cost that never comes back.
 *
 * koffi.decode(address, proto) gives a function about 3x faster to call than
 * koffi.call(address, proto, ...) (measured under qemu: 7-10 us vs 29 us), but koffi never
 * releases what decode() allocates (about 9 extra mappings per 1,000 decodes, measured), and
 * code regions get new addresses. So each prototype gets one decoded *trampoline* instead:
 * it takes the target address as one more, last, uint64 argument and branches to it. By
 * AAPCS64 6.8.2 that argument lands in the next free general register x<n> (n = number of
 * integer/pointer arguments, when < 8); the other arguments, the stack and x30 are untouched,
 * so the target runs exactly as if called directly and returns straight to koffi.
 * Prototypes where the extra argument would go to the stack (8+ integer arguments), or with
 * aggregates or variadic arguments, use koffi.call().
 */
const trampolines = new Map<string, ((...args: NativeArg[]) => unknown) | null>();
/**
 * The trampolines' code regions. Only their addresses live in the decoded functions, so the
 * regions themselves must be held here: a CodeRegion that is garbage-collected is unmapped,
 * and the next call through its trampoline would jump into nothing.
 */
const trampolineRegions: CodeRegion[] = [];

const integerKinds = new Set(['Bool', 'Int8', 'UInt8', 'Int16', 'Int16S', 'UInt16', 'UInt16S', 'Int32', 'Int32S', 'UInt32', 'UInt32S', 'Int64', 'Int64S', 'UInt64', 'UInt64S', 'String', 'String16', 'Pointer', 'Callback']);
const floatKinds = new Set(['Float32', 'Float64']);

/** BR Xn (ARM ARM C6.2.37): 1101011 0000 11111 000000 Rn 00000. */
const encodeBr = (n: number): number => (0xd61f0000 | (n << 5)) >>> 0;

/**
 * koffi describes each parameter as { type, direction } (its .d.ts says TypeObject; 3.3.4
 * returns the wrapper), so read the type through it.
 */
interface KoffiParameter {
  readonly type: KoffiType;
  readonly direction: string;
}
function parameters(info: NonNullable<KoffiType['proto']>): KoffiParameter[] {
  return info.arguments as unknown as KoffiParameter[];
}

function trampolineFor(signature: string): ((...args: NativeArg[]) => unknown) | null {
  if (trampolines.has(signature)) return trampolines.get(signature) ?? null;
  const info = prototype(signature).proto;
  let fn: ((...args: NativeArg[]) => unknown) | null = null;
  const params = info ? parameters(info) : [];
  const gprs = params.filter((p) => integerKinds.has(p.type.primitive)).length;
  const simple = params.every((p) => p.direction === 'Input' && (integerKinds.has(p.type.primitive) || floatKinds.has(p.type.primitive)));
  if (process.arch === 'arm64' && info && simple && gprs < 8 && !signature.includes('...')) {
    const code = new Uint8Array(4);
    new DataView(code.buffer).setUint32(0, encodeBr(gprs), true);
    const region = CodeRegion.fromCode(code); // lives as long as the thread, one per prototype
    trampolineRegions.push(region);
    const proto = koffi().proto(info.result, [...params.map((p) => p.type), 'uint64_t']);
    fn = koffi().decode(region.address, proto) as (...args: NativeArg[]) => unknown;
  }
  trampolines.set(signature, fn);
  return fn;
}

const int64Kinds = new Set(['Int64', 'Int64S', 'UInt64', 'UInt64S']);

/**
 * A callable view of machine code at an address, described by a C prototype. 64-bit integer
 * results are always BigInt (koffi returns Number up to 2^53 and BigInt beyond; callers should
 * not have to care which).
 */
export class NativeFunction {
  readonly address: bigint;
  readonly signature: string;
  /** how calls are made: through this prototype's decoded trampoline, or koffi.call */
  readonly path: 'trampoline' | 'koffi.call';
  readonly #fn: (...args: NativeArg[]) => unknown;
  readonly #bigResult: boolean;
  readonly #arity: number;
  /** what must stay alive while the function can be called (its code region) */
  readonly #owner: CodeRegion | undefined;
  /** no owner, but the address lay in a live a64jit code region: check it is still there */
  readonly #unowned: boolean;

  /**
   * `owner`: the region holding the code, when the caller has it (then calls check its state
   * and keep it alive). Without one: the code of an a64jit BPF program is refused (programs
   * are called through their JitProgram, on the thread that compiled them: their helpers,
   * budget and fault containment depend on it, and a helper called from another thread would
   * deadlock); an address inside an a64jit code region is checked before every call, so a
   * call after the region was freed or collected is an error, not a jump into unmapped memory.
   */
  constructor(address: bigint, signature: string, owner?: CodeRegion) {
    const proto = prototype(signature);
    const info = proto.proto;
    if (!info) throw new NativeCallError(`'${signature}' is not a function prototype`);
    if (typeof address !== 'bigint') throw new NativeCallError(`the address must be a bigint, got ${typeof address}`);
    if (!owner) {
      const program = processCodeRangeAt(address);
      if (program?.program) {
        throw new NativeCallError(
          `0x${address.toString(16)} is the code of an a64jit BPF program${program.sameThread ? '' : ' compiled on another thread'}: ` +
            'call it through its JitProgram, on the thread that compiled it (a NativeFunction would bypass its helpers, budget and fault containment)',
        );
      }
    }
    this.address = address;
    this.signature = signature;
    this.#owner = owner;
    this.#unowned = !owner && liveCodeAt(address);
    this.#bigResult = int64Kinds.has(info.result.primitive);
    this.#arity = info.arguments.length;
    const trampoline = trampolineFor(signature);
    this.path = trampoline ? 'trampoline' : 'koffi.call';
    this.#fn = trampoline
      ? (...args: NativeArg[]) => trampoline(...args, address)
      : (...args: NativeArg[]) => koffi().call(address, proto, ...args);
  }

  call(...args: NativeArg[]): NativeResult {
    if (args.length !== this.#arity) {
      throw new NativeCallError(`${this.signature} takes ${this.#arity} arguments, got ${args.length}`);
    }
    if (this.#owner) {
      if (this.#owner.state !== 'sealed') throw new NativeCallError(`cannot call code in a ${this.#owner.state} region`);
      // a64jit's own code regions hold AArch64 code: never jump into it on another CPU
      if (!ARM64) requireArm64Host();
    } else if (this.#unowned) {
      if (!liveCodeAt(this.address)) throw new NativeCallError(`cannot call 0x${this.address.toString(16)}: its code region was freed`);
      if (!ARM64) requireArm64Host();
    }
    const result = this.#fn(...args);
    return this.#bigResult && typeof result === 'number' ? BigInt(result) : result;
  }

  /** Releases the code region this function owns (from loadFunction). */
  free(): void {
    this.#owner?.free();
  }
}

const ARM64 = process.arch === 'arm64';

/** Copy machine code into a new sealed region and describe it with a C prototype. */
export function loadFunction(code: Uint8Array, signature: string): NativeFunction {
  if (!(code instanceof Uint8Array)) throw new NativeCallError('loadFunction(code, signature): code must be a Uint8Array of AArch64 instructions');
  if (code.length === 0) throw new NativeCallError('loadFunction: no code (0 bytes); a function needs at least one instruction');
  const region = CodeRegion.fromCode(code);
  try {
    return new NativeFunction(region.address, signature, region);
  } catch (e) {
    region.free();
    throw e;
  }
}
