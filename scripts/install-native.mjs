#!/usr/bin/env node
// npm "install" step: use a shipped prebuild when one loads on this platform/arch, otherwise
// build the addon from native/ with cmake-js (into build/Release, where node-gyp-build finds it).
// cmake-js is a development dependency: an installed package fetches it (npx) only for such a
// source build, so an install that takes a prebuild pulls in no build tools.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function loadsPrebuild() {
  try {
    const nodeGypBuild = require('node-gyp-build');
    const file = nodeGypBuild.resolve(root);
    if (!file.includes(`${join('prebuilds', '')}`)) return false;
    require(file);
    console.log(`a64jit: using prebuild ${file.slice(root.length + 1)}`);
    return true;
  } catch {
    return false;
  }
}

/** cmake-js from node_modules (a checkout), or from the npm registry through npx (installed). */
function cmakeJsCommand() {
  try {
    return { command: process.execPath, args: [require.resolve('cmake-js/bin/cmake-js')] };
  } catch {
    console.log('a64jit: cmake-js is not installed; running it through npx (cmake-js@8)');
    return { command: 'npx', args: ['--yes', 'cmake-js@8'] };
  }
}

if (!loadsPrebuild()) {
  console.log(`a64jit: no prebuild for ${process.platform}-${process.arch}; building native/ with cmake-js`);
  const { command, args } = cmakeJsCommand();
  const r = spawnSync(command, [...args, 'compile'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('a64jit: building the native addon failed; it needs cmake and a C++17 compiler');
    process.exit(r.status ?? 1);
  }
}
