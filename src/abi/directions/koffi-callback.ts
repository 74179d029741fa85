/**
 * Direction 3: generated caller stub -> JavaScript callback registered with koffi.register. The
 * stub places a known pattern where the model says; the callback converts what koffi gives it back
 * to bytes and returns a known result.
 *
 * koffi 3.x has defect B on arm64 (../../../../shared/docs/toolchain-notes.md): a registered
 * callback reads stack arguments one 8-byte slot too low, so it receives a return address instead
 * of its first stack argument and every later one shifted. Failures that have exactly that shape
 * are reported as the known defect (still failures, never hidden). Signatures where the shift
 * would make koffi dereference a wrong pointer (a by-reference argument on the stack) are not run:
 * that would crash the process instead of producing a report.
 */
import { CodeRegion, NativeFunction, bufferAddress, koffi } from '../../runtime/index.js';
import { buildCallerStub, prepareStubBuffer, readStubResult, stubLayout } from '../caller-stub.js';
import { checkReceivedArguments, checkResult, resultFromState, type Mismatch } from '../check.js';
import { classify, type Classification } from '../classify.js';
import { koffiProto, koffiSignatureUnsupported } from '../koffi-types.js';
import { readAt, type MachineState } from '../machine-state.js';
import { layoutOf } from '../types.js';
import { DEFECT_C, defectCReport } from './known-defects.js';
import { formatSignature, parseSignature } from '../signature-text.js';
import type { Signature } from '../types.js';
import { fromJs, toJs } from '../values.js';
import { judged, skipped, type Direction, type DirectionContext, type DirectionRun, type KnownDefect, type SignatureOutcome } from './direction.js';
import { patternsFor } from './patterns.js';

export interface CallbackObservation {
  readonly mismatches: Mismatch[];
  readonly cls: Classification;
  readonly placed: MachineState;
  readonly received: readonly (Uint8Array | undefined)[];
}

/** A pointer as koffi gives it to a callback: BigInt, Number, null or an external. */
function pointerValue(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (v === null || v === undefined) return 0n;
  return BigInt(koffi().address(v) as bigint | number);
}

/** Run one signature: the stub calls a registered JS callback. */
export function stubToCallback(sig: Signature, ctx: DirectionContext, values?: readonly Uint8Array[]): CallbackObservation {
  const cls = classify(sig, ctx.variant);
  const patterns = patternsFor(sig, ctx.seed, 'stub-to-koffi-callback');
  const args = values ?? patterns.values;
  const result = patterns.result;
  const received: (Uint8Array | undefined)[] = [];
  const callback = (...got: unknown[]): unknown => {
    sig.params.forEach((t, i) => {
      received[i] = fromJs(t, t.kind === 'scalar' && t.scalar === 'ptr' ? pointerValue(got[i]) : got[i]);
    });
    return sig.result && result ? toJs(sig.result, result) : undefined;
  };
  const pointer = koffi().register(callback, koffi().pointer(koffiProto(sig)));
  const layout = stubLayout(cls);
  const buffer = Buffer.alloc(layout.size);
  const address = bufferAddress(buffer);
  const placed = prepareStubBuffer(cls, layout, buffer, address, args);
  try {
    const region = CodeRegion.fromCode(buildCallerStub(layout, address, pointerValue(pointer)));
    try {
      new NativeFunction(region.address, 'void (void)', region).call();
    } finally {
      region.free();
    }
  } finally {
    koffi().unregister(pointer);
  }
  const back = readStubResult(buffer, layout, cls.result?.size ?? 0);
  const mismatches = [...checkReceivedArguments(cls, args, received, placed), ...checkResult(cls, result, resultFromState(cls, back.state, back.memory), back.state)];
  return { mismatches, cls, placed, received };
}

export const DEFECT_B_ID = 'koffi-defect-B';

/**
 * Is a failure exactly what the known defects predict? Defect B: the callback reads every stack
 * argument 8 bytes below where it is (the first slot then shows something that was never placed);
 * with defect C as well, koffi's own layout advances only 8 bytes past an HFA on the stack. The
 * prediction is computed from the defects' model (ModelQuirks) and the bytes actually placed.
 */
export function explainedByDefects(obs: CallbackObservation, withC: boolean): boolean {
  if (obs.mismatches.some((m) => m.what.startsWith('result'))) return false;
  const model = withC ? classify(obs.cls.signature, obs.cls.variant, { hfaStackAdvance8: true }) : obs.cls;
  return model.args.every((a) => {
    const got = obs.received[a.index];
    if (!got || a.byReference) return !!got && obs.mismatches.every((m) => !m.what.startsWith(`arg ${a.index} `));
    const predicted = new Uint8Array(a.size);
    const known = new Uint8Array(a.size);
    for (const p of a.pieces) {
      for (let k = 0; k < p.size; k++) {
        if (p.at.kind !== 'stack') {
          predicted[p.from + k] = readAt(obs.placed, p.at, p.size)[k]!;
          known[p.from + k] = 1;
        } else if (p.at.offset - 8 + k >= 0 && p.at.offset - 8 + k < obs.placed.stack.length) {
          predicted[p.from + k] = obs.placed.stack[p.at.offset - 8 + k]!;
          known[p.from + k] = 1;
        }
      }
    }
    return layoutOf(a.type).leaves.every((l) => {
      for (let i = l.offset; i < l.offset + l.size; i++) if (known[i] && predicted[i] !== got[i]) return false;
      return true;
    });
  });
}

