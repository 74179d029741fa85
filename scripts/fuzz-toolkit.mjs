#!/usr/bin/env node
// npm run fuzz:toolkit: the full robustness run of the BPF toolkit (issue 4): 100,000 random and
// mutated bytecode strings, assembly texts and ELF objects through decode, validate, interpret,
// the assemblers and the ELF loader; only typed errors are allowed. CI runs 5,000 of them as part
// of npm test. Options: --cases N (default 100000), --seed N (default: a fixed seed).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './arm64-env.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const env = { ...process.env, A64JIT_FUZZ_CASES: value('--cases', '100000') };
const seed = value('--seed', undefined);
if (seed !== undefined) env.A64JIT_FUZZ_SEED = seed;
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'host', 'test/bpf-formats/fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
