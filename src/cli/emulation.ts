import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { packageRoot, provisionedArm64Node } from '../runtime/index.js';
import type { CliIo } from './command.js';

/** The arm64 Node version `npm run setup` recorded in .arm64/env.json, if any. */
function provisionedVersion(): string | undefined {
  try {
    const env = JSON.parse(readFileSync(join(packageRoot, '.arm64', 'env.json'), 'utf8')) as { nodeVersion?: unknown };
    return typeof env.nodeVersion === 'string' ? env.nodeVersion : undefined;
  } catch {
    return undefined;
  }
}

/** Why the emulated re-run cannot start, or undefined when it can. */
function emulationProblem(): string | undefined {
  if (!provisionedArm64Node()) {
    return `this ${process.platform}-${process.arch} host cannot execute AArch64 code and no emulated arm64 Node is set up (.arm64/env.json); run \`npm run setup\` in ${packageRoot} (or use --interp where the command offers it)`;
  }
  // In a checkout, koffi's arm64 build is overlaid into node_modules by setup (and npm test);
  // an `npm install` on x64 prunes it, and koffi would fail obscurely inside the emulator.
  const modules = join(packageRoot, 'node_modules');
  if (existsSync(join(modules, 'koffi')) && !existsSync(join(modules, '@koromix', 'koffi-linux-arm64', 'package.json'))) {
    return "koffi's arm64 build is missing from node_modules/@koromix (an `npm install` removes it); run `npm run setup` or `npm test` to restore it";
  }
  return undefined;
}

export interface ReexecOptions {
  /** print the one-line notice on stderr */
  readonly notice: boolean;
  /** pass standard input to the child (read whole first) */
  readonly stdin: boolean;
}

/**
 * Run `a64jit <argv>` again in the arm64 Node under qemu-aarch64 that `npm run setup`
 * provisioned: same bin/a64jit.js, same arguments, standard input passed through when the
 * command reads it, output streamed back, the exit code returned and a fatal signal
 * re-raised. The child's process.arch is arm64, so it runs the command itself.
 */
export async function reexecUnderEmulation(argv: readonly string[], io: CliIo, options: ReexecOptions): Promise<number> {
  const problem = emulationProblem();
  const node = provisionedArm64Node();
  if (problem !== undefined || node === undefined) {
    io.err(`a64jit: ${problem ?? 'no emulated arm64 Node'}\n`);
    return 1;
  }
  if (options.notice) {
    const version = provisionedVersion();
    io.err(`a64jit: ${process.arch} host, running under ${node.command} (arm64 Node${version ? ` ${version}` : ''})\n`);
  }
  const input = options.stdin ? await io.readStdin() : undefined;
  const child = spawn(node.command, [...node.args, join(packageRoot, 'bin', 'a64jit.js'), ...argv], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // PREBUILDS_ONLY: node-gyp-build would otherwise prefer an x64 build/Release over
    // prebuilds/linux-arm64 (the same setting npm test uses for the emulated suite).
    env: { ...process.env, ...node.env, PREBUILDS_ONLY: '1' },
  });
  child.stdout.setEncoding('utf8').on('data', (s: string) => io.out(s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => io.err(s));
  child.stdin.on('error', () => {}); // a child that exits without reading its input
  child.stdin.end(input);
  // Signals meant for us (a `kill`, a terminal hang-up) are meant for the program running.
  const forwarded: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const s of forwarded) process.on(s, forward);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    if (signal !== null) {
      io.exitBySignal?.(signal);
      return 128 + (constants.signals[signal] ?? 0);
    }
    return code ?? 1;
  } catch (e) {
    io.err(`a64jit: cannot start ${node.command}: ${(e as Error).message}; run \`npm run setup\`\n`);
    return 1;
  } finally {
    for (const s of forwarded) process.off(s, forward);
  }
}
