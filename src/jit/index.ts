/**
 * a64jit's BPF -> AArch64 compiler.
 *
 *   const prog = JitProgram.compile(insns, { helpers, natives, atomics: 'auto', blind: false });
 *   prog.run(buffer)          // R1 = buffer, R2 = its length; returns R0 as a bigint
 *   prog.formatListing()      // each BPF instruction with the AArch64 code it became
 *   prog.free()
 *
 * Safety (src/jit/safety): every program is registered as a code range whose faults the addon
 * contains (BpfFaultError); unverified programs carry an instruction budget (BpfBudgetError);
 * `sandbox: true` checks every memory access against the run's regions (BpfSandboxError).
 *
 * `compileProgram` is the pure compiler (BPF slots -> machine code + offsets), usable without
 * executable memory, e.g. for listings on any host. `prepareImage` does all that
 * JitProgram.compile does short of executable memory, for given addresses, on any host;
 * `JitProgram.load` installs such an image (image.ts).
 */
export { compileProgram, ORIGIN_NONE, type CompileOptions, type CompiledProgram } from './compiler.js';
export { PASSES, PASS_NAMES, type OptimizeOptions, type PassName, type PassCounts } from './opt/index.js';
export { JitProgram, ENTRY_SIGNATURE, DEFAULT_JIT_BUDGET, type JitOptions, type NativeTarget, type RunOptions } from './program.js';
export { prepareImage, encodeJitImage, decodeJitImage, type JitImage, type ImageOptions, type PreparedImage } from './image.js';
export { JitCompileError, JitRuntimeError, JitArgumentError, BpfFaultError, type FaultAccess } from './errors.js';
export { blindConstants } from './blinding.js';
export { listing, formatListing, helperCallText, type ListingLine } from './listing.js';
export { BPF_REG_AX } from './registers.js';
export * from './context-layout.js';
export { ObjectProgram, DEFAULT_EXTERN_ARITY, type ObjectProgramOptions } from './object-program.js';
