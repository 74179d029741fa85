import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/command.js';
import { tooLarge } from '../../src/cli/inputs.js';
import { packageRoot, sameArchNode } from '../../src/runtime/index.js';

export const BIN = join(packageRoot, 'bin', 'a64jit.js');
export const CLANG = 'clang-22';

/** CliIo that records what a command prints, for main() in process. */
export function fakeIo(stdin: string | Uint8Array = ''): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    readStdin: async (limit?: number) => {
      if (limit !== undefined && stdin.length > limit) throw tooLarge('<stdin>', limit);
      return Buffer.from(stdin);
    },
  };
  return io;
}

export interface CliResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `a64jit <args>` as a separate process: bin/a64jit.js (over dist/) in a Node of this arch. */
export function spawnCli(
  args: readonly string[],
  options: { input?: string | Uint8Array; cwd?: string; env?: Readonly<Record<string, string>>; node?: { command: string; args: readonly string[]; env: Readonly<Record<string, string>> } } = {},
): CliResult {
  if (!existsSync(join(packageRoot, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run the tests through `npm test`, which compiles first');
  }
  const node = options.node ?? sameArchNode();
  const r = spawnSync(node.command, [...node.args, BIN, ...args], {
    encoding: 'utf8',
    input: options.input ?? '',
    cwd: options.cwd ?? packageRoot,
    env: { ...process.env, ...node.env, ...options.env },
    timeout: 300_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `a64jit-cli-${tag}-`));
}

/** Write `text` to dir/name and return the path. */
export function writeIn(dir: string, name: string, text: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function haveTool(command: string): boolean {
  const r = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** clang -target bpf -O2 -c; returns the object path. */
export function compileBpf(dir: string, name: string, source: string): string {
  const c = writeIn(dir, `${name}.c`, source);
  const out = join(dir, `${name}.o`);
  const r = spawnSync(CLANG, ['-target', 'bpf', '-O2', '-c', c, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${CLANG} failed: ${r.stderr}`);
  return out;
}

/**
 * A C source with data, read-only data and pointers inside data (relocated by the linker),
 * and what it returns, computed here independently.
 */
export const GLOBALS_C = `
typedef unsigned long long u64;
static const char *const names[] = {"zero", "one", "two", "three"};
u64 counter = 5;
static const unsigned int weights[] = {3, 5, 7, 11};
__attribute__((section("prog"), used)) u64 mix_names(void *ctx) {
  u64 s = counter;
  for (int i = 0; i < 4; i++) {
    const char *p = names[i];
    while (*p) s = s * 31 + (unsigned char)*p++;
    s += weights[i];
  }
  counter = s;
  return s;
}
`;

export function globalsExpected(): bigint {
  const M = (1n << 64n) - 1n;
  let s = 5n;
  const weights = [3n, 5n, 7n, 11n];
  ['zero', 'one', 'two', 'three'].forEach((name, i) => {
    for (const ch of name) s = (s * 31n + BigInt(ch.charCodeAt(0))) & M;
    s = (s + weights[i]!) & M;
  });
  return s;
}

/** The line `run` prints for R0. */
export const r0Line = (v: bigint): string => `${v} (0x${v.toString(16)})\n`;
