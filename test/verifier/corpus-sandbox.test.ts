import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/bpf/verifier/index.js';
import { BpfVerifierError, verifyProgram } from '../../src/bpf/verifier/index.js';
import { haveTool } from '../bpf-formats/support/llvm-corpus.js';
import { CLANG, corpusPrograms, loadCorpusProgram } from './corpus.js';

/**
 * The verifier corpus in sandbox mode (the analysis `--sandbox` runs before a program runs):
 * every unsafe program is either refused with its corpus message (and pc), or accepted with
 * at least one access left to the run-time checks or one loop left to the budget; every safe
 * program is accepted. The two lists are printed.
 */
const programs = corpusPrograms();
const work = mkdtempSync(join(tmpdir(), 'a64jit-corpus-sandbox-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the verifier corpus in sandbox mode', () => {
  if (!haveTool(CLANG) && programs.some((p) => p.language === 'c')) {
    it('needs clang-22 for the C programs', () => {
      throw new Error('clang-22 is not installed: the corpus C programs cannot be compiled (npm run setup installs it)');
    });
    return;
  }

  it('refuses each unsafe program as normal mode does, or leaves what it cannot decide to run time; accepts every safe one', () => {
    const refused: string[] = [];
    const left: string[] = [];
    for (const p of programs) {
      const { insns, options } = loadCorpusProgram(p, work);
      let result: VerifyResult | undefined;
      try {
        result = verifyProgram(insns, { ...options, sandbox: true });
      } catch (e) {
        if (!(e instanceof BpfVerifierError)) throw e;
        expect(p.kind, `${p.file}: ${e.message}`).toBe('unsafe');
        expect([e.reason, e.sandbox], p.file).toEqual([p.expect, true]);
        if (p.pc !== undefined) expect(e.pc, p.file).toBe(p.pc);
        refused.push(`${p.file}: ${e.reason}`);
        continue;
      }
      if (p.kind === 'safe') continue;
      const what = [...result.facts.leftToRunTime.entries(), ...result.facts.loopsLeftToBudget.entries()].map(([pc, m]) => `pc ${pc}: ${m}`);
      expect(what.length, `${p.file} accepted with nothing left to run time`).toBeGreaterThan(0);
      // a loop the corpus calls unbounded is one the budget must stop
      if (p.category === 'unbounded-loop') expect(result.loopsLeftToBudget, p.file).toBeGreaterThan(0);
      left.push(`${p.file} (${p.category}): ${what.join('; ')}`);
    }
    console.log(`refused in sandbox mode (${refused.length}):\n  ${refused.join('\n  ')}`);
    console.log(`accepted, left to the run-time checks and budget (${left.length}):\n  ${left.join('\n  ')}`);
    expect(refused.length + left.length).toBe(programs.filter((p) => p.kind === 'unsafe').length);
  });
});
