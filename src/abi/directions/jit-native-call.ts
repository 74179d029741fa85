/**
 * Direction 4: BPF compiled by the JIT -> C. A BPF program puts a known pattern in every argument
 * (R1-R5, then the stack-argument slots through R11: `[%r11-8]` is argument 6 ... `[%r11-56]`
 * argument 12, ../../../../shared/docs/bpf-stack-args.md) and calls, with `call native`, the
 * recording C function of direction 2 (src/abi/c-oracle.ts: same generated C, same exchange
 * buffer, compiled by gcc or clang). The bytes the C function received are compared with the
 * pattern, argument by argument, and the result it returns with the low bytes of R0.
 *
 * Only what BPF can express is checked: 1 to 12 named arguments (MAX_BPF_FUNC_ARGS), each an
 * integer or pointer of at most 8 bytes (BPF registers and slots are 64-bit; no floats, no
 * by-value structs, no __int128), and no result in memory (6.9: the caller would pass its address
 * in x8, which BPF cannot do; the JIT keeps R0 there).
 */
import { assembleUbpf } from '../../bpf/index.js';
import { JitProgram, type NativeTarget } from '../../jit/index.js';
import { findCompiler, ioLayout, oracleLibrary, type CompilerId, type OracleLibrary } from '../c-oracle.js';
import { checkReceivedArguments, checkResult, type Mismatch } from '../check.js';
import { classify, type ArgClass, type Classification } from '../classify.js';
import { emptyState, expectedExtension, writeAt, type MachineState } from '../machine-state.js';
import { formatSignature } from '../signature-text.js';
import { exchangeBuffer } from './c-oracle.js';
import { isIntegralScalar, layoutOf, type AbiType, type Signature } from '../types.js';
import { Rng, hashString } from '../values.js';
import { judged, skipped, type Direction, type DirectionContext, type DirectionRun, type SignatureOutcome } from './direction.js';
import { patternsFor } from './patterns.js';

/** MAX_BPF_FUNC_ARGS: R1-R5 and 7 stack-argument slots. */
export const MAX_BPF_ARGS = 12;
const REG_ARGS = 5;
const NATIVE_ID = 1;

/** Skip reasons; few and fixed, so the report can group them. */
export const NOT_EXPRESSIBLE = {
  variadic: 'not expressible in BPF: variadic',
  noArgs: 'not expressible in BPF: no arguments (nothing for the native-call path to pass)',
  tooMany: `not expressible in BPF: more than ${MAX_BPF_ARGS} arguments (MAX_BPF_FUNC_ARGS)`,
  argType: 'not expressible in BPF: an argument that is not an integer or pointer of at most 8 bytes',
  memoryResult: 'not expressible in BPF: result returned in memory at x8 (AAPCS64 6.9)',
} as const;

const isBpfWord = (t: AbiType): boolean => t.kind === 'scalar' && isIntegralScalar(t.scalar) && layoutOf(t).size <= 8;

/** Why a BPF program cannot make this call, or undefined when it can. */
export function notExpressibleInBpf(sig: Signature): string | undefined {
  if (sig.variadicFrom !== undefined) return NOT_EXPRESSIBLE.variadic;
  if (sig.params.length === 0) return NOT_EXPRESSIBLE.noArgs;
  if (sig.params.length > MAX_BPF_ARGS) return NOT_EXPRESSIBLE.tooMany;
  if (!sig.params.every(isBpfWord)) return NOT_EXPRESSIBLE.argType;
  if (sig.result && classify(sig, 'aapcs64').result?.indirect) return NOT_EXPRESSIBLE.memoryResult;
  return undefined;
}

/** How the program sets one argument: a 64-bit register or slot value and the instruction form. */
export interface BpfArgument {
  /** the full 64 bits the program passes (the callee sees the low `size` bytes as the value) */
  readonly word: bigint;
  /** 'reg' = lddw into R1-R5, 'stx' = lddw into R0 then stxdw to the slot, 'st' = stdw imm */
  readonly form: 'reg' | 'stx' | 'st';
  /** '%r3' or '[%r11-16]' */
  readonly place: string;
}

/** Where BPF puts argument `index` (0-based): R1-R5, then [%r11 - 8 * slot]. */
export const bpfPlace = (index: number): string => (index < REG_ARGS ? `%r${index + 1}` : `[%r11-${8 * (index - REG_ARGS + 1)}]`);

