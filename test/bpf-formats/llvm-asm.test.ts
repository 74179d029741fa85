import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BpfAsmError } from '../../src/bpf/asm-error.js';
import { disassemble, disassembleBytes, formatDisassembly } from '../../src/bpf/disassembler.js';
import { decodeProgram, encodeProgram } from '../../src/bpf/instruction.js';
import { assembleLlvm } from '../../src/bpf/llvm-asm.js';
import { LLVM_FORMS } from '../../src/bpf/llvm-forms.js';
import {
  LLVM_MC,
  LLVM_OBJDUMP,
  goldenText,
  haveTool,
  hexOf,
  llvmCorpus,
  llvmMcEncodings,
  llvmObjdump,
  parseGolden,
} from './support/llvm-corpus.js';

const GOLDEN = new URL('../golden/bpf-llvm-corpus.tsv', import.meta.url);
const UPDATE = process.env.A64JIT_UPDATE_GOLDEN === '1';
const LLVM = haveTool(LLVM_MC) && haveTool(LLVM_OBJDUMP);

const corpus = llvmCorpus();
const asmHex = (src: string): string => hexOf(encodeProgram(assembleLlvm(src)));

describe('LLVM-syntax corpus against llvm-mc-22 (golden: test/golden/bpf-llvm-corpus.tsv)', () => {
  it.runIf(UPDATE && LLVM)('regenerates the golden file from llvm-mc', () => {
    const enc = llvmMcEncodings(corpus.map((l) => l.input));
    expect(enc).toHaveLength(corpus.length);
    // The golden holds llvm-mc's bytes, not ours: a disagreement shows up in the tests below.
    const text = goldenText(corpus).split('\n');
    writeFileSync(
      GOLDEN,
      text.map((l, i) => (l === '' ? l : l.split('\t').map((f, j) => (j === 1 ? enc[i]! : f)).join('\t'))).join('\n'),
    );
  });

  const golden = existsSync(GOLDEN) ? parseGolden(readFileSync(GOLDEN, 'utf8')) : [];

  it('covers every llvm-mc form with at least 5,000 instructions', () => {
    expect(golden.length).toBeGreaterThanOrEqual(5000);
    const used = new Set(corpus.map((l) => l.form));
    const llvmForms = LLVM_FORMS.flatMap((f, i) => (f.llvm ? [i] : []));
    expect(llvmForms.filter((i) => !used.has(i))).toEqual([]);
  });

  it('the seeded generator still produces the golden text', () => {
    expect(golden.map((g) => [g.input, g.canonical])).toEqual(corpus.map((l) => [l.input, l.canonical]));
  });

  it('assembles every golden line to the bytes llvm-mc produced', () => {
    const bad = golden.filter((g) => asmHex(g.input) !== g.hex).map((g) => `${g.input} -> ${asmHex(g.input)} (llvm ${g.hex})`);
    expect(bad.slice(0, 20)).toEqual([]);
  });

  it('disassembles every golden encoding back to the canonical text (disasm(asm(x)) == x)', () => {
    const bad = golden
      .map((g) => ({ g, text: disassembleBytes(Buffer.from(g.hex, 'hex')).map((l) => l.text).join(' | ') }))
      .filter(({ g, text }) => text !== g.canonical)
      .map(({ g, text }) => `${g.hex}: ${text} (want ${g.canonical})`);
    expect(bad.slice(0, 20)).toEqual([]);
  });

  it.runIf(LLVM)('golden bytes are still what llvm-mc-22 produces', () => {
    const enc = llvmMcEncodings(golden.map((g) => g.input));
    const bad = golden.flatMap((g, i) => (enc[i] === g.hex ? [] : [`${g.input}: golden ${g.hex}, llvm-mc ${enc[i]}`]));
    expect(bad.slice(0, 20)).toEqual([]);
    expect(enc).toHaveLength(golden.length);
  });

  it.runIf(LLVM)('the disassembler prints what llvm-objdump-22 prints for the same object', () => {
    const { text, bytes } = llvmObjdump(golden.map((g) => g.input).join('\n') + '\n');
    const ours = disassembleBytes(bytes);
    expect(ours.length).toBe(text.size);
    const bad = ours.filter((l) => text.get(l.pc) !== l.text).map((l) => `${l.pc}: ours '${l.text}', objdump '${text.get(l.pc)}'`);
    expect(bad.slice(0, 20)).toEqual([]);
  });
});

