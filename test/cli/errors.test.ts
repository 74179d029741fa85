import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fakeIo, tempDir, writeIn } from './support.js';

/** Every command prints bad input in one form: `a64jit CMD: FILE: where: message`, exit code 1. */
const dir = tempDir('errors');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const missing = join(dir, 'missing');
const badAsm = writeIn(dir, 'bad.s', 'mov %r0, 1\n  exot\n');
const emptyData = writeIn(dir, 'empty.data', '-- result\n0x0\n');
const shortElf = writeIn(dir, 'short.o', '\x7fELF');

const cases: [string[], string][] = [
  [['run', '--interp', missing], `a64jit run: ${missing}: cannot read: no such file`],
  [['disasm', missing], `a64jit disasm: ${missing}: cannot read: no such file`],
  [['disasm', '--arm64', missing], `a64jit disasm: ${missing}: cannot read: no such file`],
  [['asm', missing], `a64jit asm: ${missing}: cannot read: no such file`],
  [['conformance', '--interp', missing], `a64jit conformance: ${missing}: no such file or directory`],
  [['run', '--interp', badAsm], `a64jit run: ${badAsm}:2:3: unknown mnemonic 'exot' (at 'exot')`],
  [['disasm', badAsm], `a64jit disasm: ${badAsm}:2:3: unknown mnemonic 'exot' (at 'exot')`],
  [['disasm', '--arm64', badAsm], `a64jit disasm: ${badAsm}:2:3: unknown mnemonic 'exot' (at 'exot')`],
  [['asm', badAsm], `a64jit asm: ${badAsm}:2:3: unknown mnemonic 'exot' (at 'exot')`],
  [['run', '--interp', emptyData], `a64jit run: ${emptyData}:1: the test has neither '-- asm' nor '-- raw'`],
  [['disasm', emptyData], `a64jit disasm: ${emptyData}:1: the test has neither '-- asm' nor '-- raw'`],
  [['run', '--interp', shortElf], `a64jit run: ${shortElf}: file is 4 bytes, shorter than an ELF64 header (at file offset 0x0)`],
  [['disasm', shortElf], `a64jit disasm: ${shortElf}: file is 4 bytes, shorter than an ELF64 header (at file offset 0x0)`],
  [['run', '--interp', '--mem-file', missing, badAsm], `a64jit run: ${badAsm}:2:3: unknown mnemonic 'exot' (at 'exot')`],
];

describe('one error form for every command', () => {
  it.each(cases)('a64jit %j', async (args, want) => {
    const io = fakeIo();
    expect(await main(args, io)).toBe(1);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe(`${want}\n`);
    expect(io.stderr).not.toMatch(/^a64jit \S+: \w*Error: /);
  });
});
