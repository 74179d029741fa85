/**
 * koffi defect C, found by direction 1 (JS -> probe) and confirmed against gcc and clang (both
 * place the same signatures as the model: directions stub -> C and C -> probe pass for them).
 * Defect B (callbacks) lives with direction 3 in koffi-callback.ts.
 */
import { parseSignature } from '../signature-text.js';
import type { DirectionContext, KnownDefect } from './direction.js';
import { koffiToProbe } from './koffi-to-probe.js';

export const DEFECT_C = 'koffi-defect-C';

/** The smallest signature showing it: 8 doubles fill v0-v7, the HFA and a 9th double go to the stack. */
export const DEFECT_C_SIGNATURE = 'void(f64,f64,f64,f64,f64,f64,f64,f64,{f64,f64},f64)';

export function defectCReport(ctx: DirectionContext): KnownDefect {
  const sig = parseSignature(DEFECT_C_SIGNATURE, 'koffi-defect-C-repro');
  const r = koffiToProbe(sig, ctx);
  const lines = r.mismatches.map((m) => `${m.what}: expected at ${m.expected}, ${m.found} (expected ${m.expectedBytes}, got ${m.actualBytes})`);
  return {
    id: DEFECT_C,
    title: 'koffi 3.x on arm64: an HFA passed on the stack advances the stack by 8 bytes only',
    description:
      'When an HFA larger than 8 bytes (e.g. struct { double a, b; }) no longer fits in v0-v7 and is passed on the stack ' +
      '(AAPCS64 6.8.2 C.3-C.6), koffi places the next stack argument 8 bytes after the HFA\'s start instead of after its ' +
      'end: that argument overwrites the HFA\'s second member and lands 8 bytes too low. gcc and clang place both as ' +
      'the model does. Found with koffi 3.3.4.',
    reproduction: [
      "const f = koffi.proto('void f(double, double, double, double, double, double, double, double, HFA2 h, double d9)'); // HFA2 = koffi.struct({ a: 'double', b: 'double' })",
      'koffi.call(addressOfCaptureProbe, f, 1, 2, 3, 4, 5, 6, 7, 8, { a: 9, b: 10 }, 11);',
      'AAPCS64: h.a at [sp], h.b at [sp+8], d9 at [sp+16]; koffi: h.a at [sp], d9 at [sp+8], nothing at [sp+16]',
      ...(lines.length ? lines : ['defect NOT reproduced on this koffi: update the known-failure list']),
      `(signature ${DEFECT_C_SIGNATURE} in a64jit abi notation)`,
    ].join('\n'),
  };
}
