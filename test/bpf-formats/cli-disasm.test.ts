import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { assembleLlvm } from '../../src/bpf/llvm-asm.js';
import { encodeProgram } from '../../src/bpf/instruction.js';
import { CLANG, compileBpf, fixtures } from './support/c-fixtures.js';
import { haveTool } from './support/llvm-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'a64jit-cli-disasm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), readStdin: async () => Buffer.from(stdin) };
  const code = await main(args, io);
  return { code, out, err };
}

const PROGRAM = 'r0 = 0x1\nif r1 > 0x5 goto +0x1\nr0 = *(u64 *)(r1 + 0x8)\nexit\n';

describe('a64jit disasm', () => {
  it('raw bytecode, hex text and .data files', async () => {
    const raw = join(dir, 'p.bin');
    writeFileSync(raw, encodeProgram(assembleLlvm(PROGRAM)));
    const want = ['     0:\tr0 = 0x1', '     1:\tif r1 > 0x5 goto +0x1', '     2:\tr0 = *(u64 *)(r1 + 0x8)', '     3:\texit', ''].join('\n');
    expect(await cli(['disasm', raw])).toEqual({ code: 0, out: want, err: '' });
    const hex = Buffer.from(readFileSync(raw)).toString('hex').replace(/(.{16})/g, '$1\n');
    expect((await cli(['disasm', '-'], hex)).out).toBe(want);
    const data = join(dir, 't.data');
    writeFileSync(data, '-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n');
    expect((await cli(['disasm', '--no-pcs', data])).out).toBe('\tr0 = 0x1\n\texit\n');
  });

  it('assembly input is detected (.s, or text that is not hex), in either syntax', async () => {
    const want = '     0:\tr0 = 0x2a\n     1:\texit\n';
    const s = join(dir, 'a.s');
    writeFileSync(s, 'mov %r0, 42\nexit\n');
    expect(await cli(['disasm', s])).toEqual({ code: 0, out: want, err: '' });
    expect(await cli(['disasm', '-'], 'r0 = 42\nexit\n')).toEqual({ code: 0, out: want, err: '' });
    expect(await cli(['disasm', '--format', 'asm', '--syntax', 'llvm', '-'], 'r0 = 42\nexit\n')).toEqual({ code: 0, out: want, err: '' });
    // hex text stays hex bytes
    expect((await cli(['disasm', '-'], 'b7 00 00 00 2a 00 00 00\n95 00 00 00 00 00 00 00\n')).out).toBe(want);
    const bad = await cli(['disasm', '-'], 'mov %r0, 42\n  bogus\n');
    expect(bad).toEqual({ code: 1, out: '', err: "a64jit disasm: <stdin>:2:3: unknown mnemonic 'bogus' (at 'bogus')\n" });
  });

  it('helper calls show their Linux name where the id has one: a note in the BPF listing, bpftool style in the JIT listing', async () => {
    const src = 'call 5\ncall 1\ncall 212\nexit\n';
    expect((await cli(['disasm', '--no-pcs', '-'], src)).out).toBe('\tcall 0x5\t# bpf_ktime_get_ns\n\tcall 0x1\t# bpf_map_lookup_elem\n\tcall 0xd4\n\texit\n');
    const jit = (await cli(['disasm', '--arm64', '-'], src)).out;
    expect(jit).toContain(';     0: call bpf_ktime_get_ns#5\n');
    expect(jit).toContain(';     1: call bpf_map_lookup_elem#1\n');
    expect(jit).toContain(';     2: call 0xd4\n'); // 212 is past the last Linux helper (211)
  });

  it('a .data file with no program is a typed error naming the file and line', async () => {
    const data = join(dir, 'none.data');
    writeFileSync(data, '-- result\n0x1\n');
    expect(await cli(['disasm', data])).toEqual({ code: 1, out: '', err: `a64jit disasm: ${data}:1: the test has neither '-- asm' nor '-- raw'\n` });
  });

  it('output re-assembles with asm --syntax llvm', async () => {
    const raw = join(dir, 'q.bin');
    const bytes = encodeProgram(assembleLlvm(PROGRAM));
    writeFileSync(raw, bytes);
    const listing = join(dir, 'q.s');
    writeFileSync(listing, (await cli(['disasm', '--labels', raw])).out);
    const back = join(dir, 'q2.bin');
    expect(await cli(['asm', '--syntax', 'llvm', '-o', back, listing])).toMatchObject({ code: 0 });
    expect(new Uint8Array(readFileSync(back))).toEqual(bytes);
  });

  it('usage errors exit 2, bad bytecode exits 1 with a typed error', async () => {
    expect((await cli(['disasm'])).code).toBe(2);
    expect((await cli(['disasm', '--format', 'nope', 'x'])).code).toBe(2);
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, new Uint8Array(12));
    const r = await cli(['disasm', '--format', 'raw', bad]);
    expect(r.code).toBe(1);
    // BpfDecodeError, in the one CLI error form: a64jit CMD: FILE: where: message
    expect(r.err).toMatch(new RegExp(`^a64jit disasm: ${bad}: .*byte offset 8.*\n$`));
  });

  it.runIf(haveTool(CLANG))('ELF objects: every entry point, --section, --entry, relocation notes', async () => {
    const obj = compileBpf(fixtures().find((f) => f.name === 'globals')!, 'v3', true, dir);
    const all = await cli(['disasm', obj]);
    expect(all.code).toBe(0);
    for (const name of ['counters', 'rodata_table', 'strings', 'pointer_table']) expect(all.out).toContain(`# .text:${name}\n`);
    expect(all.out).toMatch(/r\d = map_value\(0x2, 0x30\) ll\t# \.rodata\+0x30/);
    const one = await cli(['disasm', '--entry', 'hash_str', obj]);
    expect(one.out.startsWith('# .text:hash_str\nhash_str:\n')).toBe(true);
    const sub = compileBpf(fixtures().find((f) => f.name === 'subprogs')!, 'v4', false, dir);
    const tc = await cli(['disasm', '--section', 'tc', sub]);
    expect(tc.out).toContain('# tc:calls_across_sections');
    expect(tc.out).not.toContain('# socket:');
    expect(tc.out).toMatch(/call pc[+-]0x[0-9a-f]+\t# mix/);
    expect((await cli(['disasm', '--section', 'nope', sub])).code).toBe(1);
  });
});
