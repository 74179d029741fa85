import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CliInputError } from '../../src/cli/command.js';
import { MAX_INPUT_BYTES, readInput } from '../../src/cli/inputs.js';
import { main } from '../../src/cli/main.js';
import { fakeIo, spawnCli, tempDir, writeIn } from './support.js';

const dir = tempDir('inputs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readInput: the bounded read of every CLI input', () => {
  it('reads a file whole up to the limit, and refuses one byte more by its size', async () => {
    const ok = writeIn(dir, 'ok.bin', new Uint8Array(16).fill(7));
    expect(await readInput(ok, fakeIo(), { limit: 16 })).toEqual(new Uint8Array(16).fill(7));
    const big = writeIn(dir, 'big.bin', new Uint8Array(17));
    await expect(readInput(big, fakeIo(), { limit: 16, what: '--data-in' })).rejects.toThrow(
      new CliInputError(`${big}: --data-in: larger than 16 bytes, the limit for an input (a64jit reads inputs whole)`),
    );
  });

  it('refuses an endless device after the limit, not at the end', async () => {
    const t0 = Date.now();
    await expect(readInput('/dev/zero', fakeIo(), { limit: 1024 * 1024, what: '--mem-file' })).rejects.toThrow('/dev/zero: --mem-file: larger than 1 MiB');
    expect(Date.now() - t0).toBeLessThan(30_000); // a bound on a hang, not a speed figure
  });

  it('standard input has the same limit', async () => {
    await expect(readInput('-', fakeIo(new Uint8Array(9)), { limit: 8 })).rejects.toThrow('<stdin>: larger than 8 bytes');
    expect(await readInput('-', fakeIo('abc'), { limit: 8 })).toEqual(new TextEncoder().encode('abc'));
  });

  it('missing files and directories are typed errors naming the option', async () => {
    await expect(readInput(`${dir}/nope`, fakeIo(), { what: '--ctx-in' })).rejects.toThrow(new CliInputError(`${dir}/nope: --ctx-in: cannot read: no such file`));
    await expect(readInput(dir, fakeIo())).rejects.toThrow(new CliInputError(`${dir}: cannot read: is a directory`));
  });

  it('the limit is 64 MiB', () => expect(MAX_INPUT_BYTES).toBe(64 * 1024 * 1024));
});

describe('run --mem-file and standard input over the limit', () => {
  it('--mem-file /dev/zero fails fast with the one error form, exit 1', async () => {
    const prog = writeIn(dir, 'p.s', 'mov %r0, 1\nexit\n');
    const io = fakeIo();
    expect(await main(['run', prog, '--interp', '--mem-file', '/dev/zero'], io)).toBe(1);
    expect(io.stderr).toBe('a64jit run: /dev/zero: --mem-file: larger than 64 MiB, the limit for an input (a64jit reads inputs whole)\n');
  });

  it('a program on standard input over 64 MiB, in a real process', () => {
    const r = spawnCli(['run', '-', '--interp'], { input: new Uint8Array(MAX_INPUT_BYTES + 1) });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('a64jit run: <stdin>: larger than 64 MiB, the limit for an input (a64jit reads inputs whole)\n');
  });
});
