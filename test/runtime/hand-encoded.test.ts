import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { allHandFunctions } from './hand-encoded.js';

const llvmMc = spawnSync('llvm-mc-22', ['--version'], { stdio: 'ignore' }).status === 0;
if (!llvmMc) console.warn('hand-encoded.test.ts: llvm-mc-22 is not installed; the hand encodings are NOT checked (npm run setup installs it)');

describe.skipIf(!llvmMc)('hand-encoded runtime test functions agree with llvm-mc-22', () => {
  for (const [name, fn] of Object.entries(allHandFunctions)) {
    it(name, () => {
      const source = fn.code.map(([asm]) => asm).join('\n');
      const r = spawnSync('llvm-mc-22', ['-triple=aarch64', '-show-encoding'], { input: source, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const words = [...r.stdout.matchAll(/encoding: \[([^\]]+)\]/g)].map((m) =>
        m[1]!.split(',').reduce((w, b, i) => w + Number(b) * 2 ** (8 * i), 0),
      );
      expect(words).toEqual(fn.code.map(([, word]) => word));
    });
  }
});
