/**
 * Direction 1: JavaScript -> capture probe through koffi. Does koffi put each argument where
 * AAPCS64 says, and does it read the result from where AAPCS64 says?
 */
import { CodeRegion, bufferAddress, koffi } from '../../runtime/index.js';
import { checkCapturedArguments, checkResult, type Mismatch } from '../check.js';
import { classify } from '../classify.js';
import { koffiProto, koffiSignatureUnsupported, koffiType } from '../koffi-types.js';
import { placeResult } from '../machine-state.js';
import { buildCaptureProbe, captureLayout, readCapture, readRefCopy, writeResultImage } from '../probe.js';
import { formatSignature } from '../signature-text.js';
import type { Signature } from '../types.js';
import { fromJs, toJs } from '../values.js';
import { judged, skipped, type Direction, type DirectionContext, type DirectionRun, type SignatureOutcome } from './direction.js';
import { patternsFor } from './patterns.js';

/** Run one signature: JS calls the probe through koffi. */
export function koffiToProbe(sig: Signature, ctx: DirectionContext): Mismatch[] {
  const cls = classify(sig, ctx.variant);
  const { values, result } = patternsFor(sig, ctx.seed, 'koffi-to-probe');
  const layout = captureLayout(cls);
  const buffer = Buffer.alloc(layout.size);
  const address = bufferAddress(buffer);
  writeResultImage(buffer, layout, placeResult(cls.result, result), cls.result?.indirect ? result : undefined);
  const region = CodeRegion.fromCode(buildCaptureProbe(cls, address, layout));
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
  const captured = readCapture(buffer, layout);
  return [
    ...checkCapturedArguments(cls, values, captured, (i) => readRefCopy(buffer, layout, i, cls.args[i]!.size)),
    ...checkResult(cls, result, sig.result ? fromJs(sig.result, returned) : undefined),
  ];
}

export const koffiToProbeDirection: Direction = {
  id: 'koffi-to-probe',
  title: 'JavaScript -> probe through koffi',
  unavailable: () => (process.arch === 'arm64' ? undefined : 'needs an arm64 process'),
  async run(signatures: readonly Signature[], ctx: DirectionContext): Promise<DirectionRun> {
    const outcomes: SignatureOutcome[] = [];
    for (const sig of signatures) {
      const text = formatSignature(sig);
      const unsupported = koffiSignatureUnsupported(sig);
      if (unsupported) {
        outcomes.push(skipped(sig, text, unsupported));
        continue;
      }
      try {
        outcomes.push(judged(sig, text, koffiToProbe(sig, ctx)));
      } catch (e) {
        outcomes.push({ id: sig.id, signature: text, status: 'fail', mismatches: [], reason: `${(e as Error).name}: ${(e as Error).message}` });
      }
    }
    return { id: this.id, title: this.title, outcomes, knownDefects: [], notes: [] };
  },
};
