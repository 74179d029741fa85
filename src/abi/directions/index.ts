/**
 * The built-in directions, registered in the order the matrix runs and reports them; the JIT's
 * native-call path (BPF -> C through R1-R5 and the R11 slots) comes last.
 */
import { clangToProbe, gccToProbe, stubToClang, stubToGcc } from './c-oracle.js';
import { findDirection, registerDirection } from './direction.js';
import { jitToClang, jitToGcc } from './jit-native-call.js';
import { stubToCallbackDirection } from './koffi-callback.js';
import { koffiToProbeDirection } from './koffi-to-probe.js';

export * from './direction.js';
export { koffiToProbe, koffiToProbeDirection } from './koffi-to-probe.js';
export { stubToC, cToProbe, stubToGcc, stubToClang, gccToProbe, clangToProbe } from './c-oracle.js';
export { jitToC, jitToGcc, jitToClang, notExpressibleInBpf, NOT_EXPRESSIBLE, MAX_BPF_ARGS } from './jit-native-call.js';
export { stubToCallback, stubToCallbackDirection, reproduceDefectB, defectBReport, isDefectB, DEFECT_B_ID } from './koffi-callback.js';

export const BUILTIN_DIRECTIONS = [koffiToProbeDirection, stubToGcc, stubToClang, gccToProbe, clangToProbe, stubToCallbackDirection, jitToGcc, jitToClang] as const;

/** Register the built-in directions (idempotent). */
export function registerBuiltinDirections(): void {
  for (const d of BUILTIN_DIRECTIONS) if (!findDirection(d.id)) registerDirection(d);
}
