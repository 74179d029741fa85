/**
 * Direction 1: JavaScript -> capture probe through koffi. Does koffi put each argument where
 * AAPCS64 says, and does it read the result from where AAPCS64 says?
 *
 * A by-reference argument (B.4) is a pointer the probe must follow to see the value, and following
 * a misplaced "pointer" would crash the process instead of reporting. So signatures with such
 * arguments are called twice: first without following any pointer; only if every other argument
 * is where the model says and each pointer slot holds a plausible user-space address (not one of
 * the patterns) is the call repeated with the pointees copied.
 *
 * koffi 3.3.4 has a defect this direction found (defect C, see known-defects.ts); failures that
 * the defect's own model explains exactly are reported as that known defect.
 */
import { CodeRegion, bufferAddress, koffi } from '../../runtime/index.js';
import { argName, checkCapturedArguments, checkResult, type Mismatch } from '../check.js';
import { classify, describePieces, type Classification } from '../classify.js';
import { koffiProto, koffiSignatureUnsupported, koffiType } from '../koffi-types.js';
import { placeResult, readAt, type MachineState } from '../machine-state.js';
import { buildCaptureProbe, captureLayout, readCapture, readRefCopy, writeResultImage } from '../probe.js';
import { formatSignature } from '../signature-text.js';
import type { Signature } from '../types.js';
import { fromJs, hex, toJs } from '../values.js';
import { judged, skipped, type Direction, type DirectionContext, type DirectionRun, type SignatureOutcome } from './direction.js';
import { DEFECT_C, defectCReport } from './known-defects.js';
import { patternsFor } from './patterns.js';

interface Call {
  readonly captured: MachineState;
  readonly refCopy: ((index: number) => Uint8Array) | undefined;
  readonly returned: Uint8Array | undefined;
}

function callProbe(sig: Signature, cls: Classification, values: readonly Uint8Array[], result: Uint8Array | undefined, follow: boolean): Call {
  const layout = captureLayout(cls);
  const buffer = Buffer.alloc(layout.size);
  const address = bufferAddress(buffer);
  writeResultImage(buffer, layout, placeResult(cls.result, result), cls.result?.indirect ? result : undefined);
  const region = CodeRegion.fromCode(buildCaptureProbe(cls, address, layout, follow));
  const args: unknown[] = [];
  sig.params.forEach((t, i) => {
    if (sig.variadicFrom !== undefined && i >= sig.variadicFrom) args.push(koffiType(t));
    args.push(toJs(t, values[i]!));
  });
  let returned: unknown;
  try {
    returned = koffi().call(region.address, koffiProto(sig), ...args);
  } finally {
    region.free();
  }
  return {
    captured: readCapture(buffer, layout),
    refCopy: follow ? (i) => readRefCopy(buffer, layout, i, cls.args[i]!.size) : undefined,
    returned: sig.result ? fromJs(sig.result, returned) : undefined,
  };
}

/** Pointer slots that do not hold a plausible address (then following them could crash). */
function implausiblePointers(cls: Classification, values: readonly Uint8Array[], captured: MachineState): Mismatch[] {
  const patterns = new Set(values.flatMap((v) => (v.length >= 8 ? [hex(v.subarray(0, 8))] : [])));
  const out: Mismatch[] = [];
  for (const a of cls.args) {
    if (!a.byReference) continue;
    const bytes = readAt(captured, a.pieces[0]!.at, 8);
    const p = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
    if (p === 0n || p >= 1n << 48n || patterns.has(hex(bytes)))
      out.push({ what: argName(a), expected: `${describePieces(a)}`, found: 'the pointer slot holds no plausible address (not followed)', expectedBytes: '(an address)', actualBytes: hex(bytes) });
  }
  return out;
}

function observe(sig: Signature, cls: Classification, values: readonly Uint8Array[], result: Uint8Array | undefined): Mismatch[] {
  const hasRefs = cls.args.some((a) => a.byReference);
  const first = callProbe(sig, cls, values, result, !hasRefs);
  const mismatches = [
    ...checkCapturedArguments(cls, values, first.captured, first.refCopy),
    ...(hasRefs ? implausiblePointers(cls, values, first.captured) : []),
    ...checkResult(cls, result, first.returned),
  ];
  if (!hasRefs || mismatches.length > 0) return mismatches;
  const second = callProbe(sig, cls, values, result, true);
  return [...checkCapturedArguments(cls, values, second.captured, second.refCopy), ...checkResult(cls, result, second.returned)];
}

export interface KoffiToProbeResult {
  readonly mismatches: Mismatch[];
  /** set when the failure is exactly the shape of a known koffi defect */
  readonly known?: string;
}

/** Run one signature: JS calls the probe through koffi. */
export function koffiToProbe(sig: Signature, ctx: DirectionContext): KoffiToProbeResult {
  const cls = classify(sig, ctx.variant);
  const { values, result } = patternsFor(sig, ctx.seed, 'koffi-to-probe');
  const mismatches = observe(sig, cls, values, result);
  if (mismatches.length === 0) return { mismatches };
  // Does defect C's model explain every byte? Then it is that defect, reported as known.
  const quirk = classify(sig, ctx.variant, { hfaStackAdvance8: true });
  if (observe(sig, quirk, values, result).length === 0) return { mismatches, known: DEFECT_C };
  return { mismatches };
}

export const koffiToProbeDirection: Direction = {
  id: 'koffi-to-probe',
  title: 'JavaScript -> probe through koffi',
  unavailable: () => (process.arch === 'arm64' ? undefined : 'needs an arm64 process'),
  async run(signatures: readonly Signature[], ctx: DirectionContext): Promise<DirectionRun> {
    const outcomes: SignatureOutcome[] = [];
    let sawDefect = false;
    for (const sig of signatures) {
      const text = formatSignature(sig);
      const unsupported = koffiSignatureUnsupported(sig);
      if (unsupported) {
        outcomes.push(skipped(sig, text, unsupported));
        continue;
      }
      try {
        const r = koffiToProbe(sig, ctx);
        if (r.known) {
          sawDefect = true;
          outcomes.push({ id: sig.id, signature: text, status: 'known', mismatches: r.mismatches, known: r.known });
        } else outcomes.push(judged(sig, text, r.mismatches));
      } catch (e) {
        outcomes.push({ id: sig.id, signature: text, status: 'fail', mismatches: [], reason: `${(e as Error).name}: ${(e as Error).message}` });
      }
    }
    return { id: this.id, title: this.title, outcomes, knownDefects: sawDefect ? [defectCReport(ctx)] : [], notes: [] };
  },
};
