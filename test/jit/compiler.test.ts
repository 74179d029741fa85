import { describe, expect, it } from 'vitest';
import { assembleUbpf, type BpfInsn } from '../../src/bpf/index.js';
import { blindConstants, compileProgram, JitCompileError, listing, type CompileOptions } from '../../src/jit/index.js';

/**
 * The compiler without executable memory: which AArch64 instructions each BPF form becomes
 * in the 1:1 path (`optimize: false`; test/jit/opt/ pins the optimization tier). Execution is
 * covered by the *.native.test.ts files under qemu; these pin instruction selection (the
 * quality bars of the JIT issue) and compile-time errors.
 */
const base: CompileOptions = { contextAddress: 0x10000n, helperIds: new Set([1, 5]), atomics: 'lse', optimize: false };

function code(source: string, options: Partial<CompileOptions> = {}, program?: BpfInsn[]): string[] {
  const insns = program ?? assembleUbpf(source);
  const compiled = compileProgram(insns, { ...base, ...options });
  return listing(insns, compiled, 0n)
    .filter((l) => l.kind === 'a64')
    .map((l) => l.text.replace(/\s+/g, ' '));
}

/** The AArch64 text under the first BPF line (after the prologue). */
function body(source: string, options: Partial<CompileOptions> = {}): string[] {
  const insns = assembleUbpf(source);
  const compiled = compileProgram(insns, { ...base, ...options });
  const lines = listing(insns, compiled, 0n);
  const first = lines.findIndex((l) => l.kind === 'bpf' && l.pc === 0);
  const out: string[] = [];
  for (let i = first + 1; i < lines.length && lines[i]!.kind === 'a64'; i++) out.push(lines[i]!.text.replace(/\s+/g, ' '));
  return out;
}

describe('immediates', () => {
  it('uses ADD/SUB #imm12 (and LSL #12) directly', () => {
    expect(body('add %r1, 5\nexit')).toEqual(['add x0, x0, #0x5']);
    expect(body('add %r1, -5\nexit')).toEqual(['sub x0, x0, #0x5']);
    expect(body('add %r1, 0x7000\nexit')).toEqual(['add x0, x0, #0x7, lsl #12 // =0x7000']);
    expect(body('sub32 %r1, 1\nexit')).toEqual(['sub w0, w0, #0x1']);
  });

  it('uses logical immediates when the pattern encodes, and materialises otherwise', () => {
    expect(body('and %r1, 0xff\nexit')).toEqual(['and x0, x0, #0xff']);
    expect(body('or32 %r1, 0xf0f0f0f0\nexit')).toEqual(['orr w0, w0, #0xf0f0f0f0']);
    expect(body('xor %r1, 0x12345\nexit')).toEqual(['mov x10, #0x2345 // =9029', 'movk x10, #0x1, lsl #16', 'eor x0, x0, x10']);
  });

  it('materialises LDDW constants with the shortest sequence', () => {
    expect(body('lddw %r0, 0xffffffffffff1234\nexit')).toEqual(['mov x8, #-0xedcc // =-60876']);
    expect(body('lddw %r0, 0x5555555555555555\nexit')).toEqual(['mov x8, #0x5555555555555555 // =6148914691236517205']);
    expect(body('lddw %r0, 0x1234567800000000\nexit')).toHaveLength(2);
  });

  it('compares with CMP/CMN #imm12 and branches with CBZ/CBNZ on zero', () => {
    expect(body('jgt %r1, 7, +1\nmov %r0, 1\nexit')[0]).toBe('cmp x0, #0x7');
    expect(body('jslt %r1, -3, +1\nmov %r0, 1\nexit')[0]).toBe('cmn x0, #0x3');
    expect(body('jeq %r1, 0, +1\nmov %r0, 1\nexit')[0]).toMatch(/^cbz x0, /);
    expect(body('jne32 %r1, 0, +1\nmov %r0, 1\nexit')[0]).toMatch(/^cbnz w0, /);
    expect(body('jset %r1, 0x30, +1\nmov %r0, 1\nexit')[0]).toBe('tst x0, #0x30');
  });
});

