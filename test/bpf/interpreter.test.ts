import { describe, expect, it } from 'vitest';
import type { HelperFn } from '../../src/bpf/helpers.js';
import { conformanceHelpers } from '../../src/bpf/helpers.js';
import type { BpfInsn } from '../../src/bpf/instruction.js';
import { interpret } from '../../src/bpf/interpreter.js';
import { BpfRuntimeError, MEM_BASE, Memory } from '../../src/bpf/memory.js';
import { assembleUbpf } from '../../src/bpf/ubpf-assembler.js';

/**
 * Semantics edge cases. Every expected value is worked out from the rules of RFC 9669
 * (cited per block), not taken from running the interpreter.
 */
const M64 = (1n << 64n) - 1n;
const INT64_MIN = 1n << 63n;
const asm = (src: string): BpfInsn[] => assembleUbpf(src);
const run = (src: string, options: Parameters<typeof interpret>[1] = {}): bigint => interpret(asm(src), options).value;
/** r0 = <value>, <op>, exit */
const r0 = (setup: string, ...ops: string[]): bigint => run([setup, ...ops, 'exit'].join('\n'));

function runtimeError(src: string, options: Parameters<typeof interpret>[1] = {}): BpfRuntimeError {
  try {
    interpret(asm(src), options);
  } catch (e) {
    if (e instanceof BpfRuntimeError) return e;
    throw e;
  }
  throw new Error('the program ran to the end');
}

describe('ALU wrap-around and 32-bit zero extension (RFC 9669 4.1)', () => {
  it('64-bit arithmetic wraps modulo 2^64', () => {
    expect(r0('lddw %r0, 0xffffffffffffffff', 'add %r0, 1')).toBe(0n);
    expect(r0('mov %r0, 0', 'sub %r0, 1')).toBe(M64);
    expect(r0('lddw %r0, 0x100000001', 'mul %r0, %r0')).toBe(0x200000001n); // (2^32+1)^2 mod 2^64
  });

  it('32-bit operations use the low halves and zero the upper half of dst', () => {
    expect(r0('lddw %r0, 0xffffffff00000005', 'add32 %r0, 0')).toBe(5n);
    expect(r0('mov32 %r0, -1', 'add32 %r0, 1')).toBe(0n);
    expect(r0('lddw %r0, 0x1234567800000002', 'lddw %r1, 0xff00000003', 'mul32 %r0, %r1')).toBe(6n);
    expect(r0('mov32 %r0, -1')).toBe(0xffffffffn);
    expect(r0('mov %r0, -1')).toBe(M64); // ALU64 sign-extends imm
  });

  it('immediates are sign-extended for 64-bit ops, so unsigned division by imm -1 is by 2^64-1', () => {
    expect(r0('mov %r0, 5', 'div %r0, -1')).toBe(0n);
    expect(r0('mov %r0, -1', 'div %r0, -1')).toBe(1n);
    expect(r0('mov32 %r0, -1', 'div32 %r0, -1')).toBe(1n); // 0xffffffff / 0xffffffff
    expect(r0('mov32 %r0, 7', 'or %r0, 0x80000000')).toBe(0xffffffff80000007n);
  });
});

