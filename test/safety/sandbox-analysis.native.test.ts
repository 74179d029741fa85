import { describe, expect, it } from 'vitest';
import { BpfBudgetError, BpfPointerError, assembleLlvm } from '../../src/bpf/index.js';
import { BpfVerifierError } from '../../src/bpf/verifier/index.js';
import { JitProgram } from '../../src/jit/index.js';
import type { Engine } from '../../src/object/index.js';
import { caught } from '../support/caught.js';
import { unverifiedObject } from '../support/unverified.js';

/**
 * The sandbox's analysis (the verifier's sandbox mode) before a sandboxed program runs: what
 * no run-time check sees is refused with a BpfVerifierError before anything runs, in the JIT
 * and the interpreter alike; what it cannot decide is left to the run-time checks
 * (BpfSandboxError) and the budget (BpfBudgetError). `sandboxAnalysis: false` runs the
 * run-time checks alone.
 */
const ENGINES: readonly Engine[] = ['jit', 'interpreter'];
const MAPS = [{ name: 'values', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }];
const LOOKUP = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map_fd(0x0) ll\ncall 1\nif r0 == 0 goto out\n';

/** Run `src` (xdp, the map above) under the sandbox; the error it stops with, and the map's first value after. */
function sandboxed(src: string, engine: Engine, options: { analysis?: boolean; budget?: number } = {}): { error: unknown; value: bigint; left: number | undefined } {
  const { obj, program } = unverifiedObject({ insns: assembleLlvm(src), maps: MAPS, type: 'xdp' }, { sandbox: true, ...options });
  try {
    const prog = obj.program(program);
    const error = caught(() => prog.testRun({ engine, dataIn: new Uint8Array(64) }));
    const value = obj.maps.get('values')!.lookup(new Uint8Array(4))!;
    return { error, value: Buffer.from(value).readBigUInt64LE(0), left: prog.sandboxAnalysis?.leftToRunTime };
  } finally {
    obj.close();
  }
}

describe("the sandbox's analysis: refused before anything runs, JIT and interpreter alike", () => {
  // the program stores 7 into the map value first: nothing of it may have run
  const cases: Record<string, { src: string; reason: string }> = {
    'a pointer leaked into a map value': { src: `${LOOKUP}r1 = 7\n*(u64 *)(r0 + 0) = r1\n*(u64 *)(r0 + 0) = r10\nout:\nr0 = 2\nexit\n`, reason: 'R10 leaks addr into map' },
    'an uninitialized register': { src: `${LOOKUP}r1 = 7\n*(u64 *)(r0 + 0) = r1\nr0 = r6\nexit\nout:\nr0 = 2\nexit\n`, reason: 'R6 !read_ok' },
    'a fixed offset past the map value': { src: `${LOOKUP}r1 = 7\n*(u64 *)(r0 + 0) = r1\nr1 = *(u64 *)(r0 + 800)\nout:\nr0 = 2\nexit\n`, reason: 'invalid access to map value, value_size=8 off=800 size=8' },
    'a scalar as the map of a helper': { src: 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = 4096\ncall 1\nr0 = 2\nexit\n', reason: 'R1 type=scalar expected=map_ptr' },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const seen = ENGINES.map((engine) => {
        const r = sandboxed(c.src, engine);
        expect(r.error, engine).toBeInstanceOf(BpfVerifierError);
        const e = r.error as BpfVerifierError;
        expect([e.reason, e.sandbox, r.value], engine).toEqual([c.reason, true, 0n]);
        expect(e.message).toMatch(/^the sandbox's analysis refused the program: pc \d+: /);
        return [e.pc, e.insn];
      });
      expect(seen[0]).toEqual(seen[1]);
    });
  }

  it('JitProgram.compile refuses with the same error; sandboxAnalysis: false compiles for the run-time checks alone', () => {
    const e = caught(() => JitProgram.compile(assembleLlvm('r0 = r6\nexit'), { sandbox: true })) as BpfVerifierError;
    expect(e).toBeInstanceOf(BpfVerifierError);
    expect([e.reason, e.pc, e.sandbox]).toEqual(['R6 !read_ok', 0, true]);
    const raw = JitProgram.compile(assembleLlvm('r0 = r6\nexit'), { sandbox: true, sandboxAnalysis: false });
    expect(raw.sandboxAnalysis).toBeUndefined();
    raw.free();
  });
});

describe("the sandbox's analysis: what it leaves to run time", () => {
  it('a map value index it cannot bound: accepted, and stopped by the run-time check in both engines', () => {
    // index from the packet's first byte, 0x20 * 8 = 256 bytes into an 8-byte value: the
    // pointer-arithmetic check stops it at the addition (pointer-checks.ts)
    const src = `r6 = *(u32 *)(r1 + 0)\nr7 = *(u32 *)(r1 + 4)\nr8 = r6\nr8 += 1\nif r8 > r7 goto out\nr9 = *(u8 *)(r6 + 0)\n${LOOKUP}r9 <<= 3\nr0 += r9\nr1 = *(u64 *)(r0 + 0)\nout:\nr0 = 2\nexit\n`;
    const { obj, program } = unverifiedObject({ insns: assembleLlvm(src), maps: MAPS, type: 'xdp' }, { sandbox: true });
    try {
      const pcs = ENGINES.map((engine) => {
        const prog = obj.program(program);
        const e = caught(() => prog.testRun({ engine, dataIn: new Uint8Array(64).fill(0x20) }));
        expect(e, engine).toBeInstanceOf(BpfPointerError);
        expect((e as BpfPointerError).message).toMatch(/R0 pointer arithmetic of map value goes out of range: offset 256 is outside 0\.\.0, what the accesses through the pointer allow in value_size=8 of map/);
        expect(prog.sandboxAnalysis?.leftToRunTime).toBe(1);
        return (e as BpfPointerError).pc;
      });
      expect(pcs[0]).toBe(pcs[1]);
      // an index in bounds runs to the end
      expect(obj.program(program).testRun({ engine: 'jit', dataIn: new Uint8Array(64).fill(0) }).retval).toBe(2n);
    } finally {
      obj.close();
    }
  });

  it('a loop bounded by a map value: accepted quickly, stopped by the budget in both engines', () => {
    const src = `${LOOKUP}r1 = -1\n*(u64 *)(r0 + 0) = r1\nr2 = *(u64 *)(r0 + 0)\nloop:\nr2 -= 1\nif r2 != 0 goto loop\nout:\nr0 = 2\nexit\n`;
    for (const engine of ENGINES) {
      const r = sandboxed(src, engine, { budget: 5000 });
      expect(r.error, engine).toBeInstanceOf(BpfBudgetError);
    }
    const jit = JitProgram.compile(assembleLlvm('r2 = *(u64 *)(r1 + 0)\nr2 -= 1\nif r2 != 0 goto -2\nr0 = 0\nexit'), { sandbox: true, budget: 1000 });
    try {
      expect([jit.sandboxAnalysis?.loopsLeftToBudget, jit.sandboxAnalysis!.processed < 200]).toEqual([1, true]);
      expect(caught(() => jit.run(Buffer.alloc(8, 0xff)))).toBeInstanceOf(BpfBudgetError);
      expect(jit.run(Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]))).toBe(0n);
    } finally {
      jit.free();
    }
  });
});