describe('ALU semantics become the right instructions', () => {
  it('32-bit ALU writes W registers (zero-extending, RFC 9669 4.1)', () => {
    expect(body('mov32 %r1, %r2\nexit')).toEqual(['mov w0, w1']);
    expect(body('lsh32 %r1, %r2\nexit')).toEqual(['lsl w0, w0, w1']);
  });

  it('division and modulo by a register: UDIV/SDIV and MSUB (x/0 = 0 and x%0 = x by construction)', () => {
    expect(body('div %r1, %r2\nexit')).toEqual(['udiv x0, x0, x1']);
    expect(body('mod32 %r1, %r2\nexit')).toEqual(['udiv w11, w0, w1', 'msub w0, w11, w1, w0']);
  });

  it('byte swaps and sign extension use REV*/SXT*', () => {
    expect(body('be16 %r1\nexit')).toEqual(['rev16 w0, w0', 'uxth w0, w0']);
    expect(body('be32 %r1\nexit')).toEqual(['rev w0, w0']);
    expect(body('be64 %r1\nexit')).toEqual(['rev x0, x0']);
    expect(body('le64 %r1\nexit')).toEqual([]);
  });

  it('loads and stores use scaled, unscaled and sp-relative offsets', () => {
    expect(body('ldxdw %r0, [%r1+16]\nexit')).toEqual(['ldr x8, [x0, #0x10]']);
    expect(body('ldxw %r0, [%r1-4]\nexit')).toEqual(['ldur w8, [x0, #-0x4]']);
    expect(body('ldxh %r0, [%r1+3]\nexit')).toEqual(['ldurh w8, [x0, #0x3]']);
    // the BPF stack is 512 bytes above sp in a function without outgoing stack arguments
    expect(body('stxdw [%r10-8], %r1\nexit')).toEqual(['str x0, [sp, #0x1f8]']);
    expect(body('stw [%r10-4], 0\nexit')).toEqual(['str wzr, [sp, #0x1fc]']);
  });
});

describe('atomics', () => {
  const src = 'lock add [%r1+0], %r2\nlock fetch add [%r1+8], %r2\nlock cmpxchg [%r1+16], %r2\nexit';

  it('uses LSE instructions when the host has them', () => {
    const text = code(src, { atomics: 'lse' }).join('\n');
    expect(text).toMatch(/stadd x1, \[x0\]/);
    expect(text).toMatch(/ldaddal x1, x1, \[x10\]/);
    expect(text).toMatch(/casal x8, x1, \[x10\]/);
    expect(text).not.toMatch(/ldxr|stxr/);
  });

  it('uses exclusive load/store loops when LL/SC is forced', () => {
    const text = code(src, { atomics: 'llsc' }).join('\n');
    expect(text).toMatch(/ldxr x11, \[x0\]/);
    expect(text).toMatch(/stlxr w17, x12, \[x10\]/);
    expect(text).toMatch(/dmb ish/);
    expect(text).not.toMatch(/stadd|ldaddal|casal/);
  });
});

describe('compile-time errors name the pc', () => {
  const error = (source: string, options: Partial<CompileOptions> = {}): JitCompileError => {
    try {
      code(source, options);
    } catch (e) {
      if (e instanceof JitCompileError) return e;
      throw e;
    }
    throw new Error('compiled');
  };

  it('an unregistered helper', () => {
    const e = error('mov %r0, 0\ncall 7\nexit');
    expect(e.pc).toBe(1);
    expect(e.message).toBe('pc 1: helper 7 is not registered');
  });

  it('an unlinked native function', () => {
    expect(error('call native 3\nexit').message).toBe('pc 0: native function 3 is not linked (no address for it)');
  });

  it('a map pseudo-LDDW without a loader', () => {
    const program = assembleUbpf('lddw %r0, 1\nexit');
    program[0] = { ...program[0]!, src: 1 };
    expect(() => code('', {}, program)).toThrow(/pc 0: lddw pseudo form src=1 needs a loader/);
  });
});

describe('constant blinding', () => {
  it('no program immediate appears in the code, and the program shape is kept', () => {
    const secret = 0x41414141;
    const source = `mov %r0, ${secret}\nadd %r0, ${secret}\njeq %r0, ${secret}, +1\nstdw [%r10-8], ${secret}\nlddw %r1, 0x4141414141414141\nexit`;
    const plain = code(source).join('\n');
    expect(plain).toMatch(/#0x4141/);
    for (const seed of [1, 2, 3]) {
      const { program, info } = blindConstants(assembleUbpf(source), seed);
      const blinded = code('', { info }, program).join('\n');
      expect(blinded).not.toMatch(/#0x4141\b/);
      expect(blinded).toMatch(/x9/); // AX, the blinding register
    }
  });

  it('jump offsets are re-targeted around the inserted instructions', () => {
    const source = 'mov %r0, 0\nmov %r1, 3\nloop:\nadd %r0, 7\nsub %r1, 1\njne %r1, 0, loop\nexit';
    const { program } = blindConstants(assembleUbpf(source), 99);
    // JNE with an immediate became JNE with AX (register form, 0x5d)
    const jne = program.find((i) => i.code === 0x5d)!;
    const at = program.indexOf(jne);
    // the loop head is the first slot of the blinded `add %r0, 7` group: mov ax; xor ax; add
    const head = program.findIndex((i) => i.code === 0x0f && i.dst === 0);
    expect(at + 1 + jne.off).toBe(head - 2);
  });
});
