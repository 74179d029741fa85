import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConformanceFile } from '../../src/bpf/conformance-file.js';
import {
  collectConformanceFiles,
  interpreterExecutor,
  runConformanceFile,
  runConformanceTest,
} from '../../src/bpf/conformance.js';
import { decodeProgram, encodeProgram } from '../../src/bpf/instruction.js';
import { assembleUbpf } from '../../src/bpf/ubpf-assembler.js';
import { haveSuite, suiteNegativeDir, suiteTestsDir, warnIfNoSuite } from './shared-suite.js';

warnIfNoSuite('the bpf_conformance suite tests (test/bpf/conformance.test.ts)');

describe.skipIf(!haveSuite)('bpf_conformance suite on the interpreter', () => {
  it('passes all 313 tests', async () => {
    const files = collectConformanceFiles([suiteTestsDir]);
    expect(files).toHaveLength(313);
    const failures: string[] = [];
    for (const file of files) {
      const outcome = await runConformanceFile(file, interpreterExecutor);
      if (!outcome.passed) failures.push(`${file}: ${outcome.message}`);
    }
    expect(failures).toEqual([]);
  });

  it('assembles every -- asm section to exactly the bytes of its -- raw section', () => {
    let compared = 0;
    for (const name of readdirSync(suiteTestsDir)) {
      const test = parseConformanceFile(readFileSync(join(suiteTestsDir, name), 'utf8'));
      if (!test.asm || !test.raw) continue;
      const assembled = encodeProgram(assembleUbpf(test.asm.source, { firstLine: test.asm.firstLine }));
      expect(Buffer.from(assembled).toString('hex'), name).toBe(Buffer.from(test.raw).toString('hex'));
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('reports each of the 60 negative tests as a failure with a clear message', async () => {
    const files = collectConformanceFiles([suiteNegativeDir]);
    expect(files).toHaveLength(60);
    for (const file of files) {
      const outcome = await runConformanceFile(file, interpreterExecutor);
      expect(outcome.passed, file).toBe(false);
      expect(outcome.message.length, file).toBeGreaterThan(10);
    }
  });

  it('says why the negative tests fail', async () => {
    const message = async (name: string): Promise<string> =>
      (await runConformanceFile(join(suiteNegativeDir, name), interpreterExecutor)).message;
    expect(await message('empty.data')).toMatch(/neither '-- asm' nor '-- raw'/);
    expect(await message('invalid_unknown_directive.data')).toMatch(/holds no instructions/);
    expect(await message('error.data')).toMatch(/expected error 'Invalid', got BpfVerifierError: pc 0: R0 !read_ok/);
    expect(await message('incorrect_return_value_high_bits.data')).toBe('expected 0x8977665544332211, got 0x8877665544332211');
    expect(await message('invalid_imm32_dec_range.data')).toMatch(/BpfAsmError: \d+:\d+: immediate 2147483648 does not fit/);
    expect(await message('invalid_lock.data')).toMatch(/BpfAsmError: .*operands for lock/);
    expect(await message('invalid_register.data')).toMatch(/invalid register %r50/);
    expect(await message('unused-exit-imm.data')).toMatch(/rejected at load time: .*reserved field imm must be 0, is 1/);
    expect(await message('unused-neg-src.data')).toMatch(/reserved field src must be 0, is 1/);
    expect(await message('unused-add64_imm-offset.data')).toMatch(/reserved field off must be 0, is 1/);
  });
});

describe('conformance runner semantics', () => {
  const exec = interpreterExecutor;
  const run = (text: string, verify = true) => runConformanceTest('inline', parseConformanceFile(text), exec, { verify });

  it('passes when the result matches and fails when it differs', async () => {
    expect((await run('-- asm\nmov %r0, 7\nexit\n-- result\n0x7\n')).passed).toBe(true);
    const bad = await run('-- asm\nmov %r0, 7\nexit\n-- result\n8\n');
    expect(bad).toMatchObject({ passed: false, message: 'expected 0x8, got 0x7', actual: 7n });
  });

  it('passes an expected error only when the error happens with that text', async () => {
    // at run time (verification off) and at load time (the verifier's words)
    const oob = '-- asm\nldxdw %r0, [%r1+0]\nexit\n-- error\nout-of-bounds\n';
    expect((await run(oob, false)).passed).toBe(true);
    expect((await run('-- asm\nldxdw %r0, [%r1+0]\nexit\n-- error\ndivision\n', false)).passed).toBe(false);
    expect((await run('-- asm\nldxdw %r0, [%r1+0]\nexit\n-- error\ninvalid access to memory, mem_size=0 off=0 size=8\n')).passed).toBe(true);
    expect(await run(oob)).toMatchObject({ passed: false, message: "expected error 'out-of-bounds', got BpfVerifierError: pc 0: invalid access to memory, mem_size=0 off=0 size=8 (r0 = *(u64 *)(r1 + 0x0))" });
  });

  it('uses -- raw over -- asm and hands -- mem to the program', async () => {
    const raw = decodeProgram(encodeProgram(assembleUbpf('ldxb %r0, [%r1+1]\nexit')));
    const hex = raw.map((i) => i.code.toString(16)).join(' ');
    expect(hex).toBe('71 95');
    const t = '-- asm\nmov %r0, 1\nexit\n-- raw\n71 10 01 00 00 00 00 00\n95 00 00 00 00 00 00 00\n-- mem\n01 2a\n-- result\n0x2a\n';
    expect(await run(t)).toMatchObject({ passed: true, actual: 0x2an });
  });

  it('ignores sections it does not know, as the suite does for -- c', async () => {
    const test = parseConformanceFile('-- c\nint x;\n-- asm\nmov %r0, 0\nexit\n-- result\n0\n');
    expect(test.ignoredSections.map((s) => s.name)).toEqual(['c']);
    expect((await runConformanceTest('c', test, exec)).passed).toBe(true);
  });

  it('a failing executor is a failure, never a crash', async () => {
    const throwing = (): bigint => {
      throw new Error('engine exploded');
    };
    const outcome = await runConformanceTest('x', parseConformanceFile('-- asm\nmov %r0, 0\nexit\n-- result\n0\n'), throwing);
    expect(outcome).toMatchObject({ passed: false, message: 'Error: engine exploded' });
  });
});
