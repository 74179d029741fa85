import { describe, expect, it } from 'vitest';
import { BpfAsmError } from '../../src/bpf/asm-error.js';
import { encodeProgram } from '../../src/bpf/instruction.js';
import { assembleUbpf } from '../../src/bpf/ubpf-assembler.js';

const hex = (src: string): string[] =>
  Array.from({ length: assembleUbpf(src).length }, (_, i) =>
    Buffer.from(encodeProgram(assembleUbpf(src)).subarray(i * 8, i * 8 + 8)).toString('hex'),
  );

function asmError(src: string): BpfAsmError {
  try {
    assembleUbpf(src);
  } catch (e) {
    if (e instanceof BpfAsmError) return e;
    throw e;
  }
  throw new Error('assembled without error');
}

describe('uBPF assembler encodings', () => {
  // Expected bytes are the RFC 9669 encodings: opcode, src<<4|dst, off (LE16), imm (LE32).
  it.each([
    ['mov32 %r0, 1', 'b400000001000000'],
    ['add %r1, %r2', '0f21000000000000'],
    ['sdiv32 %r0, -1', '34000100ffffffff'],
    ['smod %r3, %r4', '9f43010000000000'],
    ['movsx1664 %r1, %r2', 'bf21100000000000'],
    ['neg32 %r3', '8403000000000000'],
    ['be16 %r0', 'dc00000010000000'],
    ['le64 %r0', 'd400000040000000'],
    ['bswap32 %r5', 'd705000020000000'],
    ['ldxdw %r0, [%r1+8]', '7910080000000000'],
    ['ldxsh %r0, [%r1-2]', '8910feff00000000'],
    ['stxw [%r10-4], %r1', '631afcff00000000'],
    ['stb [%r10-1], 0x80', '720affff80000000'],
    ['jgt %r1, 5, +3', '2501030005000000'],
    ['jne32 %r1, %r2, -1', '5e21ffff00000000'],
    ['ja -1', '0500ffff00000000'],
    ['ja32 +2', '0600000002000000'],
    ['call 5', '8500000005000000'],
    ['call %r2', '8d02000000000000'],
    ['call native 9', '8520000009000000'],
    ['exit', '9500000000000000'],
    ['lock add [%r10-8], %r1', 'db1af8ff00000000'],
    ['lock fetch or32 [%r1+4], %r2', 'c321040041000000'],
    ['lock xchg [%r1], %r2', 'db210000e1000000'],
    ['lock cmpxchg32 [%r1], %r2', 'c3210000f1000000'],
    ['ldacqw %r0, [%r1+0]', 'c310000000010000'],
    ['strelb [%r1+0], %r2', 'd321000010010000'],
  ])('%s', (src, bytes) => {
    expect(hex(src)).toEqual([bytes]);
  });

  it('encodes the stack-argument forms of docs/bpf-stack-args.md', () => {
    expect(hex('stxdw [%r11-8], %r1')).toEqual(['7b1bf8ff00000000']);
    expect(hex('ldxdw %r0, [%r11+8]')).toEqual(['79b0080000000000']);
    expect(hex('stdw [%r11-16], 30')).toEqual(['7a0bf0ff1e000000']);
  });

  it('lddw takes two slots and any 64-bit value', () => {
    expect(hex('lddw %r0, 0x1122334455667788')).toEqual(['1800000088776655', '0000000044332211']);
    expect(hex('lddw %r1, -1')).toEqual(['18010000ffffffff', '00000000ffffffff']);
  });

  it('resolves labels forwards and backwards, counting LDDW as two slots', () => {
    const p = assembleUbpf('start:\nlddw %r0, 1\njeq %r0, 1, end\nja start\nend: exit');
    expect(p.map((i) => i.off)).toEqual([0, 0, 1, -4, 0]);
  });

  it('call local and lddw func use pc-relative imm', () => {
    const p = assembleUbpf('call local f\nlddw %r1, func f\nexit\nf:\nexit');
    expect([p[0]?.src, p[0]?.imm, p[1]?.src, p[1]?.imm]).toEqual([1, 3, 4, 2]);
  });

  it('a jump to an undefined "exit" label goes to the next exit instruction', () => {
    const p = assembleUbpf('jeq %r1, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit');
    expect(p[0]?.off).toBe(1);
    expect(assembleUbpf('jeq %r1, 0, exit\nexit\nexit:\nexit')[0]?.off).toBe(1); // a real label wins
  });

  it('accepts comments, blank lines, case and spacing variations', () => {
    expect(hex('  # comment\n\nMOV %R0, 1   # trailing\n  ldxw %r0, [ %r1 + 4 ]\n')).toEqual(['b700000001000000', '6110040000000000']);
  });
});

describe('uBPF assembler errors carry line:column and the token', () => {
  it.each([
    ['mov %r0, 1\n  ldxq %r0, [%r1]', 2, 3, 'ldxq', /unknown mnemonic/],
    ['or %r0, %r50', 1, 9, '%r50', /invalid register %r50/],
    ['mov %r0, %r12', 1, 10, '%r12', /invalid register/],
    ['mov %x0, 1', 1, 5, '%x0', /expected a register/],
    ['mov32 %r0, 2147483648', 1, 12, '2147483648', /does not fit the 32-bit field/],
    ['mov32 %r0, -2147483649', 1, 12, '-2147483649', /does not fit/],
    ['mov32 %r0, 0x100000000', 1, 12, '0x100000000', /does not fit/],
    ['ldxb %r0, [%r1+0x10000]', 1, 16, '0x10000', /signed 16-bit/],
    ['ldxb %r0, [%r1-32769]', 1, 16, '32769', /signed 16-bit/],
    ['ldxb %r0, %r1', 1, 11, '%r1', /memory operand/],
    ['ja NOT_A_LABEL\nexit', 1, 4, 'NOT_A_LABEL', /undefined label/],
    ['x:\nx:\nexit', 2, 1, 'x', /defined twice/],
    ['lddw %r0', 1, 9, '', /lddw takes 2 operands, got 1/],
    ['exit %r0', 1, 6, '%r0', /exit takes 0 operands/],
    ['add %r0, 1, 2', 1, 13, '2', /takes 2 operands, got 3/],
    ['lock or [%r10-8]', 1, 17, '', /operands for lock/],
    ['lock', 1, 5, '', /operands for lock/],
    ['lock nand [%r1], %r2', 1, 6, 'nand', /unknown atomic operation/],
    ['movsx832 %r0, 5', 1, 15, '5', /needs a register source/],
    ['jeq %r0, 1, +40000', 1, 13, '+40000', /out of range/],
    ['mov %r0, 12abc', 1, 10, '12abc', /expected a number/],
    ['call native foo', 1, 13, 'foo', /unknown native function/],
  ])('%s', (src, line, column, token, reason) => {
    const e = asmError(src);
    expect({ line: e.line, column: e.column, token: e.token }).toEqual({ line, column, token });
    expect(e.reason).toMatch(reason);
    expect(e.message.startsWith(`${line}:${column}: `)).toBe(true);
  });

  it('reports positions relative to an embedding file with firstLine', () => {
    try {
      assembleUbpf('exit\nbogus', { firstLine: 10 });
      expect.unreachable();
    } catch (e) {
      expect((e as BpfAsmError).line).toBe(11);
    }
  });

  it('resolves native function names through nativeIds', () => {
    expect(assembleUbpf('call native sum', { nativeIds: new Map([['sum', 4]]) })[0]).toEqual({ code: 0x85, dst: 0, src: 2, off: 0, imm: 4 });
  });
});
