#!/usr/bin/env node
// npm run bench: `a64jit bench` on the project's benchmark corpus, each program against its C
// built natively (clang-22 -O2). The corpus is bench/corpus/suite.json (CONTRACTS.md). Arguments
// are passed on, e.g.
// `npm run bench -- --cc both --svg chart.svg` or `npm run bench -- --json`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suite = join(root, 'bench', 'corpus', 'suite.json');
const r = spawnSync(process.execPath, [join(root, 'bin', 'a64jit.js'), 'bench', suite, '--vs-native', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
