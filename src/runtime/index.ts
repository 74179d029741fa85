export { CodeRegion, type CodeRegionState } from './code-region.js';
export { NativeFunction, loadFunction, koffi, prototype, type NativeArg, type NativeResult } from './native-function.js';
export { addonPath, bufferAddress, hostInfo, packageRoot, type HostInfo } from './addon.js';
export { AddonLoadError, CodeMemoryError, NativeCallError } from './errors.js';
export { sameArchNode, provisionedArm64Node, type NodeCommand } from './emulation.js';
export { NativeLibrary, NativeLibraryError } from './native-library.js';
