/**
 * The verifier room: proves that a BPF program is safe to run without run-time checks, by
 * abstract interpretation of every path (the Linux verifier's design, PREVAIL's framing).
 * Pure TypeScript over the src/bpf models (instruction table, validator, helper prototypes,
 * program types, map descriptions); knows nothing of arm64 or of native code. May import
 * src/bpf only.
 *
 * Layout: abstract domains each in their own file (tnum.ts, bounds.ts, scalar.ts with
 * scalar-alu.ts and scalar-cmp.ts, reg-state.ts, stack-state.ts, state.ts); transfer
 * functions per instruction kind (transfer/); the walk with state pruning (driver.ts); the
 * control-flow facts (cfg.ts); kernel-worded messages in one table (messages.ts); the entry
 * point verifyProgram (verify.ts).
 *
 * Sandbox mode (VerifyOptions.sandbox, the analysis `--sandbox` runs before a program runs
 * with run-time checks): the same walk, but an access whose bounds are unproven yet may hold
 * is recorded (Facts.leftToRunTime) instead of refused (env.leaveToRunTime), and loops are
 * widened at their heads instead of having to end (driver.ts, Facts.loopsLeftToBudget).
 * Everything else, and every message, is normal mode's.
 */
export { verifyProgram } from './verify.js';
export type { VerifyResult } from './verify.js';
export { BpfVerifierError } from './errors.js';
export type { VerifyOptions, VerifierMap, VerifierNative, ContextRules, VerifierLogOptions, FrozenContents } from './env.js';
export { COMPLEXITY_LIMIT, MAP_F_RDONLY_PROG } from './env.js';
export { Facts } from './facts.js';
export type { AccessFact, CtxFieldFact } from './facts.js';
export { MSG as VERIFIER_MESSAGES } from './messages.js';
export { objectMaps } from './object.js';
