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
export { BpfSandboxError, BpfBudgetError, BpfHelperArgError, BpfPointerError } from './runtime-errors.js';
export { checkedOffset, offsetInside, pointerCheckMessage, type PointerCheck } from './pointer-checks.js';
export { REGION_KINDS, regionEnd, regionContains, findRegion, nearestRegion, describeRegion, describeNearest } from './regions.js';
export type { Region, RegionKind, RegionDistance, AccessKind } from './regions.js';
export { interpret, byteOrder, alu as evalAlu, condition as evalCondition, STACK_SIZE, MAX_CALL_FRAMES, DEFAULT_MAX_INSTRUCTIONS } from './interpreter.js';
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
  CONFORMANCE_HELPER_PROTOS,
} from './conformance.js';
export type { BpfExecutor, ConformanceOutcome, ConformanceOptions } from './conformance.js';

// LLVM/kernel syntax assembler and disassembler (one form table, checked against llvm-mc-22).
export { assembleLlvm, assembleLlvmProgram } from './llvm-asm.js';
export type { LlvmAsmResult } from './llvm-asm.js';
export { disassemble, disassembleBytes, disassembleInsn, formatDisassembly, matchForm } from './disassembler.js';
export type { DisasmLine, DisasmOptions } from './disassembler.js';
export { LLVM_FORMS } from './llvm-forms.js';
export type { LlvmForm } from './llvm-forms.js';

// ELF loader for clang -target bpf objects.
export { loadBpfObject, R_BPF } from './elf-loader.js';
export type {
  BpfObject,
  BpfProgram,
  BpfCodeRelocation,
  BpfFunction,
  BpfDataImage,
  BpfMapDef,
  BpfExtern,
  BpfDataRelocation,
  BpfLoadOptions,
} from './elf-loader.js';
export { BpfLoadError } from './elf-error.js';

// Linking loaded objects: data placement, relocations, extern binding (engine-agnostic parts).
export { BpfLinkError, linkForInterpreter, checkLinkable, patchDataRelocations, dataPseudoResolver, bindExterns, externsCalled } from './object-linker.js';
export type { InterpreterLink, InterpreterLinkOptions, PlacedImage } from './object-linker.js';

// Helper prototypes, map descriptions, program types (shared models; owner: real-programs).
export {
  HELPER_NAMES,
  HELPER_ID_COUNT,
  HELPER_PROTOS,
  helperName,
  helperIdByName,
  helperProto,
  helpersForProgramType,
  isMemoryArg,
  writesArg,
  BPF_MAX_LOOPS,
  MAX_TAIL_CALL_CNT,
  MAX_BPRINTF_VARARGS,
  TASK_COMM_LEN,
} from './helper-protos.js';
export type { HelperProto, HelperArg, HelperArgKind, HelperArgFlag, HelperReturn, HelperReturnKind, CallbackProto } from './helper-protos.js';
export {
  MapType,
  MapFlag,
  UpdateFlag,
  RingbufFlag,
  RingbufQuery,
  BPF_F_INDEX_MASK,
  BPF_F_CURRENT_CPU,
  MAP_TYPES,
  MAX_CPUS,
  MAX_MAP_BYTES,
  mapTypeInfo,
  mapTypeByName,
  mapTypeName,
  checkMapDescription,
  mapStorageBytes,
  percpuSlotSize,
  withLibbpfDefaults,
  BpfMapError,
} from './maps.js';
export type { MapDescription, MapTypeInfo, MapFamily, MapTypeId, MapErrno, MapCheckOptions, LookupResult } from './maps.js';
export * from './program-types/index.js';
// BPF -> BPF fixups shared by both engines (context conversion, LD_ABS, bpf_loop, array lookups).
export { prepareProgram, patchProgram, BpfPatchError, inlineArrayLookup, lowerLdAbs, loopFunction, LOOP_HELPER_ID, SKF_LL_OFF, SKF_NET_OFF } from './fixups/index.js';
export type { PrepareOptions, PreparedProgram, PatchInsn, PatchedProgram, ArrayInline } from './fixups/index.js';
export { Btf, BtfKind } from './elf-btf.js';
export type { BtfType, BtfMember } from './elf-btf.js';
export { BtfCodec } from './btf-codec.js';
export type { BtfValue } from './btf-codec.js';

// The verifier (src/bpf/verifier): proves programs safe to run without run-time checks.
export { verifyProgram, BpfVerifierError, objectMaps, COMPLEXITY_LIMIT, VERIFIER_MESSAGES } from './verifier/index.js';
export type { VerifyOptions, VerifyResult, VerifierMap, VerifierNative, FrozenContents, AccessFact, CtxFieldFact } from './verifier/index.js';