describe('division and modulo (RFC 9669 4.1: x/0 = 0, x%0 = x)', () => {
  it('unsigned division and modulo by zero', () => {
    expect(r0('mov %r0, 9', 'mov %r1, 0', 'div %r0, %r1')).toBe(0n);
    expect(r0('mov %r0, 9', 'mov %r1, 0', 'mod %r0, %r1')).toBe(9n);
    expect(r0('mov %r0, 9', 'div %r0, 0')).toBe(0n);
    expect(r0('mov %r0, 9', 'mod %r0, 0')).toBe(9n);
  });

  it('32-bit modulo by zero keeps the low half and clears the upper half', () => {
    expect(r0('lddw %r0, 0x1122334455667788', 'mov %r1, 0', 'mod32 %r0, %r1')).toBe(0x55667788n);
    expect(r0('lddw %r0, 0x1122334455667788', 'mod32 %r0, 0')).toBe(0x55667788n);
    expect(r0('lddw %r0, 0x1122334455667788', 'div32 %r0, 0')).toBe(0n);
  });

  it('32-bit division uses only the low half of the divisor', () => {
    // divisor 0x1_00000000 has a zero low half: division by zero
    expect(r0('mov %r0, 10', 'lddw %r1, 0x100000000', 'div32 %r0, %r1')).toBe(0n);
    expect(r0('mov %r0, 10', 'lddw %r1, 0x100000002', 'div32 %r0, %r1')).toBe(5n);
  });

  it('signed division truncates toward zero', () => {
    expect(r0('mov %r0, -7', 'sdiv %r0, 2')).toBe(M64 - 2n); // -3
    expect(r0('mov %r0, 7', 'sdiv %r0, -2')).toBe(M64 - 2n); // -3
    expect(r0('mov %r0, -7', 'sdiv %r0, -2')).toBe(3n);
    expect(r0('mov32 %r0, -7', 'sdiv32 %r0, 2')).toBe(0xfffffffdn); // -3, zero-extended
  });

  it('signed modulo takes the sign of the dividend', () => {
    expect(r0('mov %r0, -7', 'smod %r0, 2')).toBe(M64); // -1
    expect(r0('mov %r0, 7', 'smod %r0, -2')).toBe(1n);
    expect(r0('mov %r0, -7', 'smod %r0, -2')).toBe(M64); // -1
    expect(r0('mov32 %r0, -7', 'smod32 %r0, 2')).toBe(0xffffffffn);
  });

  it('INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0', () => {
    expect(r0('lddw %r0, 0x8000000000000000', 'sdiv %r0, -1')).toBe(INT64_MIN);
    expect(r0('lddw %r0, 0x8000000000000000', 'mov %r1, -1', 'sdiv %r0, %r1')).toBe(INT64_MIN);
    expect(r0('lddw %r0, 0x8000000000000000', 'smod %r0, -1')).toBe(0n);
    expect(r0('mov32 %r0, 0x80000000', 'sdiv32 %r0, -1')).toBe(0x80000000n);
    expect(r0('mov32 %r0, 0x80000000', 'smod32 %r0, -1')).toBe(0n);
  });

  it('signed division by zero follows the unsigned rules', () => {
    expect(r0('mov %r0, -7', 'sdiv %r0, 0')).toBe(0n);
    expect(r0('mov %r0, -7', 'smod %r0, 0')).toBe(M64 - 6n);
    expect(r0('mov %r0, -7', 'smod32 %r0, 0')).toBe(0xfffffff9n);
  });
});

describe('shifts mask the count (RFC 9669 4.1)', () => {
  it('64-bit shifts use count & 63', () => {
    expect(r0('mov %r0, 1', 'lsh %r0, 65')).toBe(2n);
    expect(r0('mov %r0, 1', 'mov %r1, 64', 'lsh %r0, %r1')).toBe(1n);
    expect(r0('lddw %r0, 0x8000000000000000', 'rsh %r0, 63')).toBe(1n);
    expect(r0('mov %r0, -16', 'arsh %r0, 2')).toBe(M64 - 3n); // -4
  });

  it('32-bit shifts use count & 31 and operate on the low half', () => {
    expect(r0('mov %r0, 1', 'lsh32 %r0, 33')).toBe(2n);
    expect(r0('mov %r0, 1', 'lsh32 %r0, 31')).toBe(0x80000000n);
    expect(r0('lddw %r0, 0xffffffff80000000', 'rsh32 %r0, 4')).toBe(0x08000000n);
    expect(r0('lddw %r0, 0x0000000180000000', 'arsh32 %r0, 4')).toBe(0xf8000000n);
  });
});

