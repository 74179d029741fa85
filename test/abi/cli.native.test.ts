// `a64jit abi` end to end on arm64 (under qemu through npm test): tables, failure lines, the
// closing 'N passed, N failed' and --json. Spawns cost seconds under qemu: two of them.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, sameArchNode } from '../../src/runtime/index.js';

function cli(args: string[]) {
  const node = sameArchNode();
  return spawnSync(node.command, [...node.args, join(packageRoot, 'bin', 'a64jit.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...node.env },
    timeout: 600_000,
  });
}

describe('a64jit abi', () => {
  it('prints a table per direction, each failure with expected and found locations, and the closing counts', () => {
    const r = cli(['abi', '--count', '3', '--direction', 'koffi-to-probe', '--direction', 'stub-to-gcc']);
    expect(r.stdout).toMatch(/== JavaScript -> probe through koffi \(koffi-to-probe\) ==\n\s+signatures\s+passed\s+failed\s+known\s+skipped\n\s+corpus\s+\d+/);
    expect(r.stdout).toMatch(/== caller stub -> C compiled by gcc \(stub-to-gcc\) ==/);
    // the corpus holds HFAs on the stack: koffi defect C shows up, as a known failure with its reproduction
    expect(r.stdout).toMatch(/KNOWN koffi-defect-C hfa-no-backfill: .*\n.*\n\s+arg 7 \(f64\): expected at stack\+24, found at stack\+8/);
    expect(r.stdout).toContain('minimal reproduction:');
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^\d+ passed, [1-9]\d* failed$/);
    // every failure here is koffi defect C: reported, and exit code 0 unless --strict
    expect(r.stdout).toMatch(/^(\d+) of the failures are known third-party defects/m);
    expect(r.stderr).toMatch(/a64jit abi: all \d+ failures are known, reported third-party defects \(exit code 0; --strict fails on them\)/);
    expect(r.status).toBe(0);
  });

  it('--strict: the same known defects make the exit code 1', () => {
    const r = cli(['abi', '--strict', '--count', '0', '--direction', 'koffi-to-probe']);
    expect(r.stdout).toMatch(/KNOWN koffi-defect-C/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ passed, [1-9]\d* failed$/);
    expect(r.stderr).not.toContain('exit code 0');
    expect(r.status).toBe(1);
  });

  it('--json gives the whole report; exit 0 when nothing failed', () => {
    const r = cli(['abi', '--json', '--count', '2', '--seed', '9', '--direction', 'stub-to-clang']);
    const report = JSON.parse(r.stdout) as { seed: number; runs: { id: string; outcomes: { status: string }[] }[]; totals: { failed: number; passed: number } };
    expect(report.seed).toBe(9);
    expect(report.runs.map((x) => x.id)).toEqual(['stub-to-clang']);
    expect(report.totals.failed).toBe(0);
    expect(report.totals.passed).toBe(report.runs[0]!.outcomes.length);
    expect(r.status).toBe(0);
  });
});
