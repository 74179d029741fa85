import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadBpfObject } from '../../src/bpf/elf-loader.js';
import { decodeProgram, type BpfInsn } from '../../src/bpf/instruction.js';
import { CLANG, compileBpf, fixtures } from './support/c-fixtures.js';
import { runFuzz } from './support/fuzz.js';
import { haveTool, parseGolden } from './support/llvm-corpus.js';

/**
 * 5,000 cases in CI; the full run is
 *   npm run fuzz:toolkit   (A64JIT_FUZZ_CASES=100000 on this file)
 * (A64JIT_FUZZ_SEED picks another seed). The counts per outcome are printed.
 */
const CASES = Number(process.env.A64JIT_FUZZ_CASES ?? 5000);
const SEED = Number(process.env.A64JIT_FUZZ_SEED ?? 0x5eed);

const dir = mkdtempSync(join(tmpdir(), 'a64jit-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`${CASES} random and mutated inputs give only typed errors`, { timeout: Math.max(120_000, CASES * 20) }, () => {
  const objects: Uint8Array[] = [];
  const programs: BpfInsn[][] = [];
  if (haveTool(CLANG)) {
    for (const fx of fixtures()) {
      for (const [mcpu, debug] of [['v1', false], ['v3', true], ['v4', true]] as const) {
        const bytes = new Uint8Array(readFileSync(compileBpf(fx, mcpu, debug, dir)));
        objects.push(bytes);
        // maps.c without -g is rejected (BTF maps need BTF): still a useful seed object
        if (fx.name === 'maps' && !debug) continue;
        for (const p of loadBpfObject(bytes).programs) programs.push([...p.insns]);
      }
    }
  }
  const golden = parseGolden(readFileSync(new URL('../golden/bpf-llvm-corpus.tsv', import.meta.url), 'utf8'));
  const asmLines = golden.filter((_, i) => i % 5 === 0).map((g) => g.input);
  // Seed programs that need no compiler: runs of 16 golden encodings followed by an exit.
  for (let i = 0; i + 16 <= golden.length; i += 64) {
    const hex = golden.slice(i, i + 16).map((g) => g.hex).join('') + '9500000000000000';
    programs.push(decodeProgram(Buffer.from(hex, 'hex')));
  }
  const report = runFuzz(CASES, SEED, { objects, programs, asmLines });
  console.log(
    `fuzz: ${report.cases} cases (seed ${SEED}), ${objects.length} seed objects, ${programs.length} seed programs, slowest case ${report.slowestMs.toFixed(1)} ms\n` +
      Object.entries(report.outcomes)
        .map(([k, o]) => `  ${k.padEnd(17)} ${Object.entries(o).map(([n, c]) => `${n} ${c}`).join(', ')}`)
        .join('\n'),
  );
  expect(report.findings).toEqual([]);
  // Every kind was exercised and some inputs made it all the way through.
  expect(Object.values(report.outcomes).reduce((n, o) => n + Object.values(o).reduce((a, b) => a + b, 0), 0)).toBe(CASES);
});
