import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BpfVerifierError, verifyProgram } from '../../src/bpf/verifier/index.js';
import { haveTool } from '../bpf-formats/support/llvm-corpus.js';
import { CLANG, corpusPrograms, loadCorpusProgram } from './corpus.js';

/**
 * The verifier corpus: every unsafe program is rejected with its kernel-worded message (and
 * pc, when the header names one), every safe one accepted.
 */
const programs = corpusPrograms();
const work = mkdtempSync(join(tmpdir(), 'a64jit-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the verifier corpus', () => {
  it('holds at least 100 unsafe and 100 safe programs, in every category', () => {
    const unsafe = programs.filter((p) => p.kind === 'unsafe');
    const safe = programs.filter((p) => p.kind === 'safe');
    expect(unsafe.length).toBeGreaterThanOrEqual(100);
    expect(safe.length).toBeGreaterThanOrEqual(100);
    const categories = new Set(unsafe.map((p) => p.category));
    for (const c of ['oob-packet', 'oob-map-value', 'oob-stack', 'oob-context', 'null-map-value', 'uninit-register', 'uninit-stack', 'pointer-leak', 'unbounded-loop', 'helper-args', 'context-offset', 'stack-args']) {
      expect(categories, c).toContain(c);
    }
    for (const p of programs) expect(p.expect, p.file).not.toBe('?');
  });

  if (!haveTool(CLANG) && programs.some((p) => p.language === 'c')) {
    it('needs clang-22 for the C programs', () => {
      throw new Error('clang-22 is not installed: the corpus C programs cannot be compiled (npm run setup installs it)');
    });
    return;
  }

  for (const p of programs) {
    it(p.file, () => {
      const { insns, options } = loadCorpusProgram(p, work);
      let outcome: string;
      let pc: number | undefined;
      try {
        verifyProgram(insns, options);
        outcome = 'ok';
      } catch (e) {
        if (!(e instanceof BpfVerifierError)) throw e;
        outcome = e.reason;
        pc = e.pc;
      }
      expect(outcome).toBe(p.expect);
      if (p.pc !== undefined) expect(pc).toBe(p.pc);
    });
  }
});
