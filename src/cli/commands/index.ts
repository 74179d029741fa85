import type { CliCommand } from '../command.js';
import { abiCommand } from './abi.js';
import { asmCommand } from './asm.js';
import { benchCommand } from './bench.js';
import { conformanceCommand } from './conformance.js';
import { conformancePluginCommand } from './conformance-plugin.js';
import { disasmCommand } from './disasm.js';
import { nodeCommand } from './node.js';
import { runCommand } from './run.js';
import { setupCommand } from './setup.js';
import { showCommand } from './show.js';
import { verifyCommand } from './verify.js';

/** Every sub-command, in the order `a64jit --help` lists them. Add one line per command. */
export const commands: readonly CliCommand[] = [
  abiCommand,
  asmCommand,
  benchCommand,
  conformanceCommand,
  conformancePluginCommand,
  disasmCommand,
  nodeCommand,
  runCommand,
  setupCommand,
  showCommand,
  verifyCommand,
];
