/** A sub-command of the `a64jit` CLI. Each lives in src/cli/commands/<name>.ts. */
export interface CliCommand {
  readonly name: string;
  /** one line for `a64jit --help` */
  readonly summary: string;
  /** full usage text for `a64jit <name> --help` */
  readonly usage: string;
  /** runs the command; resolves to the process exit code */
  run(args: readonly string[], io: CliIo): Promise<number>;
  /**
   * Whether this invocation executes AArch64 code. On other hosts main() then re-runs the
   * whole command under the emulator (src/cli/emulation.ts) instead of calling run().
   */
  executesNative?(args: readonly string[]): boolean;
  /** whether this invocation reads standard input (passed through to a re-run) */
  readsStdin?(args: readonly string[]): boolean;
  /**
   * Keep stderr free of the one-line emulation notice. bpf_conformance takes a failing
   * plugin's stderr as its error message, so conformance-plugin must print nothing else.
   */
  readonly quietEmulation?: boolean;
  /** every argument belongs to the command (`a64jit node --help` is Node's help) */
  readonly passthrough?: boolean;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /**
   * Standard input, read whole (for commands that take a program on stdin). With `limit`,
   * more than that many bytes is a CliInputError ('<stdin>: larger than ...') as soon as they
   * arrive, never a read to the end.
   */
  readStdin(limit?: number): Promise<Buffer>;
  /**
   * End this process by `signal`, as a re-run child under the emulator was. Absent for
   * in-process callers (tests), which get 128 + the signal number as the exit code instead.
   */
  exitBySignal?(signal: NodeJS.Signals): void;
}

/** A usage mistake: printed with the command's usage, exit code 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/**
 * Bad input (a file that is missing or malformed, bad hex, ...): printed as
 * `a64jit <command>: <message>`, exit code 1. The message names what and where.
 */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}