describe('labels', () => {
  // Forward and backward targets through every pc-relative form llvm-mc resolves itself.
  const program = [
    'entry:',
    '  r6 = r1',
    'LBB0_1:',
    '  if r6 > 5 goto LBB0_3',
    '  if w6 s< w2 goto LBB0_1',
    '  r1 = 0x1122334455667788 ll',
    '  call sub',
    '  gotol LBB0_1',
    '  may_goto LBB0_3',
    'LBB0_3:',
    '  goto entry',
    '  exit',
    'sub: r0 = 1',
    '  exit',
  ].join('\n');

  it.runIf(LLVM)('resolve to the bytes llvm-mc-22 writes into the object', () => {
    expect(asmHex(program)).toBe(hexOf(llvmObjdump(program).bytes));
  });

  it('resolve to the documented offsets (also without LLVM)', () => {
    const insns = assembleLlvm(program);
    expect(insns[1]).toMatchObject({ code: 0x25, dst: 6, off: 6, imm: 5 }); // pc 1 -> pc 8
    expect(insns[2]).toMatchObject({ code: 0xce, dst: 6, src: 2, off: -2 }); // pc 2 -> pc 1
    expect(insns[5]).toMatchObject({ code: 0x85, src: 1, imm: 4 }); // call sub (pc 10)
    expect(insns[6]).toMatchObject({ code: 0x06, imm: -6 });
    expect(insns[7]).toMatchObject({ code: 0xe5, off: 0 });
    expect(insns[8]).toMatchObject({ code: 0x05, off: -9 });
  });

  it('disassemble with labels and reassemble to the same bytes', () => {
    const insns = assembleLlvm(program);
    const listing = formatDisassembly(disassemble(insns, { labels: true }));
    expect(listing).toContain('call L10');
    expect(listing).toContain('goto L0');
    expect(encodeProgram(assembleLlvm(listing))).toEqual(encodeProgram(insns));
  });

  it('accept llvm-objdump listings (pc column, <target> notes)', () => {
    const src = '       0:\tif r1 > 0x5 goto +0x1 <.text+0x10>\n       1:\tr0 = -0x1 ll\n       3:\texit\n';
    expect(asmHex(src)).toBe('2501010005000000' + '18000000ffffffff00000000ffffffff' + '9500000000000000');
  });
});