/** The known defects that explain a failure, or undefined. */
export function knownDefectsFor(obs: CallbackObservation): string | undefined {
  if (obs.mismatches.length === 0) return undefined;
  if (explainedByDefects(obs, false)) return DEFECT_B_ID;
  if (explainedByDefects(obs, true)) return `${DEFECT_B_ID}+${DEFECT_C}`;
  return undefined;
}

export function isDefectB(obs: CallbackObservation): boolean {
  return knownDefectsFor(obs) === DEFECT_B_ID;
}

const REPRO_SIGNATURE = 'void(i64,i64,i64,i64,i64,i64,i64,i64,i64,i64)';

/**
 * The minimal reproduction: native code calls a registered `void cb(int64_t a0..a9)` with
 * 0..9; a0-a7 arrive in x0-x7, a8 and a9 on the stack. Returns what the callback saw.
 */
export function reproduceDefectB(ctx: DirectionContext): { expected: bigint[]; received: bigint[]; reproduced: boolean } {
  const sig = parseSignature(REPRO_SIGNATURE, 'koffi-defect-B-repro');
  const values = Array.from({ length: 10 }, (_, i) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(i) * 0x0101010101010101n + 0x1000n, true);
    return b;
  });
  const obs = stubToCallback(sig, ctx, values);
  const read = (b: Uint8Array | undefined): bigint => (b ? new DataView(b.buffer, b.byteOffset).getBigUint64(0, true) : -1n);
  return { expected: values.map(read), received: obs.received.map(read), reproduced: isDefectB(obs) };
}

export function defectBReport(ctx: DirectionContext): KnownDefect {
  const r = reproduceDefectB(ctx);
  const show = (v: bigint[]) => v.map((x) => `0x${x.toString(16)}`).join(', ');
  return {
    id: DEFECT_B_ID,
    title: 'koffi 3.x on arm64: registered callbacks read stack arguments one 8-byte slot too low',
    description:
      'When native code calls a JS function registered with koffi.register and some arguments are passed on the stack ' +
      '(a 9th integer, a 9th double, an HFA that no longer fits in v0-v7), the callback receives them shifted by one ' +
      '8-byte slot: the first stack argument it sees is not the caller\'s. Register arguments are correct. Affects every ' +
      'koffi 3.x from 3.0.2 to 3.3.4; 2.16.3 is correct.',
    reproduction: [
      `const cb = koffi.register((...a) => seen = a, koffi.pointer(koffi.proto('void (int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)')));`,
      '// native code (a64jit caller stub, or any C function) calls cb with a0..a9; a8 and a9 go to [sp] and [sp+8] (AAPCS64 6.8.2 C.17)',
      `expected: ${show(r.expected)}`,
      `received: ${show(r.received)}`,
      r.reproduced ? 'defect reproduced: a8 is not the caller\'s value and a9 holds a8' : 'defect NOT reproduced on this koffi: update the known-failure list',
    ].join('\n'),
  };
}

/** Would defect B make koffi dereference a shifted pointer? Then the process would crash. */
function crashesUnderDefectB(cls: Classification): boolean {
  return cls.args.some((a) => a.byReference && a.pieces[0]!.at.kind === 'stack');
}

export const stubToCallbackDirection: Direction = {
  id: 'stub-to-koffi-callback',
  title: 'caller stub -> JavaScript callback through koffi.register',
  unavailable: () => (process.arch === 'arm64' ? undefined : 'needs an arm64 process'),
  async run(signatures: readonly Signature[], ctx: DirectionContext): Promise<DirectionRun> {
    const outcomes: SignatureOutcome[] = [];
    let sawDefect = false;
    let sawC = false;
    for (const sig of signatures) {
      const text = formatSignature(sig);
      const unsupported = sig.variadicFrom !== undefined ? 'koffi callbacks cannot be variadic' : koffiSignatureUnsupported(sig);
      if (unsupported) {
        outcomes.push(skipped(sig, text, unsupported));
        continue;
      }
      const cls = classify(sig, ctx.variant);
      if (crashesUnderDefectB(cls)) {
        outcomes.push(skipped(sig, text, `not run: a by-reference argument on the stack would make ${DEFECT_B_ID} dereference a wrong pointer`));
        continue;
      }
      try {
        const obs = stubToCallback(sig, ctx);
        const known = knownDefectsFor(obs);
        if (known) {
          sawDefect = true;
          if (known.includes(DEFECT_C)) sawC = true;
          outcomes.push({ id: sig.id, signature: text, status: 'known', mismatches: obs.mismatches, known });
        } else outcomes.push(judged(sig, text, obs.mismatches));
      } catch (e) {
        outcomes.push({ id: sig.id, signature: text, status: 'fail', mismatches: [], reason: `${(e as Error).name}: ${(e as Error).message}` });
      }
    }
    const knownDefects = [...(sawDefect ? [defectBReport(ctx)] : []), ...(sawC ? [defectCReport(ctx)] : [])];
    return { id: this.id, title: this.title, outcomes, knownDefects, notes: [] };
  },
};
