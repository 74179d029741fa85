import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CLANG, compileBpf, fakeIo, haveTool, tempDir, writeIn } from '../cli/support.js';
import { POINTER_SOURCE } from '../support/pointer-check-cases.js';
import { compileBpfSource } from '../support/bpf-clang.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = tempDir('verify');

async function verify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = fakeIo();
  const code = await main(['verify', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('a64jit verify', () => {
  it('one line per program, then the counts; exit 0 only when all are accepted', async () => {
    const ok = await verify([writeIn(dir, 'ok.s', 'r0 = *(u32 *)(r1 + 4)\nexit\n')]);
    expect(ok).toEqual({ code: 0, stdout: 'ok ok.s (2 insns processed, 1 states)\n1 accepted, 0 rejected\n', stderr: '' });
    const bad = await verify([writeIn(dir, 'bad.s', 'r0 = r7\nexit\n')]);
    expect(bad).toEqual({ code: 1, stdout: 'rejected bad.s: pc 0: R7 !read_ok (r0 = r7)\n0 accepted, 1 rejected\n', stderr: '' });
  });

  it('--mem-size and --type', async () => {
    const src = writeIn(dir, 'eight.s', 'r0 = *(u64 *)(r1 + 0)\nexit\n');
    expect((await verify(['--mem-size', '4', src])).stdout).toBe('rejected eight.s: pc 0: invalid access to memory, mem_size=4 off=0 size=8 (r0 = *(u64 *)(r1 + 0x0))\n0 accepted, 1 rejected\n');
    const xdp = writeIn(dir, 'xdp.s', 'r0 = *(u32 *)(r1 + 12)\nr0 = 2\nexit\n');
    expect((await verify(['--type', 'xdp', xdp])).code).toBe(0);
    expect((await verify(['--type', 'cgroup_skb', xdp])).stdout).toMatch(/^rejected xdp\.s: pc 2: At program exit the register R0 has 2 should have been in \[0, 1\]/);
    expect((await verify(['--type', 'nonsense', xdp])).code).toBe(2);
  });

  it('--sandbox: the sandbox\'s analysis, with what it leaves to run-time checks and the budget', async () => {
    const src = writeIn(dir, 'var.s', 'r2 = *(u8 *)(r1 + 0)\nr2 &= 15\nr1 += r2\nr0 = *(u8 *)(r1 + 0)\nexit\n');
    expect((await verify(['--mem-size', '8', src])).code).toBe(1);
    expect(await verify(['--sandbox', '--mem-size', '8', src])).toEqual({
      code: 0,
      stdout: 'ok var.s (5 insns processed, 1 states, 1 accesses left to run-time checks, 0 loops left to the budget)\n  pc 3: invalid access to memory, mem_size=8 off=15 size=1\n1 accepted, 0 rejected\n',
      stderr: '',
    });
    const loop = writeIn(dir, 'loop.s', 'r2 = *(u64 *)(r1 + 0)\nr2 -= 1\nif r2 != 0 goto -2\nr0 = 0\nexit\n');
    expect((await verify(['--sandbox', loop])).stdout).toMatch(/^ok loop\.s \(\d+ insns processed, \d+ states, 0 accesses left to run-time checks, 1 loops left to the budget\)\n  pc 1: loop at insn 1 not proven to end: left to the instruction budget\n/);
    const bad = await verify(['--sandbox', writeIn(dir, 'leak.s', 'r0 = r10\nexit\n')]);
    expect(bad).toEqual({ code: 1, stdout: "rejected leak.s: the sandbox's analysis refused the program: pc 1: R0 leaks addr as return value (exit)\n0 accepted, 1 rejected\n", stderr: '' });
  });

  it('--sandbox lists the pointer-arithmetic checks', async () => {
    if (!haveTool(CLANG)) throw new Error(`${CLANG} is not installed: run npm run setup`);
    const obj = join(dir, 'pointers.o');
    writeFileSync(obj, compileBpfSource(POINTER_SOURCE, { name: 'pointers' }));
    const r = await verify(['--sandbox', '--program', 'masked', obj]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n {2}pc \d+: pointer arithmetic checked as it runs: R0's offset must stay in 0\.\.12 \(value_size=16, map 'plain'\)\n/);
    // the checked index needs none
    expect((await verify(['--sandbox', '--program', 'checked', obj])).stdout).not.toMatch(/pointer arithmetic/);
  });

  it('--log prints the state before each instruction', async () => {
    const r = await verify(['--log', '--mem-size', '8', writeIn(dir, 'log.s', 'r0 = 1\nexit\n')]);
    expect(r.stdout).toBe('0: R1=mem(sz=8) R2=8 R10=fp0\n0: (b7) r0 = 0x1\n1: R0=1 R1=mem(sz=8) R2=8 R10=fp0\n1: (95) exit\nok log.s (2 insns processed, 1 states)\n1 accepted, 0 rejected\n');
  });

  it.runIf(haveTool(CLANG))('every program of an object, or --program NAME', async () => {
    const obj = compileBpf(
      dir,
      'two',
      '__attribute__((section("tc"), used)) long good(unsigned char *c) { return c[3]; }\n' +
        '__attribute__((section("tc"), used)) long leak(unsigned char *c) { return (long)c; }\n',
    );
    const all = await verify([obj]);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^ok good \(\d+ insns processed, \d+ states\)\nrejected leak: pc \d+: R0 leaks addr as return value \(exit\)\n1 accepted, 1 rejected\n$/);
    expect((await verify(['--program', 'good', obj])).code).toBe(0);
    const missing = await verify(['--program', 'nope', obj]);
    expect([missing.code, missing.stderr]).toEqual([1, `a64jit verify: ${obj}: no program 'nope' (programs: good, leak)\n`]);
  });
});
