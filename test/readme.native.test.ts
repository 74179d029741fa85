import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, sameArchNode } from '../src/runtime/index.js';

/**
 * The README's JavaScript examples run as written: each ```ts block becomes a module in the
 * package root (so `a64jit/...` resolves to this package's dist/ through its exports map), and
 * every `expression; // VALUE` comment with a BigInt value is asserted.
 */
const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

function asModule(block: string): string {
  return block
    .split('\n')
    .map((line) => {
      const m = /^(.*?);\s*\/\/ (-?\d+n)\b/.exec(line);
      if (!m) return line;
      return `{ const v = (${m[1]}); if (v !== ${m[2]}) throw new Error(\`README: ${m[1]!.replace(/[`$\\]/g, '')} gave \${v}, the README says ${m[2]}\`); }`;
    })
    .join('\n');
}

describe('README examples', () => {
  it('has JavaScript examples with stated results', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.join('\n')).toMatch(/\/\/ \d+n/);
  });

  blocks.forEach((block, i) => {
    it(`example ${i + 1} runs and gives what the README says`, () => {
      const file = join(packageRoot, `.readme-example-${i + 1}.mjs`);
      writeFileSync(file, asModule(block));
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
