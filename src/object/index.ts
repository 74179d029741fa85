/**
 * The libbpf-style object API: openObject(path | bytes) -> maps and programs by name, global
 * data sections as typed views, maps shared by the programs of one object, and
 * program.testRun({ dataIn, ctxIn, repeat }) modelled on BPF_PROG_TEST_RUN, on the JIT or
 * the interpreter with the same maps, helpers and contexts.
 *
 * A room of its own: it may import src/bpf, src/runtime and src/jit.
 */
export { openObject, objectFromInstructions, BpfObjectFile, type OpenOptions } from './object.js';
export { ObjectProgram, type Engine, type TestRunOptions, type TestRunResult } from './program.js';
export { DataSection } from './data.js';
export { TypedMap } from './typed-map.js';
