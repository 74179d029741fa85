import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleUbpf, interpret } from '../../src/bpf/index.js';
import { JitProgram, type NativeTarget } from '../../src/jit/index.js';
import { koffi, packageRoot } from '../../src/runtime/index.js';
import { callerArgs, digitsCallee, sumCallee, twoCalleesProgram, pointerAndSizeProgram } from '../support/stack-arg-programs.js';

/**
 * Functions and native calls with 6 to 12 arguments (../shared/docs/bpf-stack-args.md):
 * arguments 6-8 travel in x5-x7 and 9-12 on the stack at [sp], exactly where AAPCS64 puts
 * them, and a callee finds arguments 9+ at [x29, #16] and up.
 */

const jitRun = (source: string, natives?: ReadonlyMap<number, NativeTarget>, mem?: Uint8Array | null): bigint => {
  const jit = JitProgram.compile(assembleUbpf(source), natives ? { natives } : {});
  try {
    return jit.run(mem ?? null);
  } finally {
    jit.free();
  }
};

/** JIT and interpreter must agree, and both must give the expected value. */
function expectBoth(lines: readonly string[], expected: bigint): void {
  const source = lines.join('\n');
  expect(interpret(assembleUbpf(source)).value, 'interpreter').toBe(expected);
  expect(jitRun(source), 'JIT').toBe(expected);
}

describe('BPF-to-BPF calls with stack arguments', () => {
  it.each([6, 7, 8, 9, 10, 11, 12])('passes %i arguments in order', (n) => {
    expectBoth([...callerArgs(n), 'call local f', 'exit', ...digitsCallee('f', n)], BigInt(`0x${'123456789abc'.slice(0, n)}`));
  });

  it('a 10-argument function returns 55', () => {
    expectBoth([...callerArgs(10), 'call local sum10', 'exit', ...sumCallee('sum10', 10)], 55n);
  });

  it('two callees with 10 and 12 arguments: 133', () => {
    expectBoth(twoCalleesProgram(), 133n);
  });

  it('nesting: a 10-argument function forwards its stack arguments to a 12-argument one', () => {
    // f10 reads args 6..10 (x5-x7, then [x29+16], [x29+24]) and calls g12 with args 1..10 and
    // two more (11, 12) on its own outgoing stack area.
    const f10 = ['f10:'];
    for (let k = 1; k <= 5; k++) f10.push(`ldxdw %r${k <= 4 ? 5 + k : 0}, [%r11+${8 * k}]`);
    f10.push(
      'stxdw [%r11-8], %r6',
      'stxdw [%r11-16], %r7',
      'stxdw [%r11-24], %r8',
      'stxdw [%r11-32], %r9',
      'stxdw [%r11-40], %r0',
      'stdw [%r11-48], 11',
      'stdw [%r11-56], 12',
      'call local g12',
      'exit',
    );
    expectBoth([...callerArgs(10), 'call local f10', 'exit', ...f10, ...digitsCallee('g12', 12)], 0x123456789abcn);
  });

  it('callee-saved registers survive calls that use the stack argument area', () => {
    expectBoth(
      [
        'mov %r6, 1000',
        'mov %r7, 2000',
        'mov %r8, 3000',
        'mov %r9, 4000',
        'stdw [%r10-8], 77',
        ...callerArgs(12).map((l) => l.replace('%r9', '%r0')),
        'call local sum12',
        'add %r0, %r6',
        'add %r0, %r7',
        'add %r0, %r8',
        'add %r0, %r9',
        'ldxdw %r1, [%r10-8]',
        'add %r0, %r1',
        'exit',
        ...sumCallee('sum12', 12),
      ],
      78n + 10_000n + 77n,
    );
  });
});

