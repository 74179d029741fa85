import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, sameArchNode } from '../src/runtime/index.js';
import { readmeModules } from '../scripts/readme-examples.mjs';

/**
 * The README's JavaScript examples run as written: each ```ts block becomes a module in the
 * package root (so `a64jit/...` resolves to this package's dist/ through its exports map), and
 * every `expression; // VALUE` comment with a BigInt value is asserted (scripts/readme-examples.mjs;
 * the package test runs the same modules on an installed tarball).
 */
const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
const blocks = readmeModules(readme);

describe('README examples', () => {
  it('has JavaScript examples with stated results', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.join('\n')).toMatch(/throw new Error\(`README: /);
  });

  blocks.forEach((block, i) => {
    it(`example ${i + 1} runs and gives what the README says`, () => {
      const file = join(packageRoot, `.readme-example-${i + 1}.mjs`);
      writeFileSync(file, block);
      try {
        const node = sameArchNode();
        const r = spawnSync(node.command, [...node.args, file], { encoding: 'utf8', env: { ...process.env, ...node.env }, timeout: 120_000 });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      } finally {
        rmSync(file, { force: true });
      }
    });
  });
});