describe('extensions llvm-mc-22 does not know', () => {
  it('R11 stack-argument accesses match the bytes in docs/bpf-stack-args.md', () => {
    expect(asmHex('*(u64 *)(r11 - 8) = r1')).toBe('7b1bf8ff00000000');
    expect(asmHex('r0 = *(u64 *)(r11 + 8)')).toBe('79b0080000000000');
    expect(asmHex('*(u64 *)(r11 - 16) = 30')).toBe('7a0bf0ff1e000000');
    expect(disassembleBytes(Buffer.from('7b1bf8ff00000000', 'hex'))[0]!.text).toBe('*(u64 *)(r11 - 0x8) = r1');
    expect(disassembleBytes(Buffer.from('79b0080000000000', 'hex'))[0]!.text).toBe('r0 = *(u64 *)(r11 + 0x8)');
    expect(disassembleBytes(Buffer.from('7a0bf0ff1e000000', 'hex'))[0]!.text).toBe('*(u64 *)(r11 - 0x10) = 0x1e');
  });

  it.each([
    ['call pc+0x5', '8510000005000000'],
    ['call pc-0x1', '85100000ffffffff'],
    ['call kfunc(0x7)', '8520000007000000'],
    ['r1 = map_fd(0x3) ll', '18110000030000000000000000000000'],
    ['r1 = map_value(0x3, 0x10) ll', '18210000030000000000000010000000'],
    ['r2 = btf_id(0x2a) ll', '18320000' + '2a000000' + '0000000000000000'],
    ['r1 = func(pc+0x4) ll', '18410000040000000000000000000000'],
    ['r1 = map_idx(0x0) ll', '18510000000000000000000000000000'],
    ['r1 = map_idx_value(0x1, -0x8) ll', '1861000001000000' + '00000000f8ffffff'],
    ['.insn 0x95, 0, 0, 0x0, 0x5', '9500000005000000'],
    ['.insn 0xff, 15, 15, -0x8000, -0x80000000', 'ffff008000000080'],
  ])('%s <-> %s', (text, hex) => {
    expect(asmHex(text)).toBe(hex);
    expect(disassembleBytes(Buffer.from(hex, 'hex')).map((l) => l.text)).toEqual([text]);
  });

  it('spells encodings without an LLVM form as .insn', () => {
    const cases = [
      '9500000001000000', // exit with imm != 0
      '0f00010000000000', // add with off != 0
      'bf10030000000000', // mov with an unknown off
      '07c0000000000000', // src register 12 in an imm form (src must be 0)
      '07c0000001000000',
      '07c00000' + '00000000',
      '1801000000000000', // LDDW without its second slot
      'fe00000000000000', // no such opcode
      'b70c000000000000', // r12
    ];
    for (const hex of cases) {
      const lines = disassembleBytes(Buffer.from(hex, 'hex'));
      expect(lines[0]!.known, hex).toBe(false);
      expect(lines[0]!.text, hex).toMatch(/^\.insn /);
      expect(asmHex(lines.map((l) => l.text).join('\n')), hex).toBe(hex);
    }
  });

  it('rN spelling of narrow loads/stores with alu32: false', () => {
    const insns = assembleLlvm('w0 = *(u8 *)(r1 + 8)\n*(u16 *)(r10 - 2) = w3');
    expect(disassemble(insns, { alu32: false }).map((l) => l.text)).toEqual([
      'r0 = *(u8 *)(r1 + 0x8)',
      '*(u16 *)(r10 - 0x2) = r3',
    ]);
  });
});

describe('errors are BpfAsmError with line:column and the token', () => {
  it.each([
    ['r0 = r1 +', 1, 9, '+'],
    ['\n  r0 = *(u64 *)(r1 + 8', 2, 23, ''],
    ['w0 = *(u64 *)(r1 + 0)', 1, 8, 'u64'],
    ['r0 = -r1', 1, 7, 'r1'],
    ['r0 = 0x100000000', 1, 6, '0x100000000'],
    ['goto +32768', 1, 7, '32768'],
    ['r0 = *(u8 *)(r1 + 32768)', 1, 19, '32768'],
    ['r12 = 1', 1, 1, 'r12'],
    ['goto nowhere', 1, 6, 'nowhere'],
    ['a: exit\na: exit', 2, 1, 'a'],
    ['r0 = 08', 1, 6, '08'],
    ['r0 = 1 @', 1, 8, '@'],
    ['frobnicate r0', 1, 1, 'frobnicate'],
    ['.insn 0x100, 0, 0, 0, 0', 1, 7, '0x100'],
    ['r1 = addr_space_cast(r2, 65536, 0)', 1, 26, '65536'],
  ])('%j', (src, line, column, token) => {
    let err: unknown;
    try {
      assembleLlvm(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfAsmError);
    expect(err).toMatchObject({ line, column, token });
  });
});

it('every slot sequence disassembles and reassembles to itself', async () => {
  const { Prng } = await import('./support/prng.js');
  const rng = new Prng(7);
  for (let k = 0; k < 2000; k++) {
    const bytes = rng.bytes(8 * rng.int(1, 6));
    // Bias towards real opcodes so the interesting forms are hit often.
    for (let at = 0; at < bytes.length; at += 8) if (rng.chance(0.7)) bytes[at] = rng.pick([...new Set(LLVM_FORMS.map((f) => f.code))]);
    const text = formatDisassembly(disassemble(decodeProgram(bytes)));
    expect(hexOf(encodeProgram(assembleLlvm(text))), text).toBe(hexOf(bytes));
  }
});
