import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { assembleUbpf, interpret, loadBpfObject, type HelperFn } from '../../src/bpf/index.js';
import { JitArgumentError, JitCompileError, JitProgram, JitRuntimeError, ObjectProgram } from '../../src/jit/index.js';
import { CodeRegion, NativeCallError, NativeFunction, loadFunction, packageRoot, sameArchNode } from '../../src/runtime/index.js';
import { compileBpf, ctxBytes, fixtures, runInInterpreter } from '../bpf-formats/support/c-fixtures.js';
import { caught } from '../support/caught.js';

/**
 * Runtime robustness (issue 10, point 7): each case was seen, tried as a new user would, and
 * each test here failed before the change that fixed it.
 */
function child(args: string[]) {
  const node = sameArchNode();
  return spawnSync(node.command, [...node.args, '--expose-gc', join(packageRoot, 'test', 'safety', 'robustness-child.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...node.env },
    timeout: 900_000,
  });
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('helpers', () => {
  it('a helper that throws stops the program at that call: no later store, no later helper call', () => {
    let laterCalls = 0;
    const helpers = new Map<number, HelperFn>([
      [
        1,
        () => {
          throw new Error('boom');
        },
      ],
      [2, () => BigInt(++laterCalls)],
    ]);
    const prog = JitProgram.compile(assembleUbpf('mov %r6, %r1\ncall 1\nstb [%r6+0], 1\ncall 2\nexit'), { verify: false, helpers });
    const mem = new Uint8Array(4);
    const e = caught(() => prog.run(mem)) as JitRuntimeError;
    expect(e).toBeInstanceOf(JitRuntimeError);
    expect(e.message).toBe('pc 1: helper 1 threw: boom');
    expect(e.pc).toBe(1);
    expect((e.cause as Error).message).toBe('boom');
    expect(mem[0]).toBe(0);
    expect(laterCalls).toBe(0);
    // the interpreter stops there too
    expect(() => interpret(assembleUbpf('mov %r6, %r1\ncall 1\nstb [%r6+0], 1\ncall 2\nexit'), { helpers, mem })).toThrow(/pc 1: .*boom/);
    prog.free();
  });

  it('re-entrancy: a run started by a helper has its own exit request (the outer run returns 1001, not 0)', () => {
    let depth = 0;
    const helper: HelperFn = (_r1, _r2, _r3, _r4, _r5, env) => {
      if (depth > 0) env.exit(0n); // the inner run stops at once with R0 = 0
      depth++;
      try {
        expect(prog.run()).toBe(0n);
      } finally {
        depth--;
      }
      return 0n;
    };
    const prog = JitProgram.compile(assembleUbpf('call 1\nmov %r0, 1001\nexit'), { verify: false, helpers: new Map([[1, helper]]) });
    expect(prog.run()).toBe(1001n);
    prog.free();
  });

  it('HelperEnv.pc is the call instruction under the JIT too', () => {
    const pcs: number[] = [];
    const prog = JitProgram.compile(assembleUbpf('mov %r1, 1\ncall 7\nmov %r2, 2\ncall 7\nexit'), {
      verify: false,
      helpers: new Map([[7, (_1, _2, _3, _4, _5, env) => BigInt(pcs.push(env.pc))]]),
    });
    prog.run();
    expect(pcs).toEqual([1, 3]);
    prog.free();
  });

  it('helper ids must be integers of the table: 1.5, -1 and 1024 are compile errors', () => {
    for (const id of [1.5, -1, 1024]) {
      const e = caught(() => JitProgram.compile(assembleUbpf('mov %r0, 0\nexit'), { verify: false, helpers: new Map([[id, () => 0n]]) }));
      expect(e, String(id)).toBeInstanceOf(JitCompileError);
      expect((e as Error).message).toBe(`helper id ${id} is not an integer in 0..1023`);
    }
  });

  it("koffi's 8,192 callbacks are not used up by programs dropped without free(): 1,100 programs with 8 helpers each", () => {
    const r = child(['dropped', '1100']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ sum: '9900', rangesBefore: 1, rangesWhileAlive: 1101, rangesAfter: 0, liveCode: 0 });
  });

  it('a full callback pool is a typed error', () => {
    const r = child(['exhausted']);
    expect(r.stderr).toBe('');
    const m = JSON.parse(r.stdout) as { registered: number; error: { name: string; message: string } };
    expect(m.registered).toBe(8192);
    expect(m.error.name).toBe('NativeCallError');
    expect(m.error.message).toMatch(/^cannot register a64jit's helper dispatcher with koffi: .*8,192/);
  });
});

describe('no use after free through the public API', () => {
  it('a helper that frees its own program: the run finishes, then calls are errors', () => {
    const prog = JitProgram.compile(assembleUbpf('mov %r6, 5\ncall 1\nadd %r0, %r6\nexit'), {
      verify: false,
      helpers: new Map([
        [
          1,
          () => {
            prog.free();
            return 37n;
          },
        ],
      ]),
    });
    expect(prog.run()).toBe(42n);
    expect(() => prog.run()).toThrow(/was freed/);
    expect(() => prog.free()).toThrow(/already freed/);
  });

  it("an ObjectProgram's .jit kept while the object is collected still has its data", () => {
    const dir = mkdtempSync(join(tmpdir(), 'a64jit-uaf-'));
    try {
      const fx = fixtures().find((f) => f.file === 'globals.c')!;
      const file = compileBpf(fx, 'v3', false, dir);
      const entry = 'rodata_table';
      const expected = runInInterpreter(loadBpfObject(new Uint8Array(readFileSync(file))), loadBpfObject(new Uint8Array(readFileSync(file))).programs.find((p) => p.name === entry)!);
      const jit = (() => ObjectProgram.load(loadBpfObject(new Uint8Array(readFileSync(file))), entry).jit)();
      for (let i = 0; i < 3; i++) gc();
      // reuse the freed memory, if it was freed
      const litter = Array.from({ length: 20_000 }, () => Buffer.alloc(64, 0xee));
      expect(jit.run(Buffer.from(ctxBytes())), 'after the ObjectProgram was collected').toBe(expected);
      expect(litter.length).toBe(20_000);
      jit.free();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a NativeFunction made from the address of a region that is freed later: calls are errors', () => {
    const region = CodeRegion.fromCode(new Uint8Array([0x40, 0x05, 0x80, 0xd2, 0xc0, 0x03, 0x5f, 0xd6])); // mov x0, #42; ret
    const f = new NativeFunction(region.address, 'int64_t (void)');
    expect(f.call()).toBe(42n);
    region.free();
    const e = caught(() => f.call());
    expect(e).toBeInstanceOf(NativeCallError);
    expect((e as Error).message).toMatch(/its code region was freed/);
  });

  it("a NativeFunction's trampoline outlives garbage collection (in a child process)", () => {
    const r = child(['trampoline']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ path: 'trampoline', before: '42', after: '43' });
  });
});

describe('threads', () => {
  it("calling a program from a worker while its helpers' thread waits is refused, not a deadlock", async () => {
    const prog = JitProgram.compile(assembleUbpf('call 1\nexit'), { verify: false, helpers: new Map([[1, () => 7n]]) });
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       import(workerData.runtime).then(({ NativeFunction }) => {
         const flag = new Int32Array(workerData.shared);
         try {
           new NativeFunction(workerData.address, 'uint64_t (void *, uint64_t)').call(null, 0n);
           flag[1] = 1; // it ran
         } catch (e) {
           flag[1] = e.name === 'NativeCallError' && /another thread/.test(e.message) ? 2 : 3;
         }
         Atomics.store(flag, 0, 1);
         Atomics.notify(flag, 0);
       });`,
      { eval: true, workerData: { address: prog.address, shared: shared.buffer, runtime: new URL('../../dist/runtime/index.js', import.meta.url).href } },
    );
    // this thread blocks: a helper call waiting for it would never return
    const waited = Atomics.wait(shared, 0, 0, 120_000);
    await worker.terminate();
    expect(waited).toBe('ok');
    expect(shared[1]).toBe(2);
    // and the program still works here
    expect(prog.run()).toBe(7n);
    prog.free();
  });
});

describe('arguments of run(), call() and loadFunction()', () => {
  const echo = () => JitProgram.compile(assembleUbpf('mov %r0, %r2\nexit'), { verify: false });

  it('numbers, strings and objects are refused as the context', () => {
    const prog = echo();
    for (const bad of [5, 'abc', {}, [1, 2]]) {
      const e = caught(() => prog.run(bad as never));
      expect(e, JSON.stringify(bad)).toBeInstanceOf(JitArgumentError);
      expect((e as Error).message).toMatch(/^run\(mem\): the context must be a Uint8Array, Buffer, another typed array or a DataView/);
    }
    expect(caught(() => prog.call(new Uint8Array(4), 3 as never))).toBeInstanceOf(JitArgumentError);
    expect(caught(() => prog.call(-1n, 0n))).toBeInstanceOf(JitArgumentError);
    expect(caught(() => prog.call(7 as never, 0n))).toBeInstanceOf(JitArgumentError);
    prog.free();
  });

  it('typed arrays and DataViews are sized in bytes', () => {
    const prog = echo();
    expect(prog.run(new Float64Array(2))).toBe(16n);
    expect(prog.run(new Uint32Array(3))).toBe(12n);
    expect(prog.run(new DataView(new ArrayBuffer(10), 2, 5))).toBe(5n);
    expect(prog.run(Buffer.alloc(7))).toBe(7n);
    const reader = JitProgram.compile(assembleUbpf('ldxdw %r0, [%r1+8]\nexit'), { verify: false });
    expect(reader.run(new BigUint64Array([1n, 0x1122334455667788n]))).toBe(0x1122334455667788n);
    reader.free();
    prog.free();
  });

  it('loadFunction of empty code is refused (it would execute whatever the page holds)', () => {
    expect(() => loadFunction(new Uint8Array(0), 'int64_t (void)')).toThrow(NativeCallError);
    expect(() => loadFunction(new Uint8Array(0), 'int64_t (void)')).toThrow(/no code \(0 bytes\)/);
  });
});