const le64 = (bytes: Uint8Array): bigint => new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);

/**
 * The 64-bit words that carry the pattern. AAPCS64 6.8.2 C.9 and C.16 put an argument smaller than
 * 8 bytes in the least significant bits of its register or slot and leave the rest unspecified
 * (the callee narrows, unlike AArch32), so the bytes above the value are random junk here: a
 * callee, or a JIT, that relied on them would be caught. Where the model asks the caller to
 * extend (Apple, `extendTo32`), those bytes hold the extension instead.
 *
 * A stack argument of at most 4 meaningful bytes is stored with `stdw [%r11-N], imm` (a 32-bit
 * immediate sign-extended to 64 bits): its upper half is the sign extension, still unspecified
 * bytes for the callee, and the immediate-store form of the JIT gets exercised too.
 */
export function bpfArguments(cls: Classification, values: readonly Uint8Array[], rng: Rng): BpfArgument[] {
  return cls.args.map((a: ArgClass, i): BpfArgument => {
    const bytes = new Uint8Array(8);
    for (let k = 0; k < 8; k++) bytes[k] = 1 + rng.int(255);
    bytes.set(values[i]!.subarray(0, a.size));
    const ext = expectedExtension(a, values[i]!);
    if (ext) bytes.set(ext);
    const meaningful = ext ? 4 : a.size;
    const place = bpfPlace(i);
    if (i < REG_ARGS) return { word: le64(bytes), form: 'reg', place };
    if (meaningful <= 4) {
      const imm = new DataView(bytes.buffer).getInt32(0, true);
      return { word: BigInt.asUintN(64, BigInt(imm)), form: 'st', place };
    }
    return { word: le64(bytes), form: 'stx', place };
  });
}

/** uBPF source of the calling program: slots first (R0 as the temporary), then R1-R5, the call. */
export function callProgramSource(sig: Signature, args: readonly BpfArgument[]): string {
  const lines = [`# ${formatSignature(sig)}`];
  const hex = (w: bigint) => `0x${w.toString(16).padStart(16, '0')}`;
  for (const a of args) {
    if (a.form === 'st') lines.push(`stdw ${a.place}, ${BigInt.asIntN(32, a.word)}`);
    else if (a.form === 'stx') lines.push(`lddw %r0, ${hex(a.word)}`, `stxdw ${a.place}, %r0`);
  }
  for (const a of args) if (a.form === 'reg') lines.push(`lddw ${a.place}, ${hex(a.word)}`);
  lines.push(`call native ${NATIVE_ID}`, 'exit');
  return `${lines.join('\n')}\n`;
}

/**
 * The pattern values as the model places them (each 64-bit word where the model puts its
 * argument: x0-x7, then 8-byte stack slots, C.16), so that a wrong value can be reported as
 * "read from x6" - the place the model gives to the argument whose bytes arrived.
 */
function modelPlacement(cls: Classification, args: readonly BpfArgument[]): MachineState {
  const state = emptyState(cls.stackArea);
  cls.args.forEach((a, i) => {
    const word = new Uint8Array(8);
    new DataView(word.buffer).setBigUint64(0, args[i]!.word, true);
    writeAt(state, a.pieces[0]!.at, word);
  });
  return state;
}

export interface JitCallOptions {
  /** rewrite the program's source before it is compiled (tests: a deliberately wrong placement) */
  readonly edit?: (source: string) => string;
}

