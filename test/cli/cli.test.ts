import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeProgram, assembleUbpf } from '../../src/bpf/index.js';
import { main } from '../../src/cli/main.js';
import { detectSyntax } from '../../src/cli/inputs.js';
import { provisionedArm64Node } from '../../src/runtime/index.js';
import { haveSuite, suiteTestsDir, warnIfNoSuite } from '../bpf/shared-suite.js';
import { CLANG, GLOBALS_C, compileBpf, fakeIo, globalsExpected, haveTool, r0Line, spawnCli, tempDir, writeIn } from './support.js';

// In-process runs (main() with a fake io) of everything that needs no AArch64 execution:
// --interp runs, usage and input errors, the JIT listing. One spawned test proves the
// re-run under qemu on x64 hosts.

const dir = tempDir('host');
const UBPF = writeIn(dir, 'answer.s', '# uBPF syntax\nmov %r0, 40\nadd %r0, 2\nexit\n');
const LLVM = writeIn(dir, 'answer-llvm.s', '// LLVM syntax\nr0 = 40\nr0 += 2\nexit\n');
const BIN = writeIn(dir, 'answer.bin', encodeProgram(assembleUbpf('mov %r0, 40\nadd %r0, 2\nexit\n')));
// R0 = sum of the four memory bytes
const SUM = writeIn(dir, 'sum.s', 'ldxb %r0, [%r1]\nldxb %r3, [%r1+1]\nadd %r0, %r3\nldxb %r3, [%r1+2]\nadd %r0, %r3\nldxb %r3, [%r1+3]\nadd %r0, %r3\nexit\n');
const DATA = writeIn(dir, 'sum.data', '-- asm\nldxb %r0, [%r1+2]\nexit\n-- mem\n0a 0b 0c 0d\n-- result\n0xc\n');

async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = fakeIo(stdin);
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('a64jit run --interp', () => {
  it('runs uBPF and LLVM assembly (syntax detected), raw bytecode and stdin; prints R0 as "DEC (0xHEX)"', async () => {
    for (const file of [UBPF, LLVM, BIN]) expect(await cli(['run', '--interp', file])).toEqual({ code: 0, stdout: '42 (0x2a)\n', stderr: '' });
    expect((await cli(['run', '--interp', '-'], 'mov %r0, 7\nexit\n')).stdout).toBe('7 (0x7)\n');
    expect((await cli(['run', '--interp', '--syntax', 'llvm', '-'], 'r0 = -1\nexit\n')).stdout).toBe(r0Line((1n << 64n) - 1n));
  });

  it("takes a .data file's memory by default, --mem and --mem-file instead", async () => {
    expect((await cli(['run', '--interp', DATA])).stdout).toBe('12 (0xc)\n');
    expect((await cli(['run', '--interp', '--mem', '01 02 03 04', SUM])).stdout).toBe('10 (0xa)\n');
    expect((await cli(['run', '--interp', '--mem', '0x10203040', SUM])).stdout).toBe(r0Line(0x10n + 0x20n + 0x30n + 0x40n));
    const memFile = writeIn(dir, 'mem.bin', Uint8Array.from([100, 100, 50, 5]));
    expect((await cli(['run', '--interp', '--mem-file', memFile, SUM])).stdout).toBe('255 (0xff)\n');
  });

  it.skipIf(!haveTool(CLANG))('links and runs a clang-compiled object (data, rodata, pointers in data)', async () => {
    const obj = compileBpf(dir, 'globals', GLOBALS_C);
    expect((await cli(['run', '--interp', obj])).stdout).toBe(r0Line(globalsExpected()));
    expect((await cli(['run', '--interp', '--entry', 'mix_names', obj])).stdout).toBe(r0Line(globalsExpected()));
    const none = await cli(['run', '--interp', '--entry', 'nope', obj]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^a64jit run: .*globals\.o: no function named 'nope' \(at file offset 0x0\)\n$/);
  });

  it.skipIf(!haveTool(CLANG))('refuses a bad map definition and externs the interpreter cannot call, naming them', async () => {
    const maps = compileBpf(
      dir,
      'maps',
      'struct { int x; } m __attribute__((section("maps"), used));\n__attribute__((section("prog"), used)) long f(void *c) { return (long)&m; }\n',
    );
    const r = await cli(['run', '--interp', maps]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^a64jit run: .*maps\.o: map 'm': unknown map type 0\n$/);
    const ext = compileBpf(dir, 'ext', 'extern unsigned long long twice(unsigned long long) __attribute__((section(".ksyms")));\n__attribute__((section("prog"), used)) unsigned long long f(void *c) { return twice(21); }\n');
    const e = await cli(['run', '--interp', ext]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/pc \d+: program 'f' calls the extern function 'twice', which only the JIT can call/);
  });
});

