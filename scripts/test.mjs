#!/usr/bin/env node
// npm test: compile, run the host suite, then the arm64 suite (natively on arm64 hosts, under
// qemu-aarch64 elsewhere). The arm64 suite is never skipped silently: if it cannot run, this
// fails and says how to set it up. A64JIT_SKIP_ARM64=1 skips it on purpose (CI never sets it).
// Extra arguments are passed to vitest in both suites (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LD_PREFIX, QEMU, arm64NodeCommand, emulationProblems, ensureOverlay, nativeArm64, root } from './arm64-env.mjs';

const passthrough = process.argv.slice(2);
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const reports = mkdtempSync(join(tmpdir(), 'a64jit-test-'));

const cleanups = [];

/**
 * The qemu instruction-count plugin (native/qemu-plugin), built when its sources changed, and
 * the environment that loads it. Without it the tests that count instructions fail and say why.
 */
async function insnCountPlugin() {
  const { buildQemuPlugin, insnCountLaunch } = await import(join(root, 'dist', 'runtime', 'qemu-plugin.js'));
  try {
    const { path, built } = buildQemuPlugin();
    if (built) console.log(`npm test: built the qemu instruction-count plugin ${path}`);
    return insnCountLaunch(path);
  } catch (e) {
    console.error(`\nnpm test: WARNING: no qemu instruction-count plugin, the tests that count instructions will fail: ${e.message}\n`);
    return undefined;
  }
}

function banner(text) {
  console.log(`\n${'='.repeat(78)}\n${text}\n${'='.repeat(78)}`);
}

function runSuite(label, project, command, args, env) {
  const report = join(reports, `${project}.json`);
  banner(`${label}`);
  const r = spawnSync(command, [...args, vitest, 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...(passthrough.length > 0 ? ['--passWithNoTests'] : []), ...passthrough], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  let counts = { passed: 0, failed: 0, skipped: 0, total: 0 };
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    counts = { passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests + json.numTodoTests, total: json.numTotalTests };
    // where the suite's time goes, so the 20-minute budget can be kept
    const files = (json.testResults ?? []).map((f) => ({ name: f.name.replace(`${root}/`, ''), s: (f.endTime - f.startTime) / 1000 })).sort((a, b) => b.s - a.s);
    if (files.length > 1) console.log(`\nslowest files (${label.split(' (')[0]}): ${files.slice(0, 8).map((f) => `${f.name} ${f.s.toFixed(0)} s`).join(', ')}`);
  } catch {
    counts.failed = 1; // no report: the run itself broke (e.g. a crash in native code)
  }
  const ok = r.status === 0 && counts.failed === 0;
  return { ok, status: r.status, signal: r.signal, counts };
}

banner('compiling TypeScript (tsc -p tsconfig.build.json)');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('npm test: the TypeScript build failed');
  process.exit(1);
}

const results = [];
const host = runSuite(`host suite (${process.arch}, Node ${process.version})`, 'host', process.execPath, [], {});
results.push({ name: `host (${process.arch})`, ...host });

if (process.env.A64JIT_SKIP_ARM64 === '1') {
  banner('arm64 suite SKIPPED because A64JIT_SKIP_ARM64=1: no AArch64 code was executed');
} else {
  const problems = emulationProblems();
  if (problems.length > 0) {
    console.error(
      `\nnpm test: the arm64 suite cannot run on this ${process.platform}-${process.arch} host:\n  - ${problems.join('\n  - ')}\n\n` +
        'Fix: run `npm run setup` (installs qemu-user and the arm64 libraries as root, fetches an arm64 Node into .arm64/).\n' +
        'To run only the host suite on purpose, set A64JIT_SKIP_ARM64=1.',
    );
    process.exit(1);
  }
  if (!nativeArm64 && !ensureOverlay()) {
    console.error('npm test: the arm64 native packages are missing from .arm64/packages; run `npm run setup`');
    process.exit(1);
  }
  const node = arm64NodeCommand();
  const how = nativeArm64 ? 'natively' : `under ${QEMU} -L ${LD_PREFIX}`;
  const counts = nativeArm64 ? undefined : await insnCountPlugin();
  if (counts) cleanups.push(counts.cleanup);
  const env = nativeArm64
    ? {}
    : // PREBUILDS_ONLY: node-gyp-build would take an x64 build/Release over prebuilds/linux-arm64.
      // A64JIT_HOST_NODE: the differential fuzz generates and interprets its programs in this
      // (host) Node, about 12x faster than under qemu (src/jit/fuzz/host-oracle.ts).
      { ...node.env, ...counts?.env, A64JIT_EMULATOR: QEMU, A64JIT_EMULATED: '1', PREBUILDS_ONLY: '1', A64JIT_HOST_NODE: process.execPath };
  const probe = spawnSync(node.command, [...node.args, '-p', 'process.arch + " " + process.version'], { encoding: 'utf8', env: { ...process.env, ...env } });
  const arm64 = runSuite(`arm64 suite (${probe.stdout?.trim() || 'arm64'}, ${how})`, 'arm64', node.command, node.args, env);
  results.push({ name: `arm64 (${how})`, ...arm64 });
}

rmSync(reports, { recursive: true, force: true });
for (const cleanup of cleanups) cleanup();
banner('summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  const c = r.counts;
  const broke = r.signal ? `, killed by ${r.signal}` : r.status !== 0 && c.failed === 0 ? `, exit ${r.status}` : '';
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped of ${c.total}${broke}`);
  passed += c.passed;
  failed += c.failed + (r.ok ? 0 : c.failed === 0 ? 1 : 0);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
