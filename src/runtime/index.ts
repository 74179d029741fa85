export { CodeRegion, type CodeRegionState } from './code-region.js';
export { NativeFunction, loadFunction, koffi, prototype, type NativeArg, type NativeResult } from './native-function.js';
export { addonPath, bufferAddress, hostInfo, isCheckout, liveCodeAt, openPerfCounters, packageRoot, type HostInfo, type NativePerfCounters } from './addon.js';
export { AddonLoadError, CodeMemoryError, NativeCallError } from './errors.js';
export { WrongHostError, requireArm64Host } from './wrong-host.js';
export {
  CACHE_ENV,
  INSN_COUNT_DIR_ENV,
  emulationCacheDir,
  provisionedArm64Node,
  readEmulationEnv,
  sameArchNode,
  setupCommandLine,
  type EmulationEnv,
  type NodeCommand,
} from './emulation.js';
export { NativeLibrary, NativeLibraryError } from './native-library.js';
export {
  InsnCounter,
  InsnCountError,
  InsnCountUnavailableError,
  countInsns,
  insnCountStatus,
  insnsPerRun,
  type CodeRange,
  type InsnCountStatus,
  type PerRunCount,
} from './insn-count.js';
// The plugin's build and launch (./qemu-plugin.js) are for launchers and set-up, imported from
// their own module: a program that only counts does not load child_process and crypto.
export { contextBuilder, BpfRunInputError, ContextSnapshot, type RunInput, type ContextPlan, type ContextTarget, type BuiltContext, type ContextBuilder } from './contexts/index.js';
export * as maps from './maps/index.js';
export { createMap, defaultCpuCount, BpfMap, ArrayMap, HashMap, LpmTrieMap, QueueStackMap, RingbufMap, PerfEventArrayMap, ProgArrayMap, MapOfMaps, BpfMapOpError, indexKey } from './maps/index.js';
export type { MapRegion, MapOptions, PerfRecord, TailCallTarget } from './maps/index.js';
export { nativeHelpers, interpreterHelpers, drainPrintk, setRunCpu, setPrandomSeed, checkMemory, type AdapterRun } from './helpers/index.js';
export {
  RegisteredCodeRange,
  NO_BPF_PC,
  registerCodeRange,
  codeRangeAt,
  liveCodeRanges,
  processCodeRangeAt,
  type CodeRangeKind,
  type CodeRangeSpec,
  type NativeRangeInfo,
} from './code-ranges.js';
export { decodeFault, faultState, type FaultRecord } from './fault.js';
export type { FaultState } from './addon.js';
export { helperStubAddress, setHelperSink, clearHelperSink, HELPER_STUBS, type HelperSink } from './helper-dispatch.js';