describe('NEG, MOV, MOVSX (RFC 9669 4.1)', () => {
  it('neg wraps: -INT_MIN = INT_MIN', () => {
    expect(r0('mov %r0, 1', 'neg %r0')).toBe(M64);
    expect(r0('lddw %r0, 0x8000000000000000', 'neg %r0')).toBe(INT64_MIN);
    expect(r0('mov32 %r0, 0x80000000', 'neg32 %r0')).toBe(0x80000000n);
    expect(r0('lddw %r0, 0x500000001', 'neg32 %r0')).toBe(0xffffffffn);
  });

  it('movsx sign-extends 8/16/32 bits to 64, or 8/16 bits to 32 then zero-extends', () => {
    expect(r0('mov %r1, 0x180', 'movsx864 %r0, %r1')).toBe(M64 - 0x7fn);
    expect(r0('mov %r1, 0x180', 'movsx832 %r0, %r1')).toBe(0xffffff80n);
    expect(r0('mov %r1, 0x17fff', 'movsx1664 %r0, %r1')).toBe(0x7fffn);
    expect(r0('mov %r1, 0x8000', 'movsx1632 %r0, %r1')).toBe(0xffff8000n);
    expect(r0('lddw %r1, 0x180000000', 'movsx3264 %r0, %r1')).toBe(0xffffffff80000000n);
  });
});

describe('byte order (RFC 9669 4.2), on a little-endian BPF', () => {
  const v = 'lddw %r0, 0x1122334455667788';
  it('le truncates to the width', () => {
    expect(r0(v, 'le16 %r0')).toBe(0x7788n);
    expect(r0(v, 'le32 %r0')).toBe(0x55667788n);
    expect(r0(v, 'le64 %r0')).toBe(0x1122334455667788n);
  });
  it('be swaps the low bytes and zero-extends', () => {
    expect(r0(v, 'be16 %r0')).toBe(0x8877n);
    expect(r0(v, 'be32 %r0')).toBe(0x88776655n);
    expect(r0(v, 'be64 %r0')).toBe(0x8877665544332211n);
  });
  it('bswap (ALU64) swaps unconditionally', () => {
    expect(r0(v, 'bswap16 %r0')).toBe(0x8877n);
    expect(r0(v, 'bswap32 %r0')).toBe(0x88776655n);
    expect(r0(v, 'bswap64 %r0')).toBe(0x8877665544332211n);
  });
});

