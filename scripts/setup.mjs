#!/usr/bin/env node
// npm run setup: one command that sets a fresh development checkout up. `npm ci` first (it
// compiles the TypeScript and picks the prebuilt addon), then the package's own set-up steps
// (src/setup/, the same code as `a64jit setup`) with what only a checkout needs on top: the
// LLVM/clang oracles, the cross compiler, libbpf's headers, and the arm64 packages overlaid
// into node_modules for vitest under the arm64 Node. Uses Node's own modules only until
// `npm ci` has run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

console.log('\n== setup: npm dependencies');
const npmArgs = existsSync(join(root, 'package-lock.json')) ? ['ci'] : ['install'];
const npm = spawnSync('npm', npmArgs, { cwd: root, stdio: 'inherit' });
if (npm.status !== 0) {
  console.error(`\nsetup failed: npm ${npmArgs[0]} failed`);
  process.exit(1);
}

const { runSetup, SetupError } = await import(pathToFileURL(join(root, 'dist', 'setup', 'index.js')).href);
try {
  runSetup({ root, checkout: true, log: (text) => console.log(text.startsWith('== ') ? `\n== setup: ${text.slice(3)}` : text) });
} catch (e) {
  if (!(e instanceof SetupError)) throw e;
  console.error(`\nsetup failed: ${e.message}`);
  process.exit(1);
}
console.log('\nsetup done. Run the tests with: npm test');
