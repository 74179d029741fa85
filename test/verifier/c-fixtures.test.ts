import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBpfObject } from '../../src/bpf/elf-loader.js';
import { bindExterns } from '../../src/bpf/index.js';
import { objectMaps, verifyProgram } from '../../src/bpf/verifier/index.js';
import { CLANG, CTX_SIZE, compileBpf, fixtures } from '../bpf-formats/support/c-fixtures.js';
import { haveTool } from '../bpf-formats/support/llvm-corpus.js';

/**
 * Every C fixture's entry points verify, as plain-buffer programs (which is how the fixture
 * tests run them: ctx is CTX_SIZE bytes), for every -mcpu clang-22 targets.
 */
const HAVE_CLANG = haveTool(CLANG);

(HAVE_CLANG ? describe : describe.skip)('the C fixtures verify (clang-22, -mcpu=v1..v4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-vfix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const fx of fixtures().filter((f) => f.entries.length > 0)) {
    it(fx.file, () => {
      for (const mcpu of ['v1', 'v2', 'v3', 'v4']) {
        const obj = loadBpfObject(new Uint8Array(readFileSync(compileBpf(fx, mcpu, false, dir))), { entries: fx.entries });
        for (const entry of fx.entries) {
          const program = obj.programs.find((p) => p.name === entry)!;
          for (const memSize of [CTX_SIZE, undefined]) {
            // the externs it calls are natives of the embedder's (five arguments, as the fixture tests bind them)
            const natives = bindExterns(program, () => ({ arity: 5 }));
            const r = verifyProgram(program.insns, { ...objectMaps(obj), natives, ...(memSize === undefined ? {} : { memSize }) });
            expect(r.memSize, `${entry} -mcpu=${mcpu}`).toBeLessThanOrEqual(CTX_SIZE);
          }
        }
      }
    });
  }
});

if (!HAVE_CLANG) {
  it('the C fixture check needs clang-22', () => {
    throw new Error('clang-22 is not installed: the C fixtures cannot be compiled (npm run setup installs it)');
  });
}
