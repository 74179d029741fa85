import { describe, expect, it } from 'vitest';
import type { BpfInsn } from '../../src/bpf/instruction.js';
import { decodeProgram } from '../../src/bpf/instruction.js';
import { assembleUbpf } from '../../src/bpf/ubpf-assembler.js';
import { BpfValidationError, validateProgram } from '../../src/bpf/validate.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });
const EXIT = I(0x95);

function rejected(program: BpfInsn[] | string, options = {}): BpfValidationError {
  const insns = typeof program === 'string' ? assembleUbpf(program) : program;
  try {
    validateProgram(insns, options);
  } catch (e) {
    if (e instanceof BpfValidationError) return e;
    throw e;
  }
  throw new Error('the program was accepted');
}
const accepted = (src: string): void => void validateProgram(assembleUbpf(src));

describe('validateProgram: opcodes and reserved fields', () => {
  it('rejects the empty program', () => {
    expect(rejected([]).message).toBe('program is empty');
  });

  it('rejects unknown opcodes, naming the byte', () => {
    for (const code of [0x00, 0x08, 0x8c, 0x8f, 0xdf, 0xe4, 0x38, 0x99, 0xf5, 0x9d]) {
      const e = rejected([I(code), EXIT]);
      expect(e.reason).toBe(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
      expect(e.pc).toBe(0);
    }
  });

  it('rejects non-zero unused fields of each instruction shape', () => {
    const cases: [BpfInsn, RegExp][] = [
      [I(0x07, 0, 1, 0, 1), /reserved field src must be 0, is 1/], // add imm with src
      [I(0x07, 0, 0, 1, 1), /reserved field off must be 0, is 1/],
      [I(0x0f, 0, 1, 0, 1), /reserved field imm must be 0, is 1/], // add reg with imm
      [I(0x87, 0, 0, 0, 1), /neg \(opcode 0x87\): reserved field imm must be 0/],
      [I(0x95, 1), /exit .*dst must be 0/],
      [I(0x05, 0, 0, 0, 1), /ja .*imm must be 0/],
      [I(0x06, 0, 0, 1, 0), /ja32 .*off must be 0/],
      [I(0x85, 0, 0, 1, 1), /call .*off must be 0/],
      [I(0x8d, 1, 0, 0, 1), /callx .*imm must be 0/],
      [I(0x79, 0, 10, -8, 1), /ldxdw .*imm must be 0/],
      [I(0x7a, 10, 1, -8, 0), /stdw .*src must be 0/],
      [I(0x7b, 10, 1, -8, 1), /stxdw .*imm must be 0/],
    ];
    for (const [insn, message] of cases) {
      expect(rejected([I(0xb7), insn, EXIT]).message).toMatch(message);
    }
  });

  it('accepts only the defined off/imm values of MOVSX, SDIV/SMOD, END, atomics, call src, LDDW src', () => {
    expect(rejected([I(0xbf, 0, 1, 7), EXIT]).reason).toMatch(/invalid off 7 \(allowed: 0, 8, 16, 32\)/);
    expect(rejected([I(0xbc, 0, 1, 32), EXIT]).reason).toMatch(/invalid off 32 \(allowed: 0, 8, 16\)/);
    expect(rejected([I(0x37, 0, 0, 2, 1), EXIT]).reason).toMatch(/invalid off 2 \(allowed: 0, 1\)/);
    expect(rejected([I(0xd4, 0, 0, 0, 8), EXIT]).reason).toMatch(/invalid imm 8 \(allowed: 16, 32, 64\)/);
    expect(rejected([I(0xdb, 10, 1, -8, 0x02), EXIT]).reason).toMatch(/invalid imm 2/);
    expect(rejected([I(0xd3, 10, 1, -8, 0x00), EXIT]).reason).toMatch(/invalid imm 0 \(allowed: 256, 272\)/);
    expect(rejected([I(0x85, 0, 3, 0, 1), EXIT]).reason).toMatch(/invalid src 3/);
    expect(rejected([I(0x18, 0, 7, 0, 1), I(0), EXIT]).reason).toMatch(/invalid src 7/);
  });

  it('rejects legacy packet access and a broken LDDW pair', () => {
    expect(rejected([I(0x20, 0, 0, 0, 4), EXIT]).reason).toMatch(/legacy packet access/);
    expect(rejected([I(0x18, 0, 0, 0, 1)]).reason).toMatch(/second half is missing/);
    const e = rejected([I(0x18, 0, 0, 0, 1), I(0x18, 0, 0, 0, 2), EXIT]);
    expect(e.reason).toMatch(/invalid second slot of lddw/);
    expect(e.pc).toBe(1);
  });

  it('every negative-suite reserved-field program is rejected, and its fixed form accepted', () => {
    // unused-mov64_reg-offset.data: bf 00 01 00 00 00 00 00 / exit
    const bad = decodeProgram(Uint8Array.from([0xbf, 0, 1, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
    expect(rejected(bad).reason).toMatch(/off must be 0|invalid off 1/);
    expect(() => validateProgram([I(0xbf, 0, 1, 0), EXIT])).not.toThrow();
  });
});

describe('validateProgram: registers', () => {
  it('register numbers above 10 are invalid (R11 has its own rules)', () => {
    expect(rejected([I(0xbf, 12, 1), EXIT]).reason).toBe('R12 is invalid');
    expect(rejected([I(0xbf, 0, 15), EXIT]).reason).toBe('R15 is invalid');
  });

  it('R10 is never written', () => {
    for (const src of ['mov %r10, 1', 'add32 %r10, 1', 'neg %r10', 'be16 %r10', 'ldxdw %r10, [%r1+0]', 'lddw %r10, 1']) {
      expect(rejected(`${src}\nexit`).reason).toBe('frame pointer is read only');
    }
    expect(rejected('lock fetch add [%r1+0], %r10\nexit').reason).toBe('frame pointer is read only');
    expect(rejected('lock xchg [%r1+0], %r10\nexit').reason).toBe('frame pointer is read only');
    // reading R10, storing through it and storing it are fine
    accepted('mov %r0, %r10\nstxdw [%r10-8], %r10\nlock add [%r10-8], %r1\nexit');
  });

  it('fixed R10 offsets stay inside the 512-byte frame', () => {
    expect(rejected('stdw [%r10-520], 1\nexit').reason).toBe('invalid write to stack R10 off=-520 size=8');
    expect(rejected('stxw [%r10-2], %r1\nexit').reason).toBe('invalid write to stack R10 off=-2 size=4');
    expect(rejected('ldxb %r0, [%r10+0]\nexit').reason).toBe('invalid read from stack R10 off=0 size=1');
    expect(rejected('lock add [%r10+8], %r1\nexit').reason).toBe('invalid write to stack R10 off=8 size=8');
    accepted('stdw [%r10-512], 1\nldxb %r0, [%r10-1]\nexit');
  });
});

describe('validateProgram: control flow', () => {
  it('jump targets stay inside the program', () => {
    const e = rejected('ja +5\nexit');
    expect(e.reason).toBe('jump out of range from insn 0 to 6');
    expect(rejected('ja -2\nexit').reason).toBe('jump out of range from insn 0 to -1');
    expect(rejected([I(0x06, 0, 0, 0, 9), EXIT]).reason).toBe('jump out of range from insn 0 to 10');
  });

  it('jumps never land in the second half of an LDDW', () => {
    const e = rejected('ja +1\nlddw %r0, 1\nexit');
    expect(e.reason).toBe('jump into the middle of ldimm64 insn 1');
    expect(e.pc).toBe(0);
    accepted('ja +2\nlddw %r0, 1\nexit');
  });

  it('no falling off the end', () => {
    expect(rejected('mov %r0, 0').reason).toBe('last insn is not an exit or jmp');
    expect(rejected('mov %r0, 0\njeq %r0, 0, -2').reason).toBe('last insn is not an exit or jmp');
    expect(rejected('exit\nlddw %r0, 1').reason).toBe('last insn is not an exit or jmp');
    accepted('mov %r0, 0\nexit\nmov %r0, 1\nja -3'); // ends in ja: fine
  });

  it('call targets are inside the program and not in an LDDW', () => {
    expect(rejected([I(0x85, 0, 1, 0, 5), EXIT]).reason).toBe('call to invalid destination 6');
    expect(rejected([I(0x85, 0, 1, 0, 2), EXIT, I(0x18, 0, 0, 0, 1), I(0), EXIT]).reason).toBe('call into the middle of ldimm64 insn 2');
    expect(rejected([I(0x18, 1, 4, 0, 9), I(0), EXIT]).reason).toBe('call to invalid destination 10');
  });

  it('functions end in exit/ja and jumps do not cross into another function', () => {
    expect(rejected('call local f\nmov %r0, 0\nf:\nmov %r0, 1\nexit').reason).toBe('last insn of func#0 is not an exit or jmp');
    expect(rejected('call local f\nja f\nf:\nmov %r0, 1\nexit').reason).toBe('jump out of range from insn 1 to 2');
  });

  it('recursion is rejected', () => {
    expect(rejected('call local f\nexit\nf:\ncall local g\nexit\ng:\ncall local f\nexit').reason).toMatch(/^recursive call: func#1/);
    expect(rejected('call local f\nexit\nf:\ncall local f\nexit').reason).toMatch(/^recursive call/);
  });

  it('at most 8 frames deep', () => {
    const chain = (frames: number): string => {
      const lines = ['call local f1', 'exit'];
      for (let i = 1; i < frames; i++) lines.push(`f${i}:`, i + 1 < frames ? `call local f${i + 1}` : 'mov %r0, 0', 'exit');
      return lines.join('\n');
    };
    expect(validateProgram(assembleUbpf(chain(8))).maxCallFrames).toBe(8);
    expect(rejected(chain(9)).reason).toBe('the call stack of 9 frames is too deep');
  });

  it('describes the functions it found', () => {
    const info = validateProgram(assembleUbpf('call local f\nlddw %r1, func g\nexit\nf:\nexit\ng:\nexit'));
    expect(info.functions.map((f) => [f.start, f.end, f.callees, f.isCallback])).toEqual([
      [0, 4, [1], false],
      [4, 5, [], false],
      [5, 6, [], true],
    ]);
    expect([...info.lddwTails]).toEqual([2]);
  });

  it('checks helper and native ids against registries when given', () => {
    expect(rejected('call 7\nexit', { helpers: new Set([5]) }).reason).toBe('unknown helper function id 7');
    expect(() => validateProgram(assembleUbpf('call 5\nexit'), { helpers: new Set([5]) })).not.toThrow();
    expect(rejected('call native 2\nexit', { natives: new Map([[1, { arity: 1 }]]) }).reason).toBe('unknown native function id 2');
  });
});
