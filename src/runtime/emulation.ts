import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './addon.js';

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
    const prefix = process.env.QEMU_LD_PREFIX ?? '/usr/aarch64-linux-gnu';
    return { command: emulator, args: ['-L', prefix, process.execPath], env: { A64JIT_EMULATOR: emulator, QEMU_LD_PREFIX: prefix } };
  }
  return { command: process.execPath, args: [], env: {} };
}

/** The arm64 Node that `npm run setup` provisioned on a non-arm64 host (.arm64/env.json). */
export function provisionedArm64Node(): NodeCommand | undefined {
  const file = join(packageRoot, '.arm64', 'env.json');
  if (!existsSync(file)) return undefined;
  const env = JSON.parse(readFileSync(file, 'utf8')) as { node: string; qemu: string; ldPrefix: string };
  if (!existsSync(env.node)) return undefined;
  return {
    command: env.qemu,
    args: ['-L', env.ldPrefix, env.node],
    env: { A64JIT_EMULATOR: env.qemu, QEMU_LD_PREFIX: env.ldPrefix },
  };
}
