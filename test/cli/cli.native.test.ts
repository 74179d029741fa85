import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleUbpf, encodeProgram } from '../../src/bpf/index.js';
import { haveSuite, suiteTestsDir, warnIfNoSuite } from '../bpf/shared-suite.js';
import { CLANG, GLOBALS_C, compileBpf, globalsExpected, haveTool, r0Line, spawnCli, tempDir, writeIn } from './support.js';

// The CLI end to end on arm64 (natively, or under qemu through npm test): each test spawns
// bin/a64jit.js in a Node of this architecture, so the JIT really runs. Spawns cost about a
// second each under qemu; keep them few.

const dir = tempDir('native');
const ANSWER = 'mov %r0, 40\nadd %r0, 2\nexit\n';
const hexOf = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

warnIfNoSuite('the CLI JIT conformance runs (test/cli/cli.native.test.ts)');

describe('a64jit run on the JIT', () => {
  it('assembly in both syntaxes, raw bytecode from stdin, with memory', () => {
    expect(spawnCli(['run', writeIn(dir, 'answer.s', ANSWER)])).toEqual({ status: 0, signal: null, stdout: '42 (0x2a)\n', stderr: '' });
    expect(spawnCli(['run', writeIn(dir, 'neg.s', 'r0 = 0\nr0 -= 1\nexit\n')]).stdout).toBe(r0Line((1n << 64n) - 1n));
    const sum = encodeProgram(assembleUbpf('ldxw %r0, [%r1]\nldxw %r2, [%r1+4]\nadd %r0, %r2\nexit\n'));
    const r = spawnCli(['run', '--mem', '01 00 00 00 02 00 00 00', '-'], { input: sum });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('3 (0x3)\n');
  });

  it.skipIf(!haveSuite)('a .data test with its memory, and with --llsc --blind, and -O0', () => {
    expect(spawnCli(['run', join(suiteTestsDir, 'ldxb.data')]).stdout).toBe('17 (0x11)\n');
    expect(spawnCli(['run', '-O0', join(suiteTestsDir, 'ldxb.data')]).stdout).toBe('17 (0x11)\n');
    // lock_add returns 0 only when the atomic add happened
    expect(spawnCli(['run', '--llsc', '--blind', join(suiteTestsDir, 'lock_add.data')]).stdout).toBe('0 (0x0)\n');
  });

  it('a JIT compile-time rejection is one line with the pc, exit 1', () => {
    const r = spawnCli(['run', writeIn(dir, 'bad.s', 'mov %r0, 1\ncall 77\nexit\n')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^a64jit run: .*bad\.s: pc 1: .*\n$/);
  });
});

describe.skipIf(!haveTool(CLANG))('a64jit run on clang-compiled objects', () => {
  it('global data, read-only data and pointers inside data are linked at real addresses', () => {
    const obj = compileBpf(dir, 'globals', GLOBALS_C);
    expect(spawnCli(['run', obj])).toEqual({ status: 0, signal: null, stdout: r0Line(globalsExpected()), stderr: '' });
  });

  // A cross compiler on x64 hosts; the native gcc on arm64 hosts.
  const cc = process.arch === 'arm64' && !haveTool('aarch64-linux-gnu-gcc') ? 'gcc' : 'aarch64-linux-gnu-gcc';
  it.skipIf(!haveTool(cc))('--lib binds extern functions to a C library by name', () => {
    const lib = join(dir, 'libmix.so');
    const c = writeIn(dir, 'mix.c', 'unsigned long long mix(unsigned long long a, unsigned long long b, unsigned long long c) { return a * 1000003ULL + b * 31 + c; }\nunsigned long long twice(unsigned long long a) { return 2 * a + 1; }\n');
    const built = spawnSync(cc, ['-shared', '-fPIC', '-O2', '-o', lib, c], { encoding: 'utf8' });
    expect(built.stderr).toBe('');
    const obj = compileBpf(
      dir,
      'externs',
      'typedef unsigned long long u64;\n' +
        'extern u64 mix(u64, u64, u64) __attribute__((section(".ksyms")));\n' +
        'extern u64 twice(u64) __attribute__((section(".ksyms")));\n' +
        '__attribute__((section("prog"), used)) u64 use(unsigned char *ctx) {\n' +
        '  u64 h = 7;\n  for (int i = 0; i < 4; i++) h = mix(h, ctx[i], twice(i));\n  return h;\n}\n',
    );
    const M = (1n << 64n) - 1n;
    let h = 7n;
    const mem = [9n, 8n, 7n, 6n];
    for (let i = 0; i < 4; i++) h = (h * 1000003n + mem[i]! * 31n + (2n * BigInt(i) + 1n)) & M;
    expect(spawnCli(['run', '--lib', lib, '--mem', '09 08 07 06', obj])).toEqual({ status: 0, signal: null, stdout: r0Line(h), stderr: '' });
    // without the library: every missing extern named, with its first pc
    const missing = spawnCli(['run', '--mem', '09 08 07 06', obj]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/unresolved extern functions '(mix|twice)' \(called at pc \d+\), '(mix|twice)' \(called at pc \d+\): no native library was given\n$/);
  });
});

describe.skipIf(!haveSuite)('a64jit conformance on the JIT', () => {
  const files = ['add.data', 'lddw.data', 'ldxb.data', 'lock_add.data', 'call_unwind_fail.data'];
  const suite = join(dir, 'suite');
  mkdirSync(suite, { recursive: true });
  if (haveSuite) for (const f of files) copyFileSync(join(suiteTestsDir, f), join(suite, f));

  it('runs a directory and closes with the counts', () => {
    expect(spawnCli(['conformance', suite])).toEqual({ status: 0, signal: null, stdout: `${files.length} passed, 0 failed\n`, stderr: '' });
    expect(spawnCli(['conformance', '--llsc', '--blind', suite]).stdout).toBe(`${files.length} passed, 0 failed\n`);
    expect(spawnCli(['conformance', '-O0', suite]).stdout).toBe(`${files.length} passed, 0 failed\n`);
  });

  it('prints one line per failure and exits 1', () => {
    const wrong = writeIn(dir, 'wrong.data', readFileSync(join(suiteTestsDir, 'add.data'), 'utf8').replace(/-- result\n.*/, '-- result\n0x99'));
    const r = spawnCli(['conformance', wrong, join(suite, 'add.data')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`FAIL ${wrong}: expected 0x99, got 0x3\n1 passed, 1 failed\n`);
  });
});

describe('a64jit conformance-plugin (the bpf_conformance protocol, JIT)', () => {
  it('program hex on stdin, memory as argument 1, R0 in hex on stdout', () => {
    const prog = hexOf(encodeProgram(assembleUbpf('ldxb %r0, [%r1+2]\nmov %r1, %r0\ncall 5\nexit\n')));
    expect(spawnCli(['conformance-plugin', 'aa  bb  7f  '], { input: `${prog}\n` })).toEqual({ status: 0, signal: null, stdout: '7f\n', stderr: '' });
    // helper 5 stops the program with R0 = 0 when its argument is 0
    expect(spawnCli(['conformance-plugin', 'aa  bb  00  '], { input: `${prog}\n` }).stdout).toBe('0\n');
  });

  it('an error: one line on stderr, nothing on stdout, exit 1', () => {
    const r = spawnCli(['conformance-plugin'], { input: 'b7 00 00 00 01 00 00\n' });
    expect(r).toEqual({ status: 1, signal: null, stdout: '', stderr: 'program: bytecode length 7 is not a multiple of 8 (at byte offset 0)\n' });
  });
});
