import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBpfObject } from '../../src/bpf/index.js';
import { runFuzzCase } from '../../src/jit/fuzz/differential.js';
import { jitExecutor } from '../../src/jit/fuzz/jit-executor.js';
import { ObjectProgram } from '../../src/jit/object-program.js';
import { NativeLibrary } from '../../src/runtime/native-library.js';
import { FIXTURE_DIR, compileBpf, ctxBytes, fixtures, runInInterpreter } from '../bpf-formats/support/c-fixtures.js';

/**
 * Correct programs under the sandbox give the interpreter's results: no check may fire for
 * an access the program is allowed (its stack, its caller's stack through pointers, the
 * memory given, global data, read-only data), and the checks change no result. The
 * bpf_conformance suite runs in sandbox mode in test/jit/conformance.native.test.ts.
 */
describe('sandbox: correct programs run as without it', () => {
  let dir = '';
  let natives: NativeLibrary;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'a64jit-sandbox-'));
    const lib = join(dir, 'libhostnatives.so');
    execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-shared', '-fPIC', '-I', FIXTURE_DIR, '-o', lib, join(FIXTURE_DIR, 'host-natives.c')]);
    natives = NativeLibrary.open(lib);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const fx of fixtures().filter((f) => f.entries.length > 0)) {
    it(`C fixture ${fx.file} (-mcpu=v3 and v4), global data as regions`, () => {
      for (const mcpu of ['v3', 'v4']) {
        const file = compileBpf(fx, mcpu, false, dir);
        for (const entry of fx.entries) {
          const fresh = () => loadBpfObject(new Uint8Array(readFileSync(file)));
          const expected = runInInterpreter(fresh(), fresh().programs.find((p) => p.name === entry)!);
          const prog = ObjectProgram.load(fresh(), entry, { libraries: [natives], sandbox: true, sandboxAnalysis: false });
          try {
            expect(prog.run(Buffer.from(ctxBytes())), `${entry} -mcpu=${mcpu}`).toBe(expected);
          } finally {
            prog.free();
          }
        }
      }
    });
  }

  // 1,000 differential fuzz programs (memory, stack, calls with stack arguments, callees using
  // their caller's stack, atomics), in chunks that stay clear of the timeout under qemu
  const executor = jitExecutor({ sandbox: true });
  for (let first = 0; first < 1000; first += 125) {
    it(`fuzz seeds ${first}..${first + 124}: R0 and memory agree with the interpreter`, () => {
      const failures: number[] = [];
      for (let seed = first; seed < first + 125; seed++) {
        const r = runFuzzCase(seed, executor);
        if (!r.ok) {
          if (failures.length < 2) console.error(r.report);
          failures.push(seed);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
