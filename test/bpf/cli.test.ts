import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fakeIo } from '../cli/support.js';
import { haveSuite, suiteNegativeDir, suiteTestsDir, warnIfNoSuite } from './shared-suite.js';


warnIfNoSuite('the CLI conformance runs (test/bpf/cli.test.ts)');

describe.skipIf(!haveSuite)('a64jit conformance --interp', () => {
  it('runs the suite and closes with the counts', async () => {
    const io = fakeIo();
    expect(await main(['conformance', '--interp', suiteTestsDir], io)).toBe(0);
    expect(io.stdout).toBe('313 passed, 0 failed\n');
  });

  it('prints one line per failure and exits non-zero', async () => {
    const io = fakeIo();
    expect(await main(['conformance', '--interp', suiteNegativeDir, join(suiteTestsDir, 'add.data')], io)).toBe(1);
    const lines = io.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('1 passed, 60 failed');
    expect(lines.slice(0, -1).every((l) => l.startsWith('FAIL '))).toBe(true);
    expect(lines).toHaveLength(61);
  });
});

describe('a64jit conformance', () => {
  it('a missing path is bad input, in the one error form', async () => {
    const io = fakeIo();
    expect(await main(['conformance', '--interp', '/nonexistent/x.data'], io)).toBe(1);
    expect(io.stderr).toBe('a64jit conformance: /nonexistent/x.data: no such file or directory\n');
  });
});

describe('a64jit asm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-asm-'));

  it('prints hex slots for a uBPF source file', async () => {
    const src = join(dir, 'p.asm');
    writeFileSync(src, 'mov32 %r0, 1\nexit\n');
    const io = fakeIo();
    expect(await main(['asm', src], io)).toBe(0);
    expect(io.stdout).toBe('b4 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n');
  });

  it('writes raw bytes with -o and reads standard input with -', async () => {
    const out = join(dir, 'p.bin');
    const io = fakeIo('lddw %r0, 0x1122334455667788\nexit\n');
    expect(await main(['asm', '-o', out, '-'], io)).toBe(0);
    expect(readFileSync(out).toString('hex')).toBe('180000008877665500000000443322119500000000000000');
  });

  it('reports assembly errors with file:line:column and exits 1', async () => {
    const io = fakeIo('exit\n  bogus %r0\n');
    expect(await main(['asm', '-'], io)).toBe(1);
    expect(io.stderr).toBe("a64jit asm: <stdin>:2:3: unknown mnemonic 'bogus' (at 'bogus')\n");
  });

  it('rejects an unknown syntax', async () => {
    const io = fakeIo();
    expect(await main(['asm', '--syntax', 'nasm', 'x'], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown syntax 'nasm'/);
  });
});
