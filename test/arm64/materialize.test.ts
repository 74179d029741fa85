/**
 * Constant materialisation (materialize.ts):
 *   - never longer than what aarch64-linux-gnu-gcc -O2 emits for `return VALUE;` (gcc run live
 *     when installed, else the committed counts in test/golden/arm64-gcc-constants.tsv);
 *   - the emitted sequence, run under qemu-aarch64 in a static test binary, returns the value
 *     (the arm64 project repeats this through the runtime in constants.native.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { A64EncodeError, SP, W0, WZR, X0, X9, XZR, decodeInstruction, materialize } from '../../src/arm64/index.js';
import { CONSTANTS_32, CONSTANTS_64 } from './constants.js';
import { hasTool } from './llvm-oracle.js';

const GCC = 'aarch64-linux-gnu-gcc';
const GOLDEN = fileURLToPath(new URL('../golden/arm64-gcc-constants.tsv', import.meta.url));
const haveGcc = process.env.A64JIT_ARM64_GOLDEN_ONLY !== '1' && hasTool(GCC);
const haveQemu = hasTool('qemu-aarch64') && hasTool(GCC);

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const cases = [
  ...CONSTANTS_64.map((v) => ({ key: `64:${hex(v)}`, value: v, width: 64 as const })),
  ...CONSTANTS_32.map((v) => ({ key: `32:${hex(v)}`, value: v, width: 32 as const })),
];

/** Instructions gcc emits before `ret` for each function of the file. */
function gccCounts(): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'a64gcc-'));
  try {
    const src = cases
      .map((c, i) => (c.width === 64 ? `uint64_t f${i}(void) { return ${hex(c.value)}ULL; }` : `uint32_t f${i}(void) { return ${hex(c.value)}U; }`))
      .join('\n');
    writeFileSync(join(dir, 'c.c'), `#include <stdint.h>\n${src}\n`);
    const r = spawnSync(GCC, ['-O2', '-S', '-o', '-', join(dir, 'c.c')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const counts = new Map<string, number>();
    let current: number | null = null;
    let n = 0;
    for (const line of r.stdout.split('\n')) {
      const label = /^f(\d+):$/.exec(line);
      if (label) {
        current = Number(label[1]);
        n = 0;
        continue;
      }
      if (current === null || !/^\t[a-z]/.test(line)) continue;
      if (/^\tret\b/.test(line)) {
        counts.set(cases[current]!.key, n);
        current = null;
      } else n++;
    }
    return counts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function goldenCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of readFileSync(GOLDEN, 'utf8').split('\n')) {
    const [k, n] = line.split('\t');
    if (k && n) m.set(k, Number(n));
  }
  return m;
}

describe('materialize', () => {
  it('emits only MOVZ/MOVN/MOVK/ORR-immediate forms, one to four of them', () => {
    for (const c of cases) {
      const seq = materialize(c.width === 64 ? X0 : W0, c.value);
      expect(seq.length).toBeGreaterThanOrEqual(1);
      expect(seq.length).toBeLessThanOrEqual(c.width / 16);
      for (const w of seq) expect(decodeInstruction(w)).toMatch(/^(mov|movk|movn|movz|orr)\t/);
    }
  });

  const counts = haveGcc ? gccCounts() : existsSync(GOLDEN) ? goldenCounts() : new Map<string, number>();
  if (!haveGcc)
    console.warn(`\n*** ${GCC} not used: comparing constant sequences with the COMMITTED counts in ${GOLDEN}. ***\n`);
  if (haveGcc && process.env.A64JIT_UPDATE_GOLDEN === '1')
    writeFileSync(GOLDEN, cases.map((c) => `${c.key}\t${counts.get(c.key)}`).join('\n') + '\n');

  it(`is never longer than ${GCC} -O2 (${haveGcc ? 'live' : 'golden counts'})`, () => {
    const worse: string[] = [];
    for (const c of cases) {
      const theirs = counts.get(c.key);
      expect(theirs, `no gcc count for ${c.key}`).toBeDefined();
      const ours = materialize(c.width === 64 ? X0 : W0, c.value).length;
      if (ours > theirs!) worse.push(`${c.key}: ours ${ours}, gcc ${theirs}`);
    }
    expect(worse).toEqual([]);
  });

  it.skipIf(!haveGcc)('has golden gcc counts equal to what gcc says now', () => {
    expect(goldenCounts()).toEqual(counts);
  });

  it.skipIf(!haveQemu)('returns the value when executed (static binary under qemu-aarch64)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'a64run-'));
    try {
      // Each case becomes a function: the sequence into x0 (or w0), then RET. Declared as returning
      // uint64_t even for 32-bit cases, so a W write that failed to zero the top half would show.
      const asm = cases
        .map((c, i) => {
          const words = materialize(c.width === 64 ? X0 : W0, c.value).map((w) => `.inst 0x${w.toString(16)}\\n`).join('');
          return `__asm__(".text\\n.global m${i}\\nm${i}:\\n${words}ret\\n");\nuint64_t m${i}(void);`;
        })
        .join('\n');
      const calls = cases.map((_, i) => `  printf("%llx\\n", (unsigned long long)m${i}());`).join('\n');
      writeFileSync(join(dir, 'm.c'), `#include <stdio.h>\n#include <stdint.h>\n${asm}\nint main(void) {\n${calls}\n  return 0;\n}\n`);
      const cc = spawnSync(GCC, ['-static', '-O1', '-o', join(dir, 'm'), join(dir, 'm.c')], { encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      const run = spawnSync('qemu-aarch64', [join(dir, 'm')], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const got = run.stdout.trim().split('\n');
      expect(got).toEqual(cases.map((c) => c.value.toString(16)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts negative values as two\'s complement and zero-extends 32-bit constants into X registers', () => {
    expect(materialize(X0, -1n)).toEqual(materialize(X0, 0xffffffffffffffffn));
    expect(materialize(W0, -2)).toEqual(materialize(W0, 0xfffffffe));
    // A 32-bit constant requested for an X register is built on the W view.
    for (const w of materialize(X9, 0x12345678n, 32)) expect(decodeInstruction(w)).toMatch(/\tw9, /);
    for (const w of materialize(X9, 0xfffffffen, 32)) expect(decodeInstruction(w)).toMatch(/\tw9, /);
  });

  it('refuses values that do not fit, the zero register and SP', () => {
    expect(() => materialize(X0, 1n << 64n)).toThrow(A64EncodeError);
    expect(() => materialize(W0, 0x100000000n)).toThrow(/does not fit in 32 bits/);
    expect(() => materialize(W0, -(1n << 31n) - 1n)).toThrow(A64EncodeError);
    expect(() => materialize(XZR, 1n)).toThrow(/zero register/);
    expect(() => materialize(WZR, 1n)).toThrow(A64EncodeError);
    expect(() => materialize(SP, 1n)).toThrow(/sp is not allowed/);
    expect(() => materialize(X0, 2 ** 60)).toThrow(/safe integer/);
  });
});
