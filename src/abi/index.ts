/**
 * a64jit AAPCS64 conformance checker: a model of AAPCS64 argument and result passing (Linux and
 * Apple variants), probes and caller stubs generated with the project's assembler, and a matrix
 * of directions (koffi, C compilers, JS callbacks, later the JIT) checked against the model.
 */
export * from './types.js';
export * from './classify.js';
export { formatSignature, formatType, parseSignature } from './signature-text.js';
export { corpus } from './corpus.js';
export { randomSignature, randomSignatures, type RandomOptions } from './random-signatures.js';
export { runMatrix, matrixSignatures, totalsOf, DEFAULT_COUNT, DEFAULT_SEED, type MatrixOptions, type MatrixReport, type Totals } from './matrix.js';
export { formatReport, formatOutcome } from './report.js';
export type { Mismatch } from './check.js';
export * from './directions/index.js';
export { DEFECT_C, DEFECT_C_SIGNATURE, defectCReport } from './directions/known-defects.js';
