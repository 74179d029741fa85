import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/runtime/index.js';

/**
 * The library imported on this host's own Node (x86_64 here): assembler, BPF toolkit,
 * interpreter, compiler and listings work, through the package's exports (the same script the
 * package test runs on an installed tarball). In a child process: if anything executed AArch64
 * code here, the child would die by a signal instead of passing.
 */
describe(`a64jit on the ${process.arch} Node`, () => {
  it('imports, assembles, interprets, compiles and lists', () => {
    const r = spawnSync(process.execPath, [join(packageRoot, 'scripts', 'host-library-check.mjs')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.signal).toBe(null);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^host library ok: ${process.arch} Node`));
  });
});
