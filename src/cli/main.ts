import type { CliCommand, CliIo } from './command.js';
import { CliUsageError } from './command.js';
import { commands } from './commands/index.js';

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
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof CliUsageError) {
      io.err(`a64jit ${command.name}: ${e.message}\n\n${command.usage}\n`);
      return 2;
    }
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
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
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
};
