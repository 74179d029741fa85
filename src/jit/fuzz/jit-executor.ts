import { bufferAddress, hostInfo } from '../../runtime/index.js';
import { CONTEXT_SIZE } from '../context-layout.js';
import { FUZZ_MEM_SIZE, type GeneratedProgram } from '../../bpf/program-generator.js';
import { JitProgram } from '../program.js';
import type { OptimizeOptions } from '../opt/index.js';
import type { Execution, Executor, FuzzMode } from './differential.js';
import { caseImage, type ImageTarget } from './images.js';

/**
 * The JIT side of a differential case. The buffer is 16-byte aligned, like the interpreter's
 * regions: generated atomics and acquire/release accesses are naturally aligned relative to
 * the buffer start, so the buffer itself must be aligned for them to be aligned in memory.
 * One buffer is reused for every case (allocation is noticeable under qemu). `sandbox`
 * compiles every case with the sandbox's checks (no correct program may trip one).
 * A case that comes with a JIT image made for `target` (its one context block, reused by
 * every case, and this CPU) is loaded instead of compiled here (images.ts).
 */
export interface JitExecutorOptions {
  /** the optimization tier (default: on, as JitProgram.compile has it); false: 1:1 */
  readonly optimize?: boolean | OptimizeOptions;
  /** compile every case with the sandbox's checks (no correct program may trip one) */
  readonly sandbox?: boolean;
}

export type JitExecutor = Executor & { readonly target: ImageTarget };

export function jitExecutor(options: JitExecutorOptions = {}): JitExecutor {
  const backing = Buffer.alloc(FUZZ_MEM_SIZE + 16);
  const misalign = Number(bufferAddress(backing) % 16n);
  const buffer = backing.subarray((16 - misalign) % 16, (16 - misalign) % 16 + FUZZ_MEM_SIZE);
  if (bufferAddress(buffer) % 16n !== 0n) throw new Error('jitExecutor: could not align the buffer');
  const context = Buffer.alloc(CONTEXT_SIZE);
  const target: ImageTarget = { contextAddress: bufferAddress(context), lse: hostInfo().lse };
  const run = (program: GeneratedProgram, mode: FuzzMode, image?: Uint8Array): Execution => {
    if (image && (options.optimize !== undefined || options.sandbox === true)) throw new Error('jitExecutor: images are compiled with the default options only');
    // the JIT against the interpreter on any valid program: verification is its own fuzz (npm run fuzz:verifier);
    // no budget (generated programs terminate; a budget would make them compile 1:1, unoptimized)
    const loaded = image ? caseImage({ seed: program.seed, image }) : undefined;
    const jit = loaded ? JitProgram.load(loaded, context) : JitProgram.compile(program.insns, { atomics: mode.atomics, blind: mode.blind, verify: false, budget: false, sandbox: options.sandbox === true, sandboxAnalysis: false, helperArgChecks: options.sandbox === true, ...(options.optimize !== undefined ? { optimize: options.optimize } : {}) });
    try {
      buffer.set(program.mem);
      const value = jit.run(buffer);
      const passes = jit.compiled.optimizer;
      return { value, mem: Uint8Array.from(buffer), ...(passes ? { passes } : {}) };
    } finally {
      jit.free();
    }
  };
  return Object.assign(run, { target });
}
