import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haveTool } from '../bpf-formats/support/llvm-corpus.js';
import { CLANG } from '../verifier/corpus.js';
import { TYPED_ERRORS, corpusChild, writeCorpus, type Outcome } from './unsafe-corpus.js';

/**
 * Issue 10: the verifier's unsafe corpus (130 programs, test/fixtures/verifier/unsafe) with
 * verification off.
 * - `--no-verify --sandbox`: every program stops with a clear typed error, the same in the JIT
 *   and the interpreter: refused by the sandbox's load-time analysis (what no run-time check
 *   can see: pointer leaks, uninitialized reads, helper argument kinds, ...) or stopped at run
 *   time by a region check or the budget.
 * Each run gets the hostile input an unsafe program is unsafe on (corpus-child.mjs says which).
 */
/**
 * The unsafe programs that run to their end under the sandbox, each with why: every access they
 * make lands inside memory the run may touch. The sandbox checks addresses against regions (an
 * array map's elements, the packet's bytes [data, data_end)), not which object a pointer came
 * from, and no input can make these go further (a test run's packet has at least ETH_HLEN
 * bytes; the index is masked to 0..7).
 */
const RUNS_TO_END: Readonly<Record<string, string>> = {
  'map-index-mask-too-wide.c': "a[i] with i = mem[0] & 7 in a 16-byte value reads at most 28..31: inside the array's next element, not past the map's storage",
  'pkt-meta-no-check.c': 'with no metadata data_meta == data: the unchecked 4-byte read of the metadata reads the first packet bytes',
  'pkt-no-check.c': 'the unchecked read of bytes 12..13 lies inside every packet a run accepts (at least ETH_HLEN, 14 bytes)',
  'pkt-off-by-one.c': 'reads byte 13 after checking 13 bytes: inside every packet a run accepts (at least 14 bytes)',
  'pkt-write-past-check.c': 'writes bytes 6..7 after checking 6 bytes: inside every packet a run accepts (at least 14 bytes)',
};

const work = mkdtempSync(join(tmpdir(), 'a64jit-unsafe-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface SandboxLine {
  readonly file: string;
  readonly jit: Outcome;
  readonly interpreter: Outcome;
}

describe('the unsafe corpus, unverified', () => {
  if (!haveTool(CLANG)) {
    it('needs clang-22 for the C programs', () => {
      throw new Error('clang-22 is not installed: the corpus C programs cannot be compiled (npm run setup installs it)');
    });
    return;
  }
  const { file, programs } = writeCorpus(work);
  const unsafe = programs.filter((p) => p.kind === 'unsafe');
  const categoryOf = new Map(programs.map((p) => [p.file, p.category]));

  it('--sandbox: every program stops with a typed error, the same one in the JIT and the interpreter', () => {
    const lines = corpusChild([file, 'sandbox']) as SandboxLine[];
    expect(lines.map((l) => l.file)).toEqual(unsafe.map((p) => p.file));
    const summary = new Map<string, Map<string, number>>();
    for (const l of lines) {
      const c = categoryOf.get(l.file) ?? '?';
      const byKind = summary.get(c) ?? new Map<string, number>();
      byKind.set(l.jit.kind, (byKind.get(l.jit.kind) ?? 0) + 1);
      summary.set(c, byKind);
    }
    console.log(
      `unsafe corpus under --no-verify --sandbox (${lines.length} programs), how each category stops:\n` +
        [...summary].map(([c, m]) => `  ${c}: ${[...m].map(([k, n]) => `${n} ${k}`).join(', ')}`).join('\n'),
    );
    const differ = lines.filter((l) => l.jit.kind !== l.interpreter.kind).map((l) => `${l.file}: jit ${l.jit.kind}: ${l.jit.message} / interpreter ${l.interpreter.kind}: ${l.interpreter.message}`);
    const ran = lines.filter((l) => l.jit.kind === 'ran' || l.interpreter.kind === 'ran').map((l) => l.file.replace(/^unsafe\//, ''));
    const untyped = lines.filter((l) => l.jit.kind !== 'ran' && !TYPED_ERRORS.has(l.jit.kind)).map((l) => `${l.file}: ${l.jit.kind}: ${l.jit.message}`);
    // a clear error names where: the pc (run-time stops and load-time refusals alike)
    const noPc = lines.filter((l) => l.jit.kind !== 'ran' && !/\bpc \d+/.test(l.jit.message)).map((l) => `${l.file}: ${l.jit.kind}: ${l.jit.message}`);
    console.log(`ran to their end: ${ran.join(', ') || 'none'}\nno pc in the message: ${noPc.join('\n  ') || 'none'}`);
    expect({ differ, untyped, noPc }).toEqual({ differ: [], untyped: [], noPc: [] });
    expect(ran.sort()).toEqual(Object.keys(RUNS_TO_END).sort());
  });
});
