import { bufferAddress } from '../../runtime/index.js';
import { FUZZ_MEM_SIZE, type GeneratedProgram } from '../../bpf/program-generator.js';
import { JitProgram } from '../program.js';
import type { Execution, Executor, FuzzMode } from './differential.js';

/**
 * The JIT side of a differential case. The buffer is 16-byte aligned, like the interpreter's
 * regions: generated atomics and acquire/release accesses are naturally aligned relative to
 * the buffer start, so the buffer itself must be aligned for them to be aligned in memory.
 * One buffer is reused for every case (allocation is noticeable under qemu).
 */
export function jitExecutor(): Executor {
  const backing = Buffer.alloc(FUZZ_MEM_SIZE + 16);
  const misalign = Number(bufferAddress(backing) % 16n);
  const buffer = backing.subarray((16 - misalign) % 16, (16 - misalign) % 16 + FUZZ_MEM_SIZE);
  if (bufferAddress(buffer) % 16n !== 0n) throw new Error('jitExecutor: could not align the buffer');
  return (program: GeneratedProgram, mode: FuzzMode): Execution => {
    const jit = JitProgram.compile(program.insns, { atomics: mode.atomics, blind: mode.blind });
    try {
      buffer.set(program.mem);
      const value = jit.run(buffer);
      return { value, mem: Uint8Array.from(buffer) };
    } finally {
      jit.free();
    }
  };
}