/** One call: the JIT-compiled BPF program calls C function n of the library; the mismatches. */
export function jitToC(lib: OracleLibrary, io: Buffer, n: number, ctx: DirectionContext, options: JitCallOptions = {}): Mismatch[] {
  const sig = lib.signatures[n]!;
  const why = notExpressibleInBpf(sig);
  if (why) throw new Error(`${sig.id}: ${why}`);
  const cls = classify(sig, ctx.variant);
  const direction = `jit-to-${lib.compiler.id}`;
  const { values, result } = patternsFor(sig, ctx.seed, direction);
  const args = bpfArguments(cls, values, new Rng((hashString(`${direction}\u0000junk\u0000${sig.id}`) ^ ctx.seed) >>> 0));
  let source = callProgramSource(sig, args);
  if (options.edit) source = options.edit(source);
  const target: NativeTarget = { name: `abi_callee_${n}`, address: lib.callee(n), arity: sig.params.length };
  const io2 = ioLayout(sig);
  io.fill(0xee);
  if (result) io.set(result, io2.resultIn);
  // a probe writes through addresses it is given as constants: trusted test code, not verifiable
  // (and without a budget, which would compile it 1:1: the call path under test is the default one)
  const jit = JitProgram.compile(assembleUbpf(source), { natives: new Map([[NATIVE_ID, target]]), verify: false, budget: false });
  let r0: bigint;
  try {
    r0 = jit.run(null);
  } finally {
    jit.free();
  }
  const received = sig.params.map((_, i) => io.subarray(io2.args[i]!, io2.args[i]! + values[i]!.length).slice());
  const placed = modelPlacement(cls, args);
  // one argument at a time, so each mismatch can be told which BPF register or slot it came from
  const mismatches = cls.args.flatMap((a) =>
    checkReceivedArguments({ ...cls, args: [a] }, values, received, placed).map((m) => withBpfSource(m, a.index, received[a.index]!, args)),
  );
  // Only an integer/pointer result reaches BPF (R0 = x0, 6.9); its bytes above `size` are unspecified.
  const want = sig.result && isBpfWord(sig.result) ? result : undefined;
  return [...mismatches, ...checkResult(cls, want, want ? wordBytes(r0).subarray(0, want.length) : undefined)];
}

function wordBytes(w: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, w, true);
  return b;
}

/** Name the BPF register or R11 slot the argument was given in, and the one its received bytes came from. */
function withBpfSource(m: Mismatch, index: number, got: Uint8Array, args: readonly BpfArgument[]): Mismatch {
  const expected = `${m.expected} (BPF ${bpfPlace(index)})`;
  // a 1- or 2-byte value can match another argument's low bytes by chance: name a source only when it is the only one
  const from = args.flatMap((a, j) => (j !== index && wordBytes(a.word).subarray(0, got.length).every((b, k) => b === got[k]) ? [j] : []));
  if (from.length !== 1) return { ...m, expected };
  return { ...m, expected, found: `${m.found}; the program put those bytes in ${bpfPlace(from[0]!)} (arg ${from[0]!})` };
}

function jitDirection(compiler: CompilerId): Direction {
  const id = `jit-to-${compiler}`;
  const title = `BPF (JIT) -> C compiled by ${compiler}`;
  return {
    id,
    title,
    unavailable(ctx) {
      if (process.arch !== 'arm64') return 'needs an arm64 process';
      // The JIT uses 8-byte stack slots (C.16); Apple packs stack arguments: Linux AAPCS64 only.
      if (process.platform !== 'linux' || ctx.variant !== 'aapcs64') return 'the JIT native-call path targets arm64 Linux (AAPCS64)';
      return findCompiler(compiler) ? undefined : `no arm64 ${compiler} found (set A64JIT_ABI_${compiler.toUpperCase()})`;
    },
    async run(signatures: readonly Signature[], ctx: DirectionContext): Promise<DirectionRun> {
      const c = findCompiler(compiler);
      if (!c) throw new Error(`no arm64 ${compiler}`);
      // Only the expressible signatures are compiled into this direction's library.
      const reasons = signatures.map(notExpressibleInBpf);
      const callable = signatures.filter((_, i) => !reasons[i]);
      ctx.log?.(`${id}: ${callable.length} of ${signatures.length} signatures are expressible in BPF; compiling them with ${c.command}`);
      const lib = callable.length ? oracleLibrary(c, callable) : undefined;
      const io = lib ? exchangeBuffer(lib) : undefined;
      let n = 0;
      const outcomes: SignatureOutcome[] = signatures.map((sig, i) => {
        const text = formatSignature(sig);
        const why = reasons[i];
        if (why) return skipped(sig, text, why);
        try {
          return judged(sig, text, jitToC(lib!, io!, n++, ctx));
        } catch (e) {
          return { id: sig.id, signature: text, status: 'fail', mismatches: [], reason: `${(e as Error).name}: ${(e as Error).message}` };
        }
      });
      const notes = [
        `${c.command} ${c.targetArgs.join(' ')}`.trim(),
        'arguments 1-5 in R1-R5, 6-12 in R11 slots (x5-x7, then [sp]); results compared only when they are integers/pointers (R0)',
      ];
      return { id, title, outcomes, knownDefects: [], notes };
    },
  };
}

export const jitToGcc = jitDirection('gcc');
export const jitToClang = jitDirection('clang');
