import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from './addon.js';
import { INSN_COUNT_DIR_ENV, emulationCacheDir } from './emulation.js';

/**
 * The instruction-count plugin for qemu-aarch64 (native/qemu-plugin/insn-count.c): where its
 * source and its build live, how set-up builds it (with the host C compiler, against no QEMU
 * headers), and how a launcher loads it. The guest side is insn-count.ts. May import node:*
 * and emulation.ts only (set-up uses it where the addon and koffi may not load yet).
 *
 * A launcher (npm test, the CLI's qemu re-exec) calls `insnCountLaunch()` and adds its `env`
 * to the emulated process: QEMU_PLUGIN makes qemu-aarch64 load the plugin (qemu-user reads
 * its options from QEMU_* variables, so arm64 children started through `sameArchNode()`
 * inherit it and get counts files of their own), A64JIT_INSN_COUNT_DIR tells the guest where
 * the counts files are.
 */


/** The plugin's C source first, then its header. */
export function qemuPluginSources(root: string = packageRoot): string[] {
  return ['insn-count.c', 'qemu-plugin-api.h'].map((f) => join(root, 'native', 'qemu-plugin', f));
}

const COMPILE_ARGS = ['-std=c11', '-D_GNU_SOURCE', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden', '-pthread'];

/** A hash of the plugin's sources and compile flags: builds of different sources never mix. */
function sourceDigest(sources: readonly string[]): string {
  const hash = createHash('sha256').update(JSON.stringify(COMPILE_ARGS));
  for (const file of sources) hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Where the plugin built from these sources lives: in the emulation cache beside the arm64
 * Node, named by the sources' hash (checkouts sharing one cache each find their own build).
 */
export function qemuPluginPath(cacheDir: string = emulationCacheDir(), root: string = packageRoot): string {
  return join(cacheDir, 'qemu-plugin', `insn-count-${sourceDigest(qemuPluginSources(root))}.so`);
}

/** The plugin could not be compiled; the message has the compiler's output. */
export class QemuPluginBuildError extends Error {
  override readonly name = 'QemuPluginBuildError';
}

export interface QemuPluginBuild {
  readonly path: string;
  /** false when an up-to-date build was already there */
  readonly built: boolean;
}

/** The host C compiler: $CC, else the first of cc, gcc, clang, clang-22 that runs. */
function hostCompiler(): string {
  if (process.env.CC) return process.env.CC;
  const found = ['cc', 'gcc', 'clang', 'clang-22'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!found) throw new QemuPluginBuildError('no host C compiler (cc, gcc, clang or clang-22) to build the qemu instruction-count plugin; install gcc or set CC');
  return found;
}

/**
 * Compile the plugin for this (non-arm64) host with its C compiler, unless it is built already.
 * A set-up step: small and self-contained so it can move with the set-up code.
 */
export function buildQemuPlugin(out: string = qemuPluginPath(), sources: readonly string[] = qemuPluginSources(), cc?: string): QemuPluginBuild {
  if (existsSync(out)) return { path: out, built: false };
  const compiler = cc ?? hostCompiler();
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const r = spawnSync(compiler, [...COMPILE_ARGS, '-o', tmp, sources[0]!], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error ? r.error.message : `exit ${r.status}\n${r.stdout}${r.stderr}`;
    throw new QemuPluginBuildError(`building the qemu instruction-count plugin with \`${compiler}\` failed: ${why}`);
  }
  renameSync(tmp, out); // atomic: a concurrent build or a running qemu never sees half a file
  return { path: out, built: true };
}

export interface InsnCountLaunch {
  /** to merge into the environment of the qemu-aarch64 process */
  readonly env: Readonly<Record<string, string>>;
  /** the counts directory (one file per emulated process) */
  readonly dir: string;
  /** removes the counts directory; call when the emulated process has ended */
  cleanup(): void;
}

/**
 * The environment that loads the plugin into qemu-aarch64, with a fresh counts directory.
 * Undefined when the plugin is not built (the guest API then says how to build it).
 */
export function insnCountLaunch(plugin: string = qemuPluginPath()): InsnCountLaunch | undefined {
  if (!existsSync(plugin)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-insn-'));
  // qemu splits the option at commas.
  if (`${plugin}${dir}`.includes(',')) {
    rmSync(dir, { recursive: true, force: true });
    throw new QemuPluginBuildError(`${plugin} or ${dir} contains a comma, which qemu's plugin option cannot take`);
  }
  return {
    env: { QEMU_PLUGIN: `${plugin},dir=${dir}`, [INSN_COUNT_DIR_ENV]: dir },
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
