import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBpfObject } from '../../src/bpf/index.js';
import { ObjectProgram } from '../../src/jit/object-program.js';
import { NativeLibrary } from '../../src/runtime/native-library.js';
import { FIXTURE_DIR, compileBpf, ctxBytes, fixtures, runInInterpreter } from '../bpf-formats/support/c-fixtures.js';

/**
 * Every C program of the toolkit's fixtures (loops, switch, globals in .data/.bss, .rodata
 * strings and tables, subprograms across sections, extern natives), compiled by clang-22 for
 * -mcpu=v1..v4, gives the same result under the JIT as under the reference interpreter.
 * Externs bind to host-natives.c, cross-compiled for arm64.
 */
describe('C fixtures: JIT == interpreter', () => {
  let dir = '';
  let natives: NativeLibrary;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'a64jit-jit-cfix-'));
    const lib = join(dir, 'libhostnatives.so');
    execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-shared', '-fPIC', '-I', FIXTURE_DIR, '-o', lib, join(FIXTURE_DIR, 'host-natives.c')]);
    natives = NativeLibrary.open(lib);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const fx of fixtures().filter((f) => f.entries.length > 0)) {
    it(`${fx.file}: ${fx.entries.join(', ')}`, () => {
      let runs = 0;
      for (const mcpu of ['v1', 'v2', 'v3', 'v4']) {
        const obj = loadBpfObject(new Uint8Array(readFileSync(compileBpf(fx, mcpu, false, dir))));
        for (const entry of fx.entries) {
          const program = obj.programs.find((p) => p.name === entry)!;
          // a fresh load per engine: each starts from the object's initial data images
          const expected = runInInterpreter(loadBpfObject(new Uint8Array(readFileSync(compileBpf(fx, mcpu, false, dir)))), program);
          // the JIT against the interpreter; that every fixture verifies is test/verifier/c-fixtures.test.ts's (on the host: fast)
          const jit = ObjectProgram.load(obj, entry, { libraries: [natives], verify: false });
          try {
            expect(jit.run(Buffer.from(ctxBytes())), `${entry} -mcpu=${mcpu}`).toBe(expected);
          } finally {
            jit.free();
          }
          runs++;
        }
      }
      expect(runs).toBe(fx.entries.length * 4);
    });
  }
});
