import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fakeIo, tempDir, writeIn } from '../cli/support.js';

/** `a64jit run --sandbox / --budget N`, and contained faults, as a user sees them. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = fakeIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const dir = tempDir('safety');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a64jit run: safety', () => {
  const oob = writeIn(dir, 'oob.s', 'ldxdw %r0, [%r1+12]\nexit\n');
  const endless = writeIn(dir, 'endless.s', 'loop:\nja loop\nexit\n');
  const wild = writeIn(dir, 'wild.s', 'lddw %r1, 0x10\nldxdw %r0, [%r1+0]\nexit\n');

  it('--sandbox: an out-of-bounds read stops with pc, access, size and the nearest region, JIT and interpreter', async () => {
    for (const engine of [[], ['--interp']]) {
      const r = await cli(['run', ...engine, '--sandbox', oob, '--mem', '00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f']);
      expect(r.code, engine.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^a64jit run: .*oob\.s: run-time error: pc 0: out-of-bounds read of 8 bytes at address 0x[0-9a-f]+ \(offset 12 of mem 'mem' \[0x[0-9a-f]+, \+16\): 4 of its bytes lie past the end\)\n$/);
    }
  });

  it('--budget N: an endless loop stops with the budget error, JIT and interpreter', async () => {
    const jit = await cli(['run', '--no-verify', '--budget', '1000', endless]);
    expect([jit.code, jit.stderr]).toEqual([1, `a64jit run: ${endless}: run-time error: pc 0: instruction budget of 1000 back-edges and calls exhausted\n`]);
    const interp = await cli(['run', '--interp', '--no-verify', '--budget', '1000', endless]);
    expect([interp.code, interp.stderr]).toEqual([1, `a64jit run: ${endless}: run-time error: pc 0: instruction budget of 1000 exhausted\n`]);
    // the default budget of unverified code stops it too (verified, it is refused: the verifier sees the loop)
    expect((await cli(['run', endless])).stderr).toMatch(/infinite loop detected/);
    expect((await cli(['run', '--no-verify', endless])).stderr).toMatch(/instruction budget of 1000000 back-edges and calls exhausted/);
  });

  it('a wild pointer under --no-verify without --sandbox is a contained fault, one line, exit 1', async () => {
    const r = await cli(['run', '--no-verify', wild]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^a64jit run: .*wild\.s: run-time error: pc 2: SIGSEGV on a read of 8 bytes at address 0x10 .*the fault was contained\n$/);
  });

  it('--budget takes a positive integer', async () => {
    for (const bad of ['0', '1.5', 'lots']) {
      const r = await cli(['run', '--budget', bad, endless]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`a64jit run: --budget must be a positive integer, got '${bad}'`);
    }
  });
});