describe('the listing shows the AAPCS64 layout', () => {
  const source = [...callerArgs(9), 'call local f', 'exit', ...digitsCallee('f', 9)].join('\n');

  it('outgoing argument 9 is stored at [sp]; incoming argument 9 is loaded from [x29, #16] (1:1 code, under each BPF slot)', () => {
    const jit = JitProgram.compile(assembleUbpf(source), { optimize: false });
    try {
      const lines = jit.listing();
      const codeUnder = (bpfText: RegExp): string[] => {
        const at = lines.findIndex((l) => l.kind === 'bpf' && bpfText.test(l.text));
        expect(at, `a BPF line matching ${bpfText}`).toBeGreaterThanOrEqual(0);
        const out: string[] = [];
        for (let i = at + 1; i < lines.length && lines[i]!.kind === 'a64'; i++) out.push(lines[i]!.text.replace(/\s+/g, ' '));
        return out;
      };
      // arg 9 = slot 4: *(u64 *)(r11 - 32) in the caller, *(u64 *)(r11 + 32) in the callee
      expect(codeUnder(/\*\(u64 \*\)\(r11 - 0x20\) =|\*\(u64 \*\)\(r11 - 32\) =/)).toContainEqual(expect.stringMatching(/^str x\d+, \[sp\]$/));
      expect(codeUnder(/= \*\(u64 \*\)\(r11 \+ 0x20\)|= \*\(u64 \*\)\(r11 \+ 32\)/)).toEqual([expect.stringMatching(/^ldr x\d+, \[x29, #0x10\]$/)]);
      // args 6-8 stay in registers: slot 1 is a move into x5 in the caller and out of x5 in the callee
      expect(codeUnder(/\*\(u64 \*\)\(r11 - 0x8\) =|\*\(u64 \*\)\(r11 - 8\) =/).join('\n')).toMatch(/x5/);
      expect(codeUnder(/= \*\(u64 \*\)\(r11 \+ 0x8\)|= \*\(u64 \*\)\(r11 \+ 8\)/)).toEqual([expect.stringMatching(/^mov x\d+, x5$/)]);
      // the caller reserves the outgoing area: round_up((4 - 3) * 8, 16) = 16 bytes below its BPF stack
      expect(lines.filter((l) => l.kind === 'a64').map((l) => l.text.replace(/\s+/g, ' '))).toContainEqual('sub sp, sp, #0x10');
    } finally {
      jit.free();
    }
  });
});

describe('the optimized listing keeps the AAPCS64 layout', () => {
  const source = [...callerArgs(9), 'call local f', 'exit', ...digitsCallee('f', 9)].join('\n');

  it('argument 9 is stored at [sp] at the call and loaded from [x29, #16]; args 6-8 in x5-x7', () => {
    const jit = JitProgram.compile(assembleUbpf(source));
    try {
      expect(jit.compiled.unoptimized).toBeUndefined();
      const lines = jit.listing();
      const code = lines.filter((l) => l.kind === 'a64').map((l) => l.text.replace(/\s+/g, ' ').replace(/ \/\/.*$/, ''));
      // the optimizer stores the stack argument right before the call, so it is listed under the call
      const call = lines.findIndex((l) => l.kind === 'bpf' && /call /.test(l.text));
      const atCall: string[] = [];
      for (let i = call + 1; i < lines.length && lines[i]!.kind === 'a64'; i++) atCall.push(lines[i]!.text.replace(/\s+/g, ' '));
      expect(atCall).toContainEqual(expect.stringMatching(/^str x\d+, \[sp\]$/));
      expect(code).toContainEqual(expect.stringMatching(/^ldr x\d+, \[x29, #0x10\]$/));
      expect(code).toContain('sub sp, sp, #0x10');
      for (const [reg, value] of [['x5', 6], ['x6', 7], ['x7', 8]] as const) expect(code).toContain(`mov ${reg}, #0x${value.toString(16)}`);
      expect(jit.run(null)).toBe(0x123456789n);
    } finally {
      jit.free();
    }
  });
});

describe('native functions with 6 to 12 arguments (a C library cross-compiled at test time)', () => {
  let dir = '';
  const natives = new Map<number, NativeTarget>();
  const ids: Record<string, number> = {};
  const arity: Record<string, number> = { digits6: 6, digits8: 8, digits9: 9, digits12: 12, sum10: 10, deref10: 10, sum_buf: 7, mixed12: 12 };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'a64jit-natives-'));
    const lib = join(dir, 'libstacknatives.so');
    execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-shared', '-fPIC', '-o', lib, join(packageRoot, 'test', 'fixtures', 'natives', 'stack-natives.c')]);
    const handle = koffi().load(lib);
    Object.keys(arity).forEach((name, i) => {
      ids[name] = i + 1;
      natives.set(i + 1, { name, arity: arity[name]!, address: handle.symbol(name) as bigint });
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const call = (name: string, n: number): string => [...callerArgs(n), `call native ${ids[name]}`, 'exit'].join('\n');

  it.each([
    ['digits6', 6],
    ['digits8', 8],
    ['digits9', 9],
    ['digits12', 12],
  ] as const)('%s receives its arguments in order', (name, n) => {
    expect(jitRun(call(name, n), natives)).toBe(BigInt(`0x${'123456789abc'.slice(0, n)}`));
  });

  it('10 scalars: 55', () => {
    expect(jitRun(call('sum10', 10), natives)).toBe(55n);
  });

  it('a pointer as argument 10 (into the BPF stack)', () => {
    const source = [
      'stdw [%r10-8], 30',
      'mov %r6, %r10',
      'add %r6, -8',
      ...callerArgs(9),
      'stxdw [%r11-40], %r6',
      `call native ${ids.deref10}`,
      'exit',
    ].join('\n');
    expect(jitRun(source, natives)).toBe(45n + 30n);
  });

  it('a memory pointer and its size in arguments 6 and 7', () => {
    const mem = Uint8Array.from({ length: 100 }, (_, i) => i);
    const source = pointerAndSizeProgram(`call native ${ids.sum_buf}`).join('\n');
    expect(jitRun(source, natives, mem)).toBe(1n + 4950n);
  });

  it('mixed widths: the C callee sees the low bits of each register and stack slot', () => {
    // every value has bits set above its C type's width
    const values = [0x1ffn, 0x3fffen, 0x1_0000_0007n, 0x8000_0000_0000_0001n, 0x180n, 0x1_8000n, 0x1_8000_0000n, -5n, 0x2ffn, 0x7_0001n, 0x1_ffff_fff0n, 0x1ffn];
    const lines: string[] = [];
    values.slice(0, 5).forEach((v, i) => lines.push(`lddw %r${i + 1}, 0x${BigInt.asUintN(64, v).toString(16)}`));
    values.slice(5).forEach((v, k) => lines.push(`lddw %r9, 0x${BigInt.asUintN(64, v).toString(16)}`, `stxdw [%r11-${8 * (k + 1)}], %r9`));
    lines.push(`call native ${ids.mixed12}`, 'exit');
    const u = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);
    const s = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
    const [a, b, c, d, e, f, g, h, i, j, k, l] = values as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
    const expected = BigInt.asUintN(64, u(a, 8) + u(b, 16) + u(c, 32) + d + s(e, 8) + s(f, 16) + s(g, 32) + h + u(i, 8) + u(j, 16) + s(k, 32) + s(l, 8));
    expect(jitRun(lines.join('\n'), natives)).toBe(expected);
  });

  it('an unlinked native function is a compile-time error naming the pc', () => {
    expect(() => JitProgram.compile(assembleUbpf('call native 99\nexit'), { natives })).toThrow(/pc 0: native function 99|unknown native/);
  });
});
