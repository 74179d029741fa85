/**
 * Direction 2: the C compilers as the oracle, both ways.
 *  - stub -> C: the caller stub places a known pattern where the model says and calls a C function
 *    compiled by gcc or clang, which reports the bytes it received (and returns a known result);
 *  - C -> probe: a C caller compiled by gcc or clang calls the capture probe; the probe's capture
 *    is read where the model says.
 * Agreement of both compilers with the model in both ways is what makes the model trustworthy.
 */
import { CodeRegion, NativeFunction, bufferAddress } from '../../runtime/index.js';
import { buildCallerStub, prepareStubBuffer, readStubResult, stubLayout } from '../caller-stub.js';
import { checkCapturedArguments, checkReceivedArguments, checkResult, resultFromState, type Mismatch } from '../check.js';
import { classify } from '../classify.js';
import { findCompiler, ioLayout, oracleLibrary, type CompilerId, type OracleLibrary } from '../c-oracle.js';
import { placeResult } from '../machine-state.js';
import { buildCaptureProbe, captureLayout, readCapture, readRefCopy, writeResultImage } from '../probe.js';
import { formatSignature } from '../signature-text.js';
import type { Signature } from '../types.js';
import { judged, type Direction, type DirectionContext, type DirectionRun, type SignatureOutcome } from './direction.js';
import { patternsFor } from './patterns.js';

/** Exchange buffer shared with the C side, big enough for every signature of the batch. */
/** The capture buffer the oracle's C functions write into, sized for every signature of `lib`. */
export function exchangeBuffer(lib: OracleLibrary): Buffer {
  const size = Math.max(16, ...lib.signatures.map((s) => ioLayout(s).size));
  const io = Buffer.alloc(size);
  lib.setIo(bufferAddress(io));
  return io;
}

/** Stub places arguments per the model and calls C function n of the library. */
export function stubToC(lib: OracleLibrary, io: Buffer, n: number, ctx: DirectionContext): Mismatch[] {
  const sig = lib.signatures[n]!;
  const cls = classify(sig, ctx.variant);
  const { values, result } = patternsFor(sig, ctx.seed, `stub-to-${lib.compiler.id}`);
  const io2 = ioLayout(sig);
  io.fill(0xee);
  if (result) io.set(result, io2.resultIn);
  const layout = stubLayout(cls);
  const buffer = Buffer.alloc(layout.size);
  const address = bufferAddress(buffer);
  const placed = prepareStubBuffer(cls, layout, buffer, address, values);
  const region = CodeRegion.fromCode(buildCallerStub(layout, address, lib.callee(n)));
  try {
    new NativeFunction(region.address, 'void (void)', region).call();
  } finally {
    region.free();
  }
  const received = sig.params.map((_t, i) => io.subarray(io2.args[i]!, io2.args[i]! + values[i]!.length).slice());
  const back = readStubResult(buffer, layout, cls.result?.size ?? 0);
  return [...checkReceivedArguments(cls, values, received, placed), ...checkResult(cls, result, resultFromState(cls, back.state, back.memory), back.state)];
}

/** C caller n of the library calls the capture probe with the pattern values. */
export function cToProbe(lib: OracleLibrary, io: Buffer, n: number, ctx: DirectionContext): Mismatch[] {
  const sig = lib.signatures[n]!;
  const cls = classify(sig, ctx.variant);
  const { values, result } = patternsFor(sig, ctx.seed, `${lib.compiler.id}-to-probe`);
  const io2 = ioLayout(sig);
  io.fill(0xee);
  values.forEach((v, i) => io.set(v, io2.args[i]!));
  const layout = captureLayout(cls);
  const buffer = Buffer.alloc(layout.size);
  const address = bufferAddress(buffer);
  writeResultImage(buffer, layout, placeResult(cls.result, result), cls.result?.indirect ? result : undefined);
  const region = CodeRegion.fromCode(buildCaptureProbe(cls, address, layout));
  try {
    new NativeFunction(lib.caller(n), 'void (uint64_t)').call(region.address);
  } finally {
    region.free();
  }
  const captured = readCapture(buffer, layout);
  const returned = result ? io.subarray(io2.resultOut, io2.resultOut + result.length).slice() : undefined;
  return [
    ...checkCapturedArguments(cls, values, captured, (i) => readRefCopy(buffer, layout, i, cls.args[i]!.size)),
    ...checkResult(cls, result, returned),
  ];
}

function cDirection(compiler: CompilerId, way: 'stub-to-c' | 'c-to-probe'): Direction {
  const id = way === 'stub-to-c' ? `stub-to-${compiler}` : `${compiler}-to-probe`;
  const title = way === 'stub-to-c' ? `caller stub -> C compiled by ${compiler}` : `C compiled by ${compiler} -> probe`;
  return {
    id,
    title,
    unavailable(ctx) {
      if (process.arch !== 'arm64') return 'needs an arm64 process';
      if (process.platform !== 'linux' || ctx.variant !== 'aapcs64') return 'the C oracle targets arm64 Linux';
      return findCompiler(compiler) ? undefined : `no arm64 ${compiler} found (set A64JIT_ABI_${compiler.toUpperCase()})`;
    },
    async run(signatures: readonly Signature[], ctx: DirectionContext): Promise<DirectionRun> {
      const c = findCompiler(compiler);
      if (!c) throw new Error(`no arm64 ${compiler}`);
      ctx.log?.(`compiling ${signatures.length} signatures with ${c.command}`);
      const lib = oracleLibrary(c, signatures);
      const io = exchangeBuffer(lib);
      const outcomes: SignatureOutcome[] = signatures.map((sig, n) => {
        const text = formatSignature(sig);
        try {
          return judged(sig, text, way === 'stub-to-c' ? stubToC(lib, io, n, ctx) : cToProbe(lib, io, n, ctx));
        } catch (e) {
          return { id: sig.id, signature: text, status: 'fail', mismatches: [], reason: `${(e as Error).name}: ${(e as Error).message}` };
        }
      });
      return { id, title, outcomes, knownDefects: [], notes: [`${c.command} ${c.targetArgs.join(' ')}`.trim()] };
    },
  };
}

export const stubToGcc = cDirection('gcc', 'stub-to-c');
export const stubToClang = cDirection('clang', 'stub-to-c');
export const gccToProbe = cDirection('gcc', 'c-to-probe');
export const clangToProbe = cDirection('clang', 'c-to-probe');
