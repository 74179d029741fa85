import { describe, expect, it } from 'vitest';
import { assembleUbpf } from '../../src/bpf/index.js';
import { ORIGIN_NONE, compileProgram, listing, type CompileOptions } from '../../src/jit/index.js';

/**
 * What the compiler produces for the safety features, without executing it: per-instruction
 * origins (the code ranges map native pcs back with them), the budget's ticks, the sandbox's
 * checks, the containment offsets. Execution is covered by test/safety/*.native.test.ts.
 */
const base: CompileOptions = { contextAddress: 0x10000n, helperIds: new Set([1]), atomics: 'lse' };
const PROGRAM = assembleUbpf('mov %r0, 0\nloop:\nldxb %r3, [%r1+0]\nadd %r0, %r3\nadd %r1, 1\njlt %r0, %r2, loop\ncall local f\nexit\nf:\nstdw [%r10-8], 1\nexit');

// the 1:1 path (the optimizer keeps its own origins, tested in test/jit/opt): budget and sandbox are 1:1 anyway
describe('origins', () => {
  for (const [name, options] of Object.entries({ plain: { optimize: false }, budget: { budget: 100, contain: true }, sandbox: { sandbox: true, budget: 100, contain: true } })) {
    it(`${name}: every machine instruction of a BPF instruction has its slot as origin, the rest none`, () => {
      const compiled = compileProgram(PROGRAM, { ...base, ...options });
      expect(compiled.origins.length).toBe(compiled.code.length / 4);
      const seen = new Set<number>();
      PROGRAM.forEach((_, pc) => {
        const from = compiled.pcOffsets[pc]! / 4;
        const next = PROGRAM.findIndex((__, q) => q > pc && compiled.pcOffsets[q]! > compiled.pcOffsets[pc]!);
        const fnEnd = compiled.epilogues.find(([s]) => s >= compiled.pcOffsets[pc]!)![0] / 4;
        const to = next === -1 || compiled.pcOffsets[next]! / 4 > fnEnd ? fnEnd : compiled.pcOffsets[next]! / 4;
        for (let w = from; w < to; w++) {
          expect(compiled.origins[w], `word ${w} of slot ${pc}`).toBe(pc);
          seen.add(w);
        }
      });
      compiled.origins.forEach((o, w) => {
        if (!seen.has(w)) expect(o, `word ${w}`).toBe(ORIGIN_NONE);
      });
      for (const [s, e] of compiled.prologues) for (let w = s / 4; w < e / 4; w++) expect(compiled.origins[w]).toBe(ORIGIN_NONE);
    });
  }
});

describe('budget', () => {
  const text = (options: Partial<CompileOptions>) =>
    listing(PROGRAM, compileProgram(PROGRAM, { ...base, ...options }), 0n)
      .filter((l) => l.kind === 'a64')
      .map((l) => l.text.replace(/\s+/g, ' '));

  it('the entry sets x24 and saves it; the back-edge and the subprogram entry tick; nothing else', () => {
    const t = text({ budget: 1000, contain: true });
    expect(t).toContain('stp x23, x24, [sp, #-0x10]!');
    expect(t).toContain('mov x24, #0x3e8 // =1000');
    expect(t.filter((l) => l.startsWith('cbnz x24,'))).toHaveLength(2); // the jlt and f's entry
    expect(t.filter((l) => l === 'sub x24, x24, #0x1')).toHaveLength(2);
  });

  it('without a budget there is no x24 at all', () => {
    expect(text({ contain: true }).some((l) => /x24/.test(l))).toBe(false);
  });

  it('a tick sits between the compare and its branch without touching the flags', () => {
    const t = text({ budget: 5, contain: true });
    const at = t.findIndex((l) => l.startsWith('cmp x8, x1'));
    expect(t.slice(at, at + 6).map((l) => l.split(' ')[0])).toEqual(['cmp', 'cbnz', 'adr', 'b', 'sub', 'b.lo']);
  });
});

describe('sandbox', () => {
  it('checks every access that is not R10 + a constant inside the frame, through x13', () => {
    const compiled = compileProgram(PROGRAM, { ...base, sandbox: true, contain: true });
    const lines = listing(PROGRAM, compiled, 0n);
    const of = (pc: number) => lines.filter((l, i) => l.kind === 'a64' && lines.slice(0, i).reverse().find((h) => h.kind === 'bpf')?.pc === pc).map((l) => (l.kind === 'a64' ? l.text.replace(/\s+/g, ' ') : ''));
    // the inline check against the entry reads hit last: t = addr - start <= length - size
    const load = of(1);
    expect(load.map((l) => l.replace(/ 0x[0-9a-f]+$/, ' L'))).toEqual([
      'mov x13, x0',
      'ldr x16, [x27, #0x28]',
      'ldp x14, x15, [x16]',
      'sub x14, x13, x14',
      'sub x15, x15, #0x1',
      'cmp x14, x15',
      'b.ls L',
      'bl L',
      'ldrb w2, [x13]',
    ]);
    // stdw [r10-8]: no check, straight from the shadow frame's R10 (x25)
    expect(of(7)).toEqual(['mov x11, #0x1 // =1', 'stur x11, [x25, #-0x8]']);
  });

  it('puts the BPF stack in the shadow stack: no 512 bytes on the native stack', () => {
    const t = listing(PROGRAM, compileProgram(PROGRAM, { ...base, sandbox: true, contain: true }), 0n)
      .filter((l) => l.kind === 'a64')
      .map((l) => l.text);
    expect(t.some((l) => /sub\s+sp, sp, #0x200/.test(l))).toBe(false);
    expect(t.some((l) => /add\s+x25, x13, #0x200/.test(l))).toBe(true);
  });
});

describe('containment', () => {
  it('gives the landing and excludes the entry prologue up to x28 and the unwind paths', () => {
    const c = compileProgram(PROGRAM, { ...base, contain: true });
    expect(c.containment).toBeDefined();
    const [[p0, p1], [u0, u1]] = c.containment!.exclude;
    expect(p0).toBe(0);
    expect(p1).toBeLessThanOrEqual(c.prologues[0]![1]);
    expect(u0).toBe(c.epilogues[0]![0]);
    expect(c.containment!.landing).toBeGreaterThan(u0!);
    expect(c.containment!.landing).toBeLessThan(u1!);
    expect(compileProgram(PROGRAM, base).containment).toBeUndefined();
  });
});