describe('jumps (RFC 9669 4.3)', () => {
  const taken = (cmp: string, setup = ''): bigint => run(`${setup}\nmov %r0, 0\n${cmp}, +1\nexit\nmov %r0, 1\nexit`);
  it('unsigned and signed comparisons of 64-bit values with a sign-extended imm', () => {
    expect(taken('jgt %r1, -1', 'mov %r1, -2')).toBe(0n); // 2^64-2 > 2^64-1 is false
    expect(taken('jsgt %r1, -3', 'mov %r1, -2')).toBe(1n);
    expect(taken('jlt %r1, 0x80000000', 'mov %r1, 5')).toBe(1n); // imm is 0xffffffff80000000
    expect(taken('jslt %r1, 0x80000000', 'mov %r1, 5')).toBe(0n);
    expect(taken('jset %r1, 0x10', 'mov %r1, 0x30')).toBe(1n);
    expect(taken('jset %r1, 0x40', 'mov %r1, 0x30')).toBe(0n);
    expect(taken('jsle %r1, %r2', 'mov %r1, -5\nmov %r2, -5')).toBe(1n);
    expect(taken('jge %r1, %r2', 'mov %r1, 3\nmov %r2, -5')).toBe(0n);
  });
  it('JMP32 compares only the low halves', () => {
    expect(taken('jeq32 %r1, 0', 'lddw %r1, 0x100000000')).toBe(1n);
    expect(taken('jeq %r1, 0', 'lddw %r1, 0x100000000')).toBe(0n);
    expect(taken('jsgt32 %r1, 0', 'lddw %r1, 0x80000000')).toBe(0n); // low half is negative
    expect(taken('jgt32 %r1, %r2', 'lddw %r1, 0x100000002\nlddw %r2, 0x200000001')).toBe(1n);
  });
  it('ja32 (gotol) takes its offset from imm, ja from off', () => {
    const program: BpfInsn[] = [
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
      { code: 0x06, dst: 0, src: 0, off: 0, imm: 1 }, // gotol +1
      { code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    expect(interpret(program).value).toBe(1n);
  });
});

describe('memory: loads, stores, sign extension, bounds (RFC 9669 5)', () => {
  const mem = Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88]);
  it('loads are little-endian and zero-extended; ldxs* sign-extends', () => {
    expect(run('ldxh %r0, [%r1+1]\nexit', { mem })).toBe(0x8382n);
    expect(run('ldxsh %r0, [%r1+1]\nexit', { mem })).toBe(0xffffffffffff8382n);
    expect(run('ldxsb %r0, [%r1+7]\nexit', { mem })).toBe(0xffffffffffffff88n);
    expect(run('ldxsw %r0, [%r1+0]\nexit', { mem })).toBe(0xffffffff84838281n);
    expect(run('ldxdw %r0, [%r1]\nexit', { mem })).toBe(0x8887868584838281n);
  });

  it('R1 is the buffer and R2 its length; without a buffer both are 0', () => {
    expect(run('mov %r0, %r2\nexit', { mem })).toBe(8n);
    expect(run('mov %r0, %r1\nexit', { mem })).toBe(MEM_BASE);
    expect(run('mov %r0, %r1\nadd %r0, %r2\nexit')).toBe(0n);
  });

  it('stores write only their width and come back in the result; the input is not modified', () => {
    const input = new Uint8Array(8);
    const result = interpret(asm('stw [%r1+2], -1\nmov %r2, 0x1234\nstxh [%r1+6], %r2\nmov %r0, 0\nexit'), { mem: input });
    expect([...(result.mem ?? [])]).toEqual([0, 0, 0xff, 0xff, 0xff, 0xff, 0x34, 0x12]);
    expect([...input]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('stdw sign-extends its 32-bit immediate', () => {
    expect(run('stdw [%r10-8], -2\nldxdw %r0, [%r10-8]\nexit')).toBe(M64 - 1n);
  });

  it('an access that sticks out of the buffer is an error naming pc and address', () => {
    const e = runtimeError('mov %r0, 0\nldxdw %r0, [%r1+1]\nexit', { mem });
    expect(e.pc).toBe(1);
    expect(e.address).toBe(MEM_BASE + 1n);
    expect(e.message).toMatch(/^pc 1: out-of-bounds read of 8 bytes at address 0x100000001/);
  });

  it('null, stack overrun below the frame and pointer arithmetic out of range are errors', () => {
    expect(runtimeError('ldxb %r0, [%r1+0]\nexit').message).toMatch(/out-of-bounds read of 1 bytes at address 0x0 /);
    expect(runtimeError('mov %r1, %r10\nstxdw [%r1-520], %r1\nexit').message).toMatch(/out-of-bounds write of 8 bytes/);
    expect(runtimeError('mov %r1, %r10\nldxb %r0, [%r1+0]\nexit').pc).toBe(1); // R10 itself is one past the frame
  });

  it('read-only regions reject writes', () => {
    const memory = new Memory();
    const region = memory.addRegion('rodata', Uint8Array.from([7]), { writable: false });
    const prog = `lddw %r1, 0x${region.base.toString(16)}\nldxb %r0, [%r1+0]\nstb [%r1+0], 1\nexit`;
    expect(runtimeError(prog, { memory }).message).toMatch(/read-only region 'rodata'/);
  });

  it('a shared Memory can be reused after a run that failed', () => {
    const memory = new Memory();
    expect(() => interpret(asm('ldxb %r0, [%r1+9]\nexit'), { memory, mem })).toThrow(BpfRuntimeError);
    expect(memory.allRegions).toHaveLength(0);
    expect(interpret(asm('ldxb %r0, [%r1+7]\nexit'), { memory, mem }).value).toBe(0x88n);
  });

  it('map values / globals are reachable through LDDW pseudo forms resolved by the caller', () => {
    const memory = new Memory();
    const value = memory.addRegion('map value', new Uint8Array(16));
    const program: BpfInsn[] = [
      { code: 0x18, dst: 1, src: 2, off: 0, imm: 3 }, // map value of map fd 3, offset 8
      { code: 0x00, dst: 0, src: 0, off: 0, imm: 8 },
      { code: 0x7a, dst: 1, src: 0, off: 0, imm: 42 },
      { code: 0x79, dst: 0, src: 1, off: 0, imm: 0 },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    const result = interpret(program, { memory, resolvePseudo: (kind, fd, off) => (kind === 2 && fd === 3 ? value.base + BigInt(off) : 0n) });
    expect(result.value).toBe(42n);
    expect(value.bytes[8]).toBe(42);
  });
});

describe('atomics (RFC 9669 5.3)', () => {
  const setup = 'lddw %r2, 0x1111111122222222\nstxdw [%r10-8], %r2\n';
  it('fetch forms return the old value in src; 32-bit ones touch 4 bytes and zero-extend', () => {
    expect(run(`${setup}mov %r1, 1\nlock fetch add [%r10-8], %r1\nmov %r0, %r1\nexit`)).toBe(0x1111111122222222n);
    expect(run(`${setup}mov %r1, 1\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit`)).toBe(0x1111111122222223n);
    expect(run(`${setup}mov %r1, -1\nlock fetch add32 [%r10-8], %r1\nmov %r0, %r1\nexit`)).toBe(0x22222222n);
    // 0x22222222 + 0xffffffff wraps inside 32 bits; the upper word is untouched
    expect(run(`${setup}mov %r1, -1\nlock add32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit`)).toBe(0x1111111122222221n);
    expect(run(`${setup}mov %r1, 0xf0\nlock fetch xor [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit`)).toBe(0x11111111222222d2n);
  });

  it('xchg swaps; cmpxchg compares with R0 and always loads the old value into R0', () => {
    expect(run(`${setup}mov %r1, 5\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit`)).toBe(5n + 0x1111111122222222n);
    // 32-bit compare uses the low halves: R0 = 0xffffffff_22222222 matches
    expect(
      run(`${setup}lddw %r0, 0xffffffff22222222\nmov %r1, 9\nlock cmpxchg32 [%r10-8], %r1\nldxdw %r1, [%r10-8]\nexit`),
    ).toBe(0x22222222n);
    expect(run(`${setup}lddw %r0, 0xffffffff22222222\nmov %r1, 9\nlock cmpxchg32 [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit`)).toBe(
      0x1111111100000009n,
    );
    expect(run(`${setup}mov %r0, 0\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit`)).toBe(0x1111111122222222n);
  });

  it('load-acquire and store-release move data like plain loads and stores', () => {
    expect(run('mov %r1, 0x1ff\nstrelh [%r10-2], %r1\nldacqb %r0, [%r10-1]\nexit')).toBe(1n);
  });
});

describe('calls', () => {
  it('local calls get their own frame; R6-R9 and R10 are restored on return', () => {
    const src = [
      'mov %r6, 6',
      'stdw [%r10-8], 100',
      'mov %r7, %r10',
      'call local f',
      'ldxdw %r1, [%r10-8]', // the callee's [r10-8] is its own slot
      'add %r0, %r1',
      'add %r0, %r6',
      'sub %r7, %r10', // R10 is the same after the call
      'add %r0, %r7',
      'exit',
      'f:',
      'stdw [%r10-8], 7',
      'mov %r6, 1000',
      'ldxdw %r0, [%r10-8]',
      'exit',
    ].join('\n');
    expect(run(src)).toBe(7n + 100n + 6n);
  });

  it('the callee can use a pointer into the caller frame', () => {
    const src = 'stdw [%r10-8], 41\nmov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nmov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 0\nexit';
    expect(run(src)).toBe(42n);
  });

  it('helpers receive R1-R5 and return R0', () => {
    const seen: bigint[] = [];
    const helper: HelperFn = (a, b, c, d, e) => {
      seen.push(a, b, c, d, e);
      return a * 10n + e;
    };
    expect(run('mov %r1, 4\nmov %r2, 2\nmov %r3, 3\nmov %r4, -1\nmov %r5, 5\ncall 99\nexit', { helpers: new Map([[99, helper]]) })).toBe(45n);
    expect(seen).toEqual([4n, 2n, 3n, M64, 5n]);
  });

  it('the conformance helper 5 stops the program with 0 when its argument is 0, even from a nested call', () => {
    const helpers = conformanceHelpers();
    expect(run('mov %r1, 3\ncall 5\nexit', { helpers })).toBe(3n);
    expect(run('mov %r0, 9\ncall local f\nmov %r0, 9\nexit\nf:\nmov %r1, 0\ncall 5\nmov %r0, 7\nexit', { helpers })).toBe(0n);
    expect(run('mov %r1, 0\nmov %r2, 5\ncall %r2\nmov %r0, 2\nexit', { helpers })).toBe(0n);
  });

  it('callx through an LDDW function address makes a local call', () => {
    expect(run('lddw %r2, func f\ncall %r2\nadd %r0, 1\nexit\nf:\nmov %r0, 41\nexit')).toBe(42n);
  });

  it('unknown helpers and natives are runtime errors naming the id', () => {
    expect(runtimeError('call 77\nexit').message).toBe('pc 0: unknown helper function id 77');
    expect(runtimeError('call native 3\nexit').message).toBe('pc 0: unknown native function id 3');
  });

  it('more than 8 frames at run time is an error (when validation is skipped)', () => {
    const e = runtimeError('call local f\nexit\nf:\ncall local f\nexit', { validate: false });
    expect(e.message).toMatch(/call stack exceeds 8 frames/);
  });
});

describe('instruction budget', () => {
  it('stops a runaway loop', () => {
    const e = runtimeError('ja -1\nexit', { maxInstructions: 1000 });
    expect(e.message).toBe('pc 0: instruction budget of 1000 exhausted');
  });
  it('counts executed instructions', () => {
    expect(interpret(asm('mov %r0, 3\nsub %r0, 1\njne %r0, 0, -2\nexit')).instructions).toBe(1 + 3 * 2 + 1);
  });
});

it('the memory given to the interpreter never aliases host memory beyond its regions', () => {
  const memory = new Memory();
  expect(memory.locate(MEM_BASE, 1)).toBeUndefined();
  expect(() => memory.load(0xffffffffffffffffn, 8, 0)).toThrow(BpfRuntimeError);
});

describe('bad input never crashes', () => {
  // A tiny deterministic PRNG (xorshift32) so failures reproduce.
  let seed = 0x1234567;
  const rand = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const randomProgram = (): BpfInsn[] =>
    Array.from({ length: 1 + rand(12) }, () => ({
      code: rand(256),
      dst: rand(16),
      src: rand(16),
      off: rand(7) - 3,
      imm: rand(5) === 0 ? rand(0x10000) - 0x8000 : rand(70) - 3,
    }));

  it('random slots are either rejected by validation or run to a result or a BpfRuntimeError', async () => {
    const { BpfValidationError } = await import('../../src/bpf/validate.js');
    let ran = 0;
    for (let i = 0; i < 3000; i++) {
      const program = randomProgram();
      for (const validate of [true, false]) {
        try {
          interpret(program, { validate, maxInstructions: 200, mem: new Uint8Array(16), helpers: conformanceHelpers() });
          ran++;
        } catch (e) {
          if (!(e instanceof BpfValidationError) && !(e instanceof BpfRuntimeError)) throw e;
        }
      }
    }
    expect(ran).toBeGreaterThan(0);
  });
});
