#!/usr/bin/env node
// Builds prebuilds/<platform>-<arch>/a64jit.node with prebuildify (node-gyp + binding.gyp):
// the host architecture, plus linux-arm64 cross-compiled with aarch64-linux-gnu-g++ on an
// x86_64 Linux host. The build runs in a scratch copy of the package so no build/ directory
// is left behind (node-gyp-build would prefer build/Release over prebuilds/, and an x64 build
// there breaks the arm64 Node: ../shared/docs/toolchain-notes.md).
//
//   npm run prebuild              rebuild and replace the committed prebuilds
//   npm run prebuild -- --check   rebuild and fail unless the result equals the committed
//                                 prebuilds byte for byte (the builds are reproducible)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const targets = [{ platform: process.platform, arch: process.arch, env: {} }];
if (process.platform === 'linux' && process.arch === 'x64') {
  targets.push({
    platform: 'linux',
    arch: 'arm64',
    env: { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++' },
    needs: 'aarch64-linux-gnu-g++',
  });
}

// node-gyp needs Node's headers. Use the running Node's own (official tarballs and distro
// packages ship include/node) unless npm already names a directory: never download them.
const headerEnv = {};
if (!process.env.npm_config_nodedir) {
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) headerEnv.npm_config_nodedir = prefix;
}
const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');

const scratch = mkdtempSync(join(tmpdir(), 'a64jit-prebuild-'));
let failed = false;
try {
  for (const name of ['package.json', 'binding.gyp', 'native']) cpSync(join(root, name), join(scratch, name), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  const prebuildify = join(root, 'node_modules', 'prebuildify', 'bin.js');
  for (const t of targets) {
    if (t.needs && spawnSync(t.needs, ['--version'], { stdio: 'ignore' }).status !== 0) {
      console.error(`prebuild: ${t.needs} is missing; install g++-aarch64-linux-gnu (npm run setup does)`);
      process.exit(1);
    }
    const args = [prebuildify, '--napi', '--arch', t.arch];
    console.log(`prebuild: ${t.platform}-${t.arch}`);
    const r = spawnSync(process.execPath, args, { cwd: scratch, encoding: 'utf8', env: { ...process.env, ...headerEnv, PREBUILD_NODE_GYP: nodeGyp, ...t.env } });
    if (r.status !== 0) {
      console.error(`${r.stdout ?? ''}${r.stderr ?? ''}prebuild: prebuildify for ${t.platform}-${t.arch} failed (exit ${r.status})`);
      process.exit(1);
    }
    rmSync(join(scratch, 'build'), { recursive: true, force: true });
  }
  for (const t of targets) {
    const dir = `${t.platform}-${t.arch}`;
    for (const file of readdirSync(join(scratch, 'prebuilds', dir))) {
      const fresh = join(scratch, 'prebuilds', dir, file);
      const committed = join(root, 'prebuilds', dir, file);
      if (check) {
        const same = existsSync(committed) && Buffer.compare(readFileSync(fresh), readFileSync(committed)) === 0;
        console.log(`prebuild --check: prebuilds/${dir}/${file} ${same ? 'matches the committed sources' : 'DIFFERS from a fresh build of native/'}`);
        if (!same) failed = true;
      } else {
        mkdirSync(join(root, 'prebuilds', dir), { recursive: true });
        cpSync(fresh, committed);
        console.log(`prebuild: wrote prebuilds/${dir}/${file}`);
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed) {
  console.error('prebuild --check: the committed prebuilds do not come from the committed native/ sources; run `npm run prebuild` and commit');
  process.exit(1);
}
