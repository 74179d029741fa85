#!/usr/bin/env node
// npm run fuzz:verifier: the verifier's long differential fuzz (issue 10): 1,000,000 cases
// (shaped and mutated programs, and the JIT fuzz generator's), each verified; every accepted
// program runs in the interpreter, which must not find an out-of-bounds access, a run past the
// budget or an address in its results; the verifier may only throw BpfVerifierError. CI runs
// 22,000 of them (test/verifier/fuzz-1 and -2). Options: --cases N (default 1000000),
// --seed N (first seed, default 100000, past CI's), --workers N (default 2).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './arm64-env.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const cases = value('--cases', 1_000_000);
const first = value('--seed', 100_000);
const workers = Math.max(1, value('--workers', 2));
const per = Math.ceil(cases / workers);
const start = Date.now();
const runs = [];
for (let w = 0; w < workers; w++) {
  const count = Math.min(per, cases - w * per);
  if (count <= 0) break;
  const env = { ...process.env, A64JIT_VERIFIER_FUZZ_CASES: String(count), A64JIT_VERIFIER_FUZZ_SEED: String(first + w * per) };
  const child = spawn(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'host', 'test/verifier/fuzz-1.test.ts'], { cwd: root, stdio: 'inherit', env });
  runs.push(new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1))));
}
const codes = await Promise.all(runs);
console.log(`fuzz:verifier: ${cases} cases from seed ${first} in ${workers} workers, ${((Date.now() - start) / 1000).toFixed(0)} s: ${codes.every((c) => c === 0) ? 'no problems' : 'PROBLEMS (see above)'}`);
process.exit(codes.every((c) => c === 0) ? 0 : 1);
