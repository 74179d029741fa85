#!/usr/bin/env node
// npm "install" step: use a shipped prebuild when one loads on this platform/arch, otherwise
// build the addon from native/ with cmake-js (into build/Release, where node-gyp-build finds it).
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

if (!loadsPrebuild()) {
  console.log(`a64jit: no prebuild for ${process.platform}-${process.arch}; building native/ with cmake-js`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'compile'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('a64jit: building the native addon failed; it needs cmake and a C++17 compiler');
    process.exit(r.status ?? 1);
  }
}
