// Public API of the BPF toolkit. Each owner appends the exports of their modules.

// Instruction model (shared).
export * from './opcodes.js';
export * from './instruction.js';
export * from './insn-kind.js';
export { BpfAsmError } from './asm-error.js';

// uBPF / bpf_conformance toolkit: assembler, .data reader, validator, interpreter, runner.
export { assembleUbpf } from './ubpf-assembler.js';
export type { UbpfAssembleOptions } from './ubpf-assembler.js';
export { parseConformanceFile, ConformanceFileError } from './conformance-file.js';
export type { ConformanceTest, ConformanceSection } from './conformance-file.js';
export { validateProgram, BpfValidationError, STACK_FRAME_SIZE, MAX_STACK_ARG_SLOTS } from './validate.js';
export type { ValidateOptions, ProgramInfo, FunctionInfo } from './validate.js';
export { Memory, BpfRuntimeError, MEM_BASE, DATA_BASE, STACK_TOP, STACK_STRIDE, CODE_BASE } from './memory.js';
export type { MemoryRegion } from './memory.js';
export { interpret, byteOrder, STACK_SIZE, MAX_CALL_FRAMES, DEFAULT_MAX_INSTRUCTIONS } from './interpreter.js';
export type { InterpretOptions, InterpretResult } from './interpreter.js';
export {
  conformanceHelpers,
  conformanceUnwindHelper,
  CONFORMANCE_UNWIND_HELPER_ID,
  MAX_FUNC_ARGS,
  nativeIdsByName,
} from './helpers.js';
export type { HelperFn, HelperEnv, HelperRegistry, NativeFunction, NativeRegistry } from './helpers.js';
export {
  runConformanceTest,
  runConformanceFile,
  collectConformanceFiles,
  conformanceProgram,
  interpreterExecutor,
} from './conformance.js';
export type { BpfExecutor, ConformanceOutcome } from './conformance.js';
