#!/usr/bin/env node
// Builds prebuilds/<platform>-<arch>/a64jit.node with prebuildify (node-gyp + binding.gyp):
// the host architecture, plus on an x86_64 Linux host linux-arm64 cross-compiled with
// aarch64-linux-gnu-g++ and darwin-arm64 cross-compiled and linked with zig (real macOS headers
// and libSystem symbols; provisioned by `npm run setup`; see darwinArm64 below). The build runs in a scratch copy of the package so no build/ directory
// is left behind (node-gyp-build would prefer build/Release over prebuilds/, and an x64 build
// there breaks the arm64 Node: ../shared/docs/toolchain-notes.md).
//
//   npm run prebuild              rebuild and replace the committed prebuilds
//   npm run prebuild -- --check   rebuild and fail unless the result equals the committed
//                                 prebuilds byte for byte (the builds are reproducible)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
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
  targets.push({ platform: 'darwin', arch: 'arm64', build: darwinArm64 });
}

// node-gyp needs Node's headers. Use the running Node's own (official tarballs and distro
// packages ship include/node) unless npm already names a directory: never download them.
const headerEnv = {};
if (!process.env.npm_config_nodedir) {
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) headerEnv.npm_config_nodedir = prefix;
}
const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const nodeInclude = join(headerEnv.npm_config_nodedir ?? process.env.npm_config_nodedir ?? join(dirname(process.execPath), '..'), 'include', 'node');

/**
 * darwin-arm64, built on Linux by zig's clang against the macOS 11 headers and libSystem
 * stubs that zig ships: the sources, defines and C++ flags of binding.gyp (so every native/*.cc
 * listed there is built), N-API symbols left to Node (-undefined dynamic_lookup, as node-gyp
 * does on macOS), every other symbol resolved against libSystem at link time, libc++ linked
 * statically, ad-hoc code signature (zig signs arm64 Mach-O), stripped (no build paths: the
 * output is byte-reproducible). Not run on hardware: test/native/darwin-prebuild.test.ts checks
 * its Mach-O headers, exports and imports.
 */
async function darwinArm64(scratch) {
  const { checkoutContext } = await import('./arm64-env.mjs');
  const zigDir = checkoutContext().layout.zigDir;
  const zig = join(zigDir, 'zig');
  if (!existsSync(zig)) {
    console.error(`prebuild: zig is missing (${zig}); run \`npm run setup\``);
    process.exit(1);
  }
  const gyp = JSON.parse(readFileSync(join(scratch, 'binding.gyp'), 'utf8')).targets[0];
  const addonApi = createRequire(join(root, 'package.json'))('node-addon-api').include_dir;
  const out = join(scratch, 'prebuilds', 'darwin-arm64', 'a64jit.node');
  mkdirSync(dirname(out), { recursive: true });
  const minos = gyp.xcode_settings?.MACOSX_DEPLOYMENT_TARGET ?? '11.0';
  const args = [
    'c++', '-target', `aarch64-macos.${minos.includes('.') ? minos : `${minos}.0`}`, '-shared', '-s',
    '-undefined', 'dynamic_lookup', '-Wl,-install_name,a64jit.node',
    ...(gyp.cflags_cc ?? []), ...(gyp.defines ?? []).map((d) => `-D${d}`),
    '-I', nodeInclude, '-I', join(root, addonApi), ...gyp.sources, '-o', out,
  ];
  const cache = join(zigDir, 'cache');
  const r = spawnSync(zig, args, { cwd: scratch, encoding: 'utf8', env: { ...process.env, ZIG_GLOBAL_CACHE_DIR: cache, ZIG_LOCAL_CACHE_DIR: cache } });
  if (r.status !== 0) {
    console.error(`${r.stdout ?? ''}${r.stderr ?? ''}prebuild: zig c++ for darwin-arm64 failed (exit ${r.status})`);
    process.exit(1);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'a64jit-prebuild-'));
let failed = false;
try {
  for (const name of ['package.json', 'binding.gyp', 'native']) cpSync(join(root, name), join(scratch, name), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  const prebuildify = join(root, 'node_modules', 'prebuildify', 'bin.js');
  for (const t of targets) {
    if (t.build) {
      console.log(`prebuild: ${t.platform}-${t.arch}`);
      await t.build(scratch);
      continue;
    }
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
