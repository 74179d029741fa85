import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/runtime/index.js';
import { fakeIo } from './support.js';

/**
 * `a64jit CMD --help` and the README's CLI table list the same options. An option is a token
 * `--name` or `-x`; in --help it counts where it is defined: in the synopsis (the lines from
 * 'usage:' to the first blank line) or first on an indented line. --help/-h themselves are
 * every command's and not listed. When this fails, the message names the command, the option
 * and the side it is missing from: add it there.
 */
const OPTION = /(?<=^|[\s[|(`'])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])/g;
const options = (text: string): Set<string> => new Set([...text.matchAll(OPTION)].map((m) => m[1]!).filter((o) => o !== '--help' && o !== '-h'));

async function helpOf(name: string): Promise<string> {
  const command = commands.find((c) => c.name === name)!;
  if (command.passthrough) return command.usage; // its --help is the wrapped program's
  const io = fakeIo();
  expect(await main([name, '--help'], io)).toBe(0);
  return io.stdout;
}

export function helpOptions(help: string): Set<string> {
  const lines = help.split('\n');
  const synopsisEnd = lines.findIndex((l, i) => i > 0 && l.trim() === '');
  const synopsis = lines.slice(0, synopsisEnd < 0 ? lines.length : synopsisEnd).join('\n');
  const defined = lines.map((l) => /^\s+(--?[a-zA-Z][\w-]*)/.exec(l)?.[1]).filter((o): o is string => o !== undefined);
  return new Set([...options(synopsis), ...options(defined.join(' '))]);
}

/** The README's CLI table: the first cell of each row that starts with `a64jit CMD`. */
function readmeRows(): Map<string, string> {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const m = /^\| `a64jit ([a-z][\w-]*)((?:[^`]|\\`)*)` \|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.replace(/\\\|/g, '|'));
  }
  return rows;
}

describe("every command's --help options and the README's CLI table", () => {
  const rows = readmeRows();

  it('the table has a row for every command, and no row for a command that does not exist', () => {
    const names = commands.map((c) => c.name);
    expect(
      names.filter((n) => !rows.has(n)).map((n) => `README.md's CLI table has no row for \`a64jit ${n}\``),
    ).toEqual([]);
    expect([...rows.keys()].filter((n) => !names.includes(n)).map((n) => `README.md's CLI table lists \`a64jit ${n}\`, which is no command`)).toEqual([]);
  });

  it.each(commands.map((c) => c.name))('a64jit %s', async (name) => {
    const help = helpOptions(await helpOf(name));
    const readme = options(rows.get(name) ?? '');
    const problems = [
      ...[...help].filter((o) => !readme.has(o)).map((o) => `${o} is in \`a64jit ${name} --help\` but missing from README.md's CLI table row for \`a64jit ${name}\``),
      ...[...readme].filter((o) => !help.has(o)).map((o) => `${o} is in README.md's CLI table row for \`a64jit ${name}\` but missing from \`a64jit ${name} --help\``),
    ];
    expect(problems).toEqual([]);
  });

  it('the extraction reads definitions, not prose', () => {
    const help = 'usage: a64jit x [--a N] [-o FILE] <file>\n\nText that mentions --prose and cut -d.\n\n  --b        does b\n  -c X       does c\n';
    expect([...helpOptions(help)].sort()).toEqual(['--a', '--b', '-c', '-o']);
  });
});