describe('a64jit usage errors (exit 2, with the usage text)', () => {
  const cases: [string, string[], RegExp][] = [
    ['no program', ['run'], /no program file given/],
    ['two programs', ['run', UBPF, LLVM], /only one program file/],
    ['unknown option', ['run', '--fast', UBPF], /unknown option '--fast'/],
    ['missing value', ['run', UBPF, '--mem'], /--mem needs a value/],
    ['JIT flags with --interp', ['run', '--interp', '--blind', UBPF], /--llsc, --blind and -O0 apply to the JIT/],
    ['-O0 with --interp', ['run', '--interp', '-O0', UBPF], /-O0 apply to the JIT/],
    ['--lib with --interp', ['run', '--interp', '--lib', 'x.so', UBPF], /--lib needs the JIT/],
    ['--mem and --mem-file', ['run', '--mem', '00', '--mem-file', 'm', UBPF], /exclude each other/],
    ['bad syntax name', ['run', '--syntax', 'intel', UBPF], /unknown syntax 'intel'/],
    ['--entry on assembly', ['run', '--interp', '--entry', 'f', UBPF], /--entry applies to ELF objects/],
    ['conformance without paths', ['conformance'], /no test files or directories/],
    ['conformance --interp --llsc', ['conformance', '--interp', '--llsc', DATA], /apply to the JIT/],
    ['plugin with two arguments', ['conformance-plugin', '00', '11'], /at most one argument/],
    ['disasm --llsc without --arm64', ['disasm', '--llsc', BIN], /--arm64 listings only/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(`usage: a64jit ${args[0]}`);
    });
  }
});

