/**
 * The wrong host: JIT code is AArch64 machine code, so on any other CPU calls into it refuse
 * (executing it would crash the process) with an error that says how to run under emulation.
 */
import { setupCommandLine } from './emulation.js';

/**
 * JIT code is AArch64 machine code: on any other CPU it cannot be called (executing it would
 * crash the process). Importing, assembling, compiling, listing and interpreting work on every
 * host; only calls into generated code refuse, with this error.
 */
export class WrongHostError extends Error {
  override readonly name = 'WrongHostError';
  constructor(
    /** process.arch of this host */
    readonly arch: string,
    /** the command that provisions emulation where this package is (npm run setup / npx a64jit setup) */
    setup: string,
  ) {
    super(
      `a64jit cannot execute its AArch64 machine code on this ${process.platform}-${arch} host (Node ${process.version}): ` +
        'JIT code runs only on arm64. Everything else (assemblers, the BPF toolkit, the interpreter, the compiler, listings) works here. ' +
        `To run JIT code on this machine, use emulation: \`${setup}\` provisions qemu-aarch64 and an arm64 Node, ` +
        'then `npx a64jit node app.mjs` runs your app.mjs in that Node under qemu-aarch64 (the a64jit CLI re-runs itself that way).',
    );
  }
}

/** Throws WrongHostError unless `arch` (default: this process's) is arm64. */
export function requireArm64Host(arch: string = process.arch): void {
  if (arch !== 'arm64') throw new WrongHostError(arch, setupCommandLine());
}
