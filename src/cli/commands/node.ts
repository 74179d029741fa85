import type { CliCommand, CliIo } from '../command.js';
import { arm64Node, spawnNode } from '../emulation.js';

const usage = `usage: a64jit node [NODE-OPTIONS] [script.mjs [ARGS]...]

Runs an arm64 Node with these arguments, so a script that uses a64jit's JIT (the README's API
examples, your own code) runs where AArch64 code executes: this Node itself on an arm64 host;
on an x86_64 Linux host the arm64 Node that \`a64jit setup\` provisioned, under qemu-aarch64,
with the arm64 build of koffi on its NODE_PATH. Every argument goes to Node unchanged
(also --help: 'a64jit node --help' shows Node's). Standard input is passed through; the exit
code is Node's.`;

export const nodeCommand: CliCommand = {
  name: 'node',
  summary: 'run a script in an arm64 Node (natively, or under qemu-aarch64 on x86_64)',
  usage,
  passthrough: true,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const node = arm64Node();
    if (typeof node === 'string') {
      io.err(`a64jit node: ${node}\n`);
      return 1;
    }
    return spawnNode(node, args, io, { stdin: 'inherit' });
  },
};