describe('a64jit bad input (exit 1, one line naming file and position, no stack trace)', () => {
  const cases: [string, string, string[], RegExp][] = [
    ['assembly error at line:column', 'bad.s', ['mov %r0, 1\n  frob %r1\nexit\n'], /^a64jit run: .*bad\.s:2:3: unknown mnemonic 'frob' \(at 'frob'\)$/],
    ['LLVM assembly error', 'bad-llvm.s', ['r0 = 1\nr0 += \nexit\n'], /^a64jit run: .*bad-llvm\.s:2:\d+: /],
    ['truncated bytecode at a byte offset', 'cut.bin', ['0123456789abc'], /^a64jit run: .*cut\.bin: bytecode length 13 is not a multiple of 8 \(at byte offset 8\)$/],
    ['malformed ELF at a file offset', 'bad.o', ['\x7fELF\x02\x01\x01'], /^a64jit run: .*bad\.o: .*\(at file offset 0x0\)$/],
    ['a program the validator rejects, at a pc', 'jump.s', ['ja +5\nexit\n'], /^a64jit run: .*jump\.s: pc 0: jump out of range/],
    ['a bad .data file at a line', 'bad.data', ['-- asm\nexit\n-- mem\nzz\n'], /^a64jit run: .*bad\.data:4: '-- mem': 'zz' is not a hex byte$/],
  ];
  for (const [what, name, [content], message] of cases) {
    it(what, async () => {
      const file = writeIn(dir, name, content!);
      const r = await cli(['run', '--interp', file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  }

  it('a missing file, bad --mem hex', async () => {
    expect(await cli(['run', '--interp', join(dir, 'nope.s')])).toEqual({ code: 1, stdout: '', stderr: `a64jit run: ${join(dir, 'nope.s')}: cannot read: no such file\n` });
    expect((await cli(['run', '--interp', '--mem', '0g', UBPF])).stderr).toBe("a64jit run: --mem: '0g' at character 1 is not hex bytes\n");
    expect((await cli(['run', '--interp', '--mem', '01 234', UBPF])).stderr).toBe("a64jit run: --mem: '234' at character 4 has an odd number of hex digits\n");
  });

  it('a run-time error names the pc', async () => {
    const r = await cli(['run', '--interp', '--no-verify', writeIn(dir, 'oob.s', 'ldxdw %r0, [%r1+64]\nexit\n'), '--mem', '00']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^a64jit run: .*oob\.s: run-time error: pc 0: out-of-bounds read/);
  });

  it('the verifier refuses an unsafe program before it runs, naming pc and instruction', async () => {
    const r = await cli(['run', '--interp', writeIn(dir, 'oob.s', 'ldxdw %r0, [%r1+64]\nexit\n'), '--mem', '00']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^a64jit run: .*oob\.s: pc 0: invalid access to memory, mem_size=1 off=64 size=8 \(r0 = \*\(u64 \*\)\(r1 \+ 0x40\)\)\n$/);
  });
});

describe('a64jit conformance-plugin --interp (the protocol, in process)', () => {
  const hex = (src: string): string => Array.from(encodeProgram(assembleUbpf(src)), (b) => b.toString(16).padStart(2, '0')).join(' ');

  it('program hex on stdin, memory hex as the argument, R0 in lowercase hex without 0x', async () => {
    expect(await cli(['conformance-plugin', '--interp', 'aa  bb  11  '], `${hex('ldxb %r0, [%r1+2]\nexit')}\n`)).toEqual({ code: 0, stdout: '11\n', stderr: '' });
    expect((await cli(['conformance-plugin', '--interp'], hex('lddw %r0, 0xFEDCBA9876543210\nexit'))).stdout).toBe('fedcba9876543210\n');
    // helper 5, the suite's unwind helper: returns its argument, stops the program on 0
    expect((await cli(['conformance-plugin', '--interp'], hex('mov %r1, 9\ncall 5\nexit'))).stdout).toBe('9\n');
  });

  it('errors: one line on stderr, exit 1', async () => {
    expect(await cli(['conformance-plugin', '--interp'], 'b7 00 zz')).toEqual({ code: 1, stdout: '', stderr: "program (stdin): 'zz' at character 7 is not hex bytes\n" });
    const r = await cli(['conformance-plugin', '--interp'], hex('ja +3\nexit'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('program: pc 0: jump out of range from insn 0 to 4\n');
  });
});

describe('a64jit disasm --arm64 (pure compiler, any host)', () => {
  it('lists each BPF instruction with its AArch64 code: address, bytes, text (-O0: the 1:1 code)', async () => {
    const r = await cli(['disasm', '--arm64', '-O0', UBPF]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('<func#0 (entry), slots 0..2>:');
    expect(lines).toContain('  ; prologue');
    // Each BPF line is followed by its machine code: address, the 4 encoding bytes, the text.
    // (Registers and addresses are the compiler's business; only the shape is pinned here.)
    const after = (bpf: string): string => lines[lines.indexOf(bpf) + 1] ?? '';
    const a64 = (text: string): RegExp => new RegExp(`^ {2}[0-9a-f]{12}: {2}([0-9a-f]{2} ){4} ${text}$`);
    expect(after('  ;     0: r0 = 0x28')).toMatch(a64('mov\\tx\\d+, #0x28 // =40'));
    expect(after('  ;     1: r0 += 0x2')).toMatch(a64('add\\tx(\\d+), x\\2, #0x2'));
    expect(lines).toContain('  ;     2: exit');
    expect(lines).toContain('  ; epilogue');
    expect(lines.some((l) => a64('ret').test(l))).toBe(true);
    // the word is the encoding of the text: mov x<n>, #0x28 is MOVZ 0xd2800500 | n
    const movz = /^ {2}[0-9a-f]{12}: {2}(.. .. .. ..) {2}mov\tx(\d+)/.exec(after('  ;     0: r0 = 0x28'))!;
    expect(movz[1]).toBe(Buffer.from(new Uint32Array([0xd2800500 | Number(movz[2])]).buffer).toString('hex').match(/../g)!.join(' '));
    // the same listing from LLVM syntax and from raw bytecode (group 2 above: the register)
    expect((await cli(['disasm', '--arm64', '-O0', LLVM])).stdout).toBe(r.stdout);
    expect((await cli(['disasm', '--arm64', '-O0', BIN])).stdout).toBe(r.stdout);
  });

  it('optimized (the default): each AArch64 instruction under the BPF instruction it came from, slots without code say why', async () => {
    const lines = (await cli(['disasm', '--arm64', UBPF])).stdout.split('\n');
    const at = (bpf: string): number => lines.indexOf(bpf);
    expect(lines).toContain('  ;     0: r0 = 0x28    (dead)');
    // 40 + 2 folded into one constant, made by slot 1; no frame record in a leaf
    expect(lines[at('  ;     1: r0 += 0x2') + 1]).toMatch(/^ {2}0{12}: {2}40 05 80 d2 {2}mov\tx0, #0x2a \/\/ =42$/);
    expect(lines[at('  ;     2: exit') + 1]).toMatch(/ {2}ret$/);
    expect(lines.some((l) => /stp\tx29, x30/.test(l))).toBe(false);
  });

  it('--llsc and --blind change the code as they should', async () => {
    const atomic = writeIn(dir, 'atomic.s', 'mov %r0, 1\nstxdw [%r10-8], %r0\nmov %r1, 2\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit\n');
    const lse = (await cli(['disasm', '--arm64', atomic])).stdout;
    const llsc = (await cli(['disasm', '--arm64', '--llsc', atomic])).stdout;
    expect(lse).toMatch(/ stadd\t/);
    expect(llsc).not.toMatch(/ stadd\t/);
    expect(llsc).toMatch(/ ldxr\t[\s\S]* stxr\t/);
    const imm = writeIn(dir, 'imm.s', 'mov %r0, 0x1234567\nexit\n');
    const plain = (await cli(['disasm', '--arm64', imm])).stdout;
    const blinded = (await cli(['disasm', '--arm64', '--blind', imm])).stdout;
    const a64 = (s: string): string => s.split('\n').filter((l) => /^ {2}[0-9a-f]{12}:/.test(l)).join('\n');
    expect(a64(plain)).toMatch(/#0x4567\b/);
    expect(a64(blinded)).not.toMatch(/#0x4567\b|#0x123, lsl/);
  });

  it.skipIf(!haveSuite)('lists a .data test', async () => {
    const r = await cli(['disasm', '--arm64', join(suiteTestsDir, 'lock_add.data')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/; +4: lock \*\(u64 \*\)\(r10 - 0x8\) \+= r1/);
  });

  it.skipIf(!haveTool(CLANG))('lists every program of an ELF object under its section:name', async () => {
    const obj = compileBpf(dir, 'listing', GLOBALS_C);
    const r = await cli(['disasm', '--arm64', obj]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('# prog:mix_names');
    expect(r.stdout).toMatch(/<func#0 \(entry\)/);
  });
});

warnIfNoSuite('a64jit disasm --arm64 on a .data test (test/cli/cli.test.ts)');

it('detects the assembly syntax', () => {
  expect(detectSyntax('mov %r0, 1\nexit\n')).toBe('ubpf');
  expect(detectSyntax('mov r0, 1\nja +1\nexit\n')).toBe('ubpf');
  expect(detectSyntax('exit\n')).toBe('ubpf');
  expect(detectSyntax('lock add [%r10-8], %r1\nexit\n')).toBe('ubpf');
  expect(detectSyntax('lock *(u64 *)(r10 - 8) += r1\nexit\n')).toBe('llvm');
  expect(detectSyntax('r0 = 1\nexit\n')).toBe('llvm');
  expect(detectSyntax('loop:\n  w1 += 1\n  if w1 < 5 goto loop\nexit\n')).toBe('llvm');
  expect(detectSyntax('   0:\tr0 = *(u32 *)(r1 + 0x4)\n')).toBe('llvm');
});

// The one spawned test: on a non-arm64 host, a JIT command re-runs itself under qemu.
const emulated = process.arch !== 'arm64' && provisionedArm64Node() !== undefined;
describe.skipIf(!emulated)('re-run under the emulator on a non-arm64 host', () => {
  const hostNode = { command: process.execPath, args: [], env: {} };

  it('run without --interp: right R0 on stdout, one notice line on stderr, exit code passed back', { timeout: 180_000 }, () => {
    const ok = spawnCli(['run', UBPF], { node: hostNode });
    expect(ok.stdout).toBe('42 (0x2a)\n');
    expect(ok.stderr).toMatch(new RegExp(`^a64jit: ${process.arch} host, running under qemu-aarch64 \\(arm64 Node \\d+\\.\\d+\\.\\d+\\)\\n$`));
    expect(ok.status).toBe(0);
    const bad = spawnCli(['run', writeIn(dir, 'reject.s', 'ja +5\nexit\n')], { node: hostNode });
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^a64jit: \w+ host, running under qemu-aarch64/), expect.stringMatching(/reject\.s: pc 0: jump out of range/)]);
  });

  it('conformance-plugin passes stdin through and keeps stderr quiet', { timeout: 180_000 }, () => {
    const r = spawnCli(['conformance-plugin', '01 02'], { node: hostNode, input: 'b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00\n' });
    expect(r).toEqual({ status: 0, signal: null, stdout: '2a\n', stderr: '' });
  });
});
