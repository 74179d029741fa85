import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { packageRoot, provisionedArm64Node, readEmulationEnv, sameArchNode, type NodeCommand } from '../runtime/index.js';
import { insnCountLaunch, type InsnCountLaunch } from '../runtime/qemu-plugin.js';
import { emulationProblems, setupContext } from '../setup/index.js';
import type { CliIo } from './command.js';

/**
 * The arm64 Node to run AArch64 code in: this process's own on arm64; on other hosts the one
 * `a64jit setup` provisioned, or a sentence saying what is missing and the command to run.
 */
export function arm64Node(): NodeCommand | string {
  if (process.arch === 'arm64') return sameArchNode();
  const ctx = setupContext();
  const problems = emulationProblems(ctx);
  const node = provisionedArm64Node(ctx.layout);
  if (problems.length > 0 || node === undefined) {
    return (
      `this ${process.platform}-${process.arch} host cannot execute AArch64 code itself, and its emulation is not set up:\n  - ${problems.join('\n  - ')}\n` +
      `run \`${ctx.setupCommand}\` (or use --interp where the command offers it)`
    );
  }
  return node;
}

export interface SpawnOptions {
  /** pass standard input: 'whole' reads io.readStdin() first, 'inherit' hands this process's over */
  readonly stdin: 'none' | 'whole' | 'inherit';
}

/**
 * Run `node.command node.args... args...`, output streamed back through io, the exit code
 * returned and a fatal signal re-raised (so a shell sees what the child died of).
 */
export async function spawnNode(node: NodeCommand, args: readonly string[], io: CliIo, options: SpawnOptions): Promise<number> {
  const input = options.stdin === 'whole' ? await io.readStdin() : undefined;
  // Under qemu, exact instruction counts for the child (src/runtime/insn-count.ts) when the
  // plugin is built; without it the counting API says why.
  let counts: InsnCountLaunch | undefined;
  if (node.command !== process.execPath) {
    try {
      counts = insnCountLaunch();
    } catch (e) {
      io.err(`a64jit: no instruction counts: ${(e as Error).message}\n`);
    }
  }
  const child = spawn(node.command, [...node.args, ...args], {
    stdio: [options.stdin === 'inherit' ? 'inherit' : 'pipe', 'pipe', 'pipe'],
    // The child's stderr is a pipe: tell it whether ours is a terminal (progress bars).
    env: { ...process.env, ...node.env, ...counts?.env, A64JIT_STDERR_TTY: process.stderr.isTTY ? '1' : '0', ...(process.stderr.columns ? { COLUMNS: String(process.stderr.columns) } : {}) },
  });
  child.stdout!.setEncoding('utf8').on('data', (s: string) => io.out(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => io.err(s));
  if (child.stdin) {
    child.stdin.on('error', () => {}); // a child that exits without reading its input
    child.stdin.end(input);
  }
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
    io.err(`a64jit: cannot start ${node.command}: ${(e as Error).message}; run \`${setupContext().setupCommand}\`\n`);
    return 1;
  } finally {
    for (const s of forwarded) process.off(s, forward);
    counts?.cleanup();
  }
}

export interface ReexecOptions {
  /** print the one-line notice on stderr */
  readonly notice: boolean;
  /** pass standard input to the child (read whole first) */
  readonly stdin: boolean;
}

/**
 * Run `a64jit <argv>` again in the arm64 Node under qemu-aarch64 that `a64jit setup`
 * provisioned: same bin/a64jit.js, same arguments. The child's process.arch is arm64, so it
 * runs the command itself.
 */
export async function reexecUnderEmulation(argv: readonly string[], io: CliIo, options: ReexecOptions): Promise<number> {
  const node = arm64Node();
  if (typeof node === 'string') {
    io.err(`a64jit: ${node}\n`);
    return 1;
  }
  if (options.notice) {
    const version = readEmulationEnv()?.nodeVersion;
    io.err(`a64jit: ${process.arch} host, running under ${node.command} (arm64 Node${version ? ` ${version}` : ''})\n`);
  }
  return spawnNode(node, [join(packageRoot, 'bin', 'a64jit.js'), ...argv], io, { stdin: options.stdin ? 'whole' : 'none' });
}
