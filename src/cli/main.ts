import type { CliCommand, CliIo } from './command.js';
import { CliInputError, CliUsageError } from './command.js';
import { commands } from './commands/index.js';
import { reexecUnderEmulation } from './emulation.js';
import { MAX_INPUT_BYTES, tooLarge } from './inputs.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`a64jit: unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  if (!command.passthrough && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    // AArch64 code runs natively on arm64 only; elsewhere the same command runs under qemu.
    if (process.arch !== 'arm64' && command.executesNative?.(rest)) {
      return await reexecUnderEmulation(argv, io, { notice: !command.quietEmulation, stdin: command.readsStdin?.(rest) ?? false });
    }
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof CliUsageError) {
      io.err(`a64jit ${command.name}: ${e.message}\n\n${command.usage}\n`);
      return 2;
    }
    // Input errors carry their own 'file:position:' prefix; other errors keep their type name.
    const message = e instanceof CliInputError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    io.err(`a64jit ${command.name}: ${message}\n`);
    return 1;
  }
}

function helpText(): string {
  const width = Math.max(...commands.map((c: CliCommand) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: a64jit <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'a64jit <command> --help' shows a command's options.\n`;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readStdin: async (limit = MAX_INPUT_BYTES) => {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      total += (chunk as Buffer).length;
      if (total > limit) {
        process.stdin.destroy();
        throw tooLarge('<stdin>', limit);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  },
  exitBySignal: (signal) => {
    // Die the way the child did, so a shell sees the same status; the default action of a
    // fatal signal needs its handlers gone first.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  },
};
