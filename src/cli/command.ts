/** A sub-command of the `a64jit` CLI. Each lives in src/cli/commands/<name>.ts. */
export interface CliCommand {
  readonly name: string;
  /** one line for `a64jit --help` */
  readonly summary: string;
  /** full usage text for `a64jit <name> --help` */
  readonly usage: string;
  /** runs the command; resolves to the process exit code */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** standard input, read whole (for commands that take a program on stdin) */
  readStdin(): Promise<Buffer>;
}

/** A usage mistake: printed with the command's usage, exit code 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
