/**
 * The encoders and the disassembler against LLVM, over the deterministic corpus (corpus.ts):
 *   - encoder bytes == `llvm-mc-22 -show-encoding` of the instance's assembly text;
 *   - disassembler text == `llvm-objdump-22 -d` of llvm-mc's bytes, laid out from address 0.
 * With llvm-22 installed (CI) the oracles run live and the committed golden file must equal what
 * they say. Without it the golden file stands in for them, and the test says so loudly.
 * Force the golden path: A64JIT_ARM64_GOLDEN_ONLY=1.
 * Regenerate the golden: A64JIT_UPDATE_GOLDEN=1 npx vitest run --project host test/arm64/llvm-differential.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeInstruction } from '../../src/arm64/index.js';
import { buildCorpus } from './corpus.js';
import { LLVM_MC, LLVM_OBJDUMP, hasTool, llvmMcEncode, llvmObjdump, normalizeText, wordHex } from './llvm-oracle.js';

const GOLDEN = fileURLToPath(new URL('../golden/arm64-corpus.tsv.gz', import.meta.url));
const corpus = buildCorpus();
// A64JIT_ARM64_GOLDEN_ONLY=1 exercises the no-LLVM path on a machine that has LLVM.
const live = process.env.A64JIT_ARM64_GOLDEN_ONLY !== '1' && hasTool(LLVM_MC) && hasTool(LLVM_OBJDUMP);
const update = process.env.A64JIT_UPDATE_GOLDEN === '1';

interface OracleLine {
  asm: string;
  hex: string;
  objdump: string;
}

function serialize(lines: readonly OracleLine[]): Buffer {
  const text = lines.map((l) => `${l.asm}\t${l.hex}\t${l.objdump}`).join('\n') + '\n';
  // mtime 0 and fixed level keep the compressed file stable across regenerations.
  return gzipSync(Buffer.from(text), { level: 9 });
}

function parseGolden(): OracleLine[] {
  const text = gunzipSync(readFileSync(GOLDEN)).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [asm, hex, objdump] = l.split('\t');
      return { asm: asm!, hex: hex!, objdump: objdump! };
    });
}

function oracle(): OracleLine[] {
  if (live) {
    const hex = llvmMcEncode(corpus.map((c) => c.asm));
    const text = llvmObjdump(hex);
    const lines = corpus.map((c, i) => ({ asm: c.asm, hex: hex[i]!, objdump: text[i]! }));
    if (update) writeFileSync(GOLDEN, serialize(lines));
    return lines;
  }
  console.warn(
    `\n*** ${LLVM_MC}/${LLVM_OBJDUMP} not used (missing, or A64JIT_ARM64_GOLDEN_ONLY=1): checking the arm64 encoders against the COMMITTED GOLDEN FILE ` +
      `${GOLDEN}, not against LLVM itself. ***\n`,
  );
  if (!existsSync(GOLDEN)) throw new Error(`no LLVM and no golden file ${GOLDEN}`);
  return parseGolden();
}

const expected = oracle();

/** The first few mismatches of each kind (keyed by the asm mnemonic); the count says the rest. */
function report(bad: string[]): string {
  const perKind = new Map<string, number>();
  const shown = bad.filter((line) => {
    const key = /\(([a-z0-9.]+)/.exec(line)?.[1] ?? line.split(' ')[0]!;
    const n = perKind.get(key) ?? 0;
    perKind.set(key, n + 1);
    return n < 3;
  });
  return `${bad.length} mismatches:\n${shown.slice(0, 60).join('\n')}`;
}

describe(`arm64 encoders and disassembler vs ${live ? 'llvm-22 (live)' : 'the golden file'}`, () => {
  it('covers at least 20,000 instances', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20_000);
    expect(expected.length).toBe(corpus.length);
  });

  it('uses every register (SP and ZR included), every FP register number and view, and every condition', () => {
    const words = new Set(corpus.flatMap((c) => c.asm.split(/[\s,[\]!]+/)));
    const fpNumbers = new Set([...words].flatMap((w) => (/^[bhsdq]\d+$/.test(w) ? [Number(w.slice(1))] : [])));
    expect(fpNumbers.size).toBe(32);
    const want = [
      ...['x', 'w'].flatMap((p) => Array.from({ length: 31 }, (_, i) => `${p}${i}`)),
      ...['b', 'h', 's', 'd', 'q'].flatMap((p) => [`${p}0`, `${p}31`]),
      'xzr', 'wzr', 'sp', 'wsp',
      ...['eq', 'ne', 'hs', 'lo', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'].map((c) => `b.${c}`),
    ];
    expect(want.filter((w) => !words.has(w))).toEqual([]);
  });

  it('has the same corpus as the oracle data', () => {
    const bad = corpus.flatMap((c, i) => (c.asm === expected[i]?.asm ? [] : [`#${i}: ${c.asm} vs ${expected[i]?.asm}`]));
    expect(bad, 'corpus changed: regenerate the golden file (see the header of this test)').toEqual([]);
  });

  it('encodes every instance exactly as llvm-mc does', () => {
    const bad = corpus.flatMap((c, i) => {
      const ours = wordHex(c.word);
      return ours === expected[i]!.hex ? [] : [`(${c.asm}): ours ${ours}, llvm-mc ${expected[i]!.hex}`];
    });
    expect(bad.length, report(bad)).toBe(0);
  });

  it('disassembles every instance exactly as llvm-objdump does', () => {
    const bad = expected.flatMap((e, i) => {
      const text = decodeInstruction(parseInt(e.hex, 16), i * 4);
      const ours = text === null ? '<null>' : normalizeText(text);
      return ours === e.objdump ? [] : [`${e.hex} (${e.asm}): ours "${ours}", objdump "${e.objdump}"`];
    });
    expect(bad.length, report(bad)).toBe(0);
  });

  it.skipIf(!live)('has a golden file equal to what llvm-22 says now', () => {
    expect(existsSync(GOLDEN), `missing ${GOLDEN}: regenerate it (see the header of this test)`).toBe(true);
    const golden = parseGolden();
    const bad = expected.flatMap((e, i) => {
      const g = golden[i];
      return g && g.asm === e.asm && g.hex === e.hex && g.objdump === e.objdump ? [] : [`#${i}: golden ${JSON.stringify(g)} vs llvm ${JSON.stringify(e)}`];
    });
    expect(golden.length).toBe(expected.length);
    expect(bad.length, report(bad)).toBe(0);
  });
});
