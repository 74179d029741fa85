import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sameArchNode } from '../../src/runtime/index.js';
import { BIN, tempDir, writeIn } from './support.js';

/**
 * `a64jit disasm big.o | head`: the reader closes the pipe after a few lines. The command must
 * stop quietly (exit 0, nothing on stderr), not die on an unhandled EPIPE with a stack trace.
 */
describe('a64jit writing into a pipe the reader closed', () => {
  it('stops quietly with exit code 0', async () => {
    // about 400 KB of listing, far more than a pipe buffer holds
    const big = writeIn(tempDir('pipe'), 'big.s', `${'mov %r0, 1\n'.repeat(20_000)}exit\n`);
    const node = sameArchNode();
    const child = spawn(node.command, [...node.args, BIN, 'disasm', big], { env: { ...process.env, ...node.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(b.toString('utf8'))));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(first).toMatch(/r0 = 0x1/);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 120_000);
});
