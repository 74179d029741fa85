import { describe, expect, it } from 'vitest';
import { interpret, validateProgram, type BpfInsn } from '../../src/bpf/index.js';
import { FUZZ_DUMP_OFFSET, FUZZ_MEM_SIZE, Rng, formKey, generateProgram, generatorForms, programForms } from '../../src/bpf/program-generator.js';
import { runFuzzCase, type Executor } from '../../src/jit/fuzz/differential.js';

/**
 * The generator and the differential harness on the host (no machine code): programs are
 * valid, terminate within their static bound, stay in bounds (the interpreter checks every
 * access), cover every form, and the harness catches and reports a wrong implementation.
 */

const SEEDS = 1500;

/** The interpreter as the "implementation under test", optionally on a mutated program. */
function interpreterExecutor(mutate?: (insns: BpfInsn[]) => BpfInsn[]): Executor {
  return (program) => {
    const insns = mutate ? mutate(program.insns.map((i) => ({ ...i }))) : program.insns;
    const r = interpret(insns, { mem: program.mem, maxInstructions: 10 * program.maxCost + 1000 });
    return { value: r.value, mem: r.mem as Uint8Array };
  };
}

describe('program generator', () => {
  it('is deterministic: a seed always gives the same program and buffer', () => {
    for (const seed of [0, 1, 77, 123456, 999999, 2 ** 32 + 5]) {
      const a = generateProgram(seed);
      const b = generateProgram(seed);
      expect(b.insns).toEqual(a.insns);
      expect(Buffer.from(b.mem).equals(Buffer.from(a.mem))).toBe(true);
    }
    expect(generateProgram(1).insns).not.toEqual(generateProgram(2).insns);
    // the random stream itself is pinned: a seed printed by a failing run anywhere names the same program
    const rng = new Rng(42);
    expect([rng.u32(), rng.u32(), rng.u32()]).toEqual([2476999517, 2284424721, 914527439]);
  });

  it(`gives valid programs that run in bounds and within their static bound (${SEEDS} seeds)`, () => {
    const failures: string[] = [];
    let slots = 0;
    for (let seed = 0; seed < SEEDS; seed++) {
      const p = generateProgram(seed);
      expect(p.mem.length).toBe(FUZZ_MEM_SIZE);
      try {
        const info = validateProgram(p.insns);
        expect(info.functions.length).toBe(p.functions);
        const r = interpret(p.insns, { mem: p.mem, maxInstructions: p.maxCost + 1 });
        expect(r.instructions).toBeLessThanOrEqual(p.maxCost);
        // the entry epilogue always dumps R0-R8 and its stack window
        expect(r.mem?.length).toBe(FUZZ_MEM_SIZE);
      } catch (e) {
        failures.push(`seed ${seed}: ${e instanceof Error ? e.message : String(e)}`);
      }
      slots += p.insns.length;
    }
    expect(failures).toEqual([]);
    expect(slots / SEEDS).toBeGreaterThan(100);
    expect(FUZZ_DUMP_OFFSET + 144).toBeLessThanOrEqual(FUZZ_MEM_SIZE);
  });

  it('generates a program for every seed, including the ones where all registers were spoken for', () => {
    // 56168 and 59677 once threw: every register reserved between stack-argument stores
    for (const seed of [56168, 59677]) {
      const p = generateProgram(seed);
      expect(interpret(p.insns, { mem: p.mem }).instructions).toBeGreaterThan(0);
    }
    const failures: string[] = [];
    for (let seed = 100_000; seed < 105_000; seed++) {
      try {
        validateProgram(generateProgram(seed).insns);
      } catch (e) {
        failures.push(`seed ${seed}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('covers every form of the opcode table, calls with 1 to 12 arguments, callx and R11', () => {
    const expected = generatorForms();
    // every ALU/JMP/load/store/atomic opcode (both widths, K and X), with its variants
    expect(expected.length).toBeGreaterThanOrEqual(169);
    expect(expected).toContain(formKey({ code: 0x3f, dst: 0, src: 0, off: 1, imm: 0 })); // sdiv reg
    expect(expected).toContain(formKey({ code: 0xdb, dst: 0, src: 0, off: 0, imm: 0xf1 })); // cmpxchg64
    expect(expected).toContain(formKey({ code: 0xd3, dst: 0, src: 0, off: 0, imm: 0x100 })); // load-acquire u8
    expect(expected).toContain(formKey({ code: 0x7b, dst: 11, src: 1, off: -8, imm: 0 })); // stack argument out
    expect(expected).toContain(formKey({ code: 0x8d, dst: 1, src: 0, off: 0, imm: 0 })); // callx
    const seen = new Set<string>();
    const arities = new Set<number>();
    for (let seed = 0; seed < SEEDS; seed++) {
      const p = generateProgram(seed);
      programForms(p.insns, seen);
      for (const a of p.arities) arities.add(a);
    }
    expect(expected.filter((f) => !seen.has(f))).toEqual([]);
    expect([...seen].filter((f) => !expected.includes(f))).toEqual([]);
    expect([...arities].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});

describe('differential harness', () => {
  it('agrees with an identical implementation', () => {
    for (let seed = 0; seed < 100; seed++) {
      const r = runFuzzCase(seed, interpreterExecutor(), { validate: true });
      expect(r.report).toBeUndefined();
      expect(r.ok).toBe(true);
    }
  });

  it('reports a memory difference with the seed, the first differing byte, the program and how to reproduce', () => {
    const broken: Executor = (program, mode) => {
      const r = interpreterExecutor()(program, mode);
      const mem = Uint8Array.from(r.mem);
      mem[FUZZ_DUMP_OFFSET + 8 * 3 + 2] ^= 0x10; // R3's third byte, as if a register were wrong
      return { value: r.value, mem };
    };
    const r = runFuzzCase(4242, broken);
    expect(r.ok).toBe(false);
    const report = r.report ?? '';
    expect(report).toContain('seed 4242');
    expect(report).toContain('MISMATCH');
    expect(report).toContain(`first difference at byte ${FUZZ_DUMP_OFFSET + 26} (final R3 of the entry function, byte 2)`);
    expect(report).toContain('reproduce: npm run fuzz:jit -- --start 4242 --count 1 --verbose');
    expect(report).toMatch(/\n\s+0:\tr9 = r1\n/);
    expect(report).toMatch(/\texit\n/);
  });

  it('reports an R0 difference and an executor failure', () => {
    const wrongR0: Executor = (program, mode) => {
      const r = interpreterExecutor()(program, mode);
      return { value: r.value ^ 1n, mem: r.mem };
    };
    const a = runFuzzCase(7, wrongR0);
    expect(a.ok).toBe(false);
    expect(a.report).toMatch(/R0: interpreter 0x[0-9a-f]{16}, JIT 0x[0-9a-f]{16} \(DIFFERENT\)/);
    expect(a.report).toContain('memory: equal');
    const b = runFuzzCase(8, () => {
      throw new Error('cannot compile');
    });
    expect(b.ok).toBe(false);
    expect(b.report).toContain('the implementation under test failed: Error: cannot compile');
  });

  // Mutation check: implementations with one plausible JIT-style bug are caught quickly.
  const mutants: Record<string, (insns: BpfInsn[]) => BpfInsn[]> = {
    'JMP32 compared as 64-bit': (insns) => insns.map((i) => ((i.code & 7) === 6 && (i.code & 0xf0) !== 0 ? { ...i, code: (i.code & ~7) | 5 } : i)),
    'SDIV done unsigned': (insns) => insns.map((i) => ((i.code & 0xf7) === 0x37 && i.off === 1 ? { ...i, off: 0 } : i)),
    'sign-extending loads zero-extend': (insns) => insns.map((i) => ((i.code & 0xe7) === 0x81 ? { ...i, code: (i.code & ~0xe0) | 0x60 } : i)),
    'ALU32 results not zero-extended (done as ALU64)': (insns) => insns.map((i) => (i.code === 0x04 || i.code === 0x0c ? { ...i, code: i.code | 3 } : i)),
    'fetch atomics do not write back the old value': (insns) => insns.map((i) => ((i.code & 0xe7) === 0xc3 && (i.imm === 0x01 || i.imm === 0x41) ? { ...i, imm: i.imm & ~1 } : i)),
  };
  for (const [name, mutate] of Object.entries(mutants)) {
    it(`catches a mutant: ${name}`, () => {
      let caught = 0;
      for (let seed = 0; seed < 200; seed++) if (!runFuzzCase(seed, interpreterExecutor(mutate)).ok) caught++;
      console.log(`mutant '${name}': caught by ${caught} of 200 programs`);
      expect(caught).toBeGreaterThan(5);
    });
  }
});
