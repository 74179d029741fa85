/**
 * a64jit: an eBPF -> AArch64 JIT for Node.js. Each room is also its own entry point:
 * `a64jit/runtime`, `a64jit/arm64`, `a64jit/bpf`, `a64jit/jit`, `a64jit/object`, `a64jit/abi`, `a64jit/bench`. Here they are
 * re-exported as namespaces, since their names overlap (both assemblers have a `disassemble`).
 */
export * as runtime from './runtime/index.js';
export * as arm64 from './arm64/index.js';
export * as bpf from './bpf/index.js';
export * as jit from './jit/index.js';
export * as object from './object/index.js';
export * as abi from './abi/index.js';
export * as bench from './bench/index.js';
