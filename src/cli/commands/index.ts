import type { CliCommand } from '../command.js';

/** Every sub-command, in the order `a64jit --help` lists them. Add one line per command. */
export const commands: readonly CliCommand[] = [];
