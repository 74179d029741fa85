import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disassembleInsn } from '../../../src/bpf/disassembler.js';
import { encodeProgram, type BpfInsn } from '../../../src/bpf/instruction.js';
import { LLVM_FORMS, formSkeleton, type LlvmForm, type OperandKind } from '../../../src/bpf/llvm-forms.js';
import { Prng } from './prng.js';

export const LLVM_MC = 'llvm-mc-22';
export const LLVM_OBJDUMP = 'llvm-objdump-22';

export function haveTool(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface CorpusLine {
  /** what is fed to the assemblers */
  readonly input: string;
  /** the disassembler's spelling of the same bytes (== input except for alias lines) */
  readonly canonical: string;
  readonly slots: BpfInsn[];
  /** index into LLVM_FORMS */
  readonly form: number;
}

/** Values near the edges of a field are where encoders go wrong; mix them with random ones. */
function fieldValue(rng: Prng, bits: 16 | 32): number {
  const max = bits === 16 ? 0x7fff : 0x7fff_ffff;
  const r = rng.int(0, 9);
  if (r < 4) return rng.int(-64, 64);
  if (r < 8) return rng.int(-max - 1, max);
  return rng.pick([0, 1, -1, max, -max - 1]);
}

function imm64(rng: Prng): bigint {
  const r = rng.int(0, 3);
  if (r === 0) return BigInt(rng.int(-1000, 1000));
  if (r === 1) return BigInt(fieldValue(rng, 32));
  return BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
}

/** One random instance of a form: fixed fields from the form, operands random. */
export function randomInstance(form: LlvmForm, rng: Prng, maxReg = 10): BpfInsn[] {
  const insn: BpfInsn = formSkeleton(form);
  const hi: BpfInsn = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
  const ops = new Set<OperandKind>();
  for (const p of form.pieces) if ('op' in p) ops.add(p.op);
  for (const op of ops) {
    switch (op) {
      case 'rd': case 'wd': case 'xd':
        insn.dst = rng.int(0, maxReg);
        break;
      case 'rs': case 'ws': case 'xs':
        insn.src = rng.int(0, maxReg);
        break;
      case 'off': case 'joff':
        insn.off = fieldValue(rng, 16);
        break;
      case 'imm': case 'pcrel':
        insn.imm = fieldValue(rng, 32);
        break;
      case 'jimm':
        // llvm-mc-22 parses a numeric gotol target as 16-bit only (it encodes and prints
        // 32 bits); the assembler's own tests cover the full range.
        insn.imm = fieldValue(rng, 16);
        break;
      case 'imm2':
        hi.imm = fieldValue(rng, 32);
        break;
      case 'imm64': {
        const v = imm64(rng);
        insn.imm = Number(BigInt.asIntN(32, v));
        hi.imm = Number(BigInt.asIntN(32, v >> 32n));
        break;
      }
      case 'asd':
        insn.imm = ((rng.int(0, 0xffff) << 16) | (insn.imm & 0xffff)) | 0;
        break;
      case 'ass':
        insn.imm = ((insn.imm & ~0xffff) | rng.int(0, 0xffff)) | 0;
        break;
    }
  }
  return form.wide ? [insn, hi] : [insn];
}

/**
 * Other spellings llvm-mc also accepts for the same bytes: decimal numbers, no spaces
 * around operators, rN for narrow loads/stores. They check the assembler's leniency
 * against llvm-mc without the disassembler having to produce them.
 */
function alias(canonical: string, rng: Prng): string {
  let s = canonical;
  if (rng.chance(0.6)) s = s.replace(/0x[0-9a-f]+/g, (h) => BigInt(h).toString());
  if (rng.chance(0.5)) s = s.replace(/\(r(\d+) ([+-]) /g, '(r$1$2').replace(/ \*\)/g, '*)');
  if (rng.chance(0.5)) s = s.replace(/^w(\d+) = \*\(u/, 'r$1 = *(u').replace(/\) = w(\d+)$/, ') = r$1');
  if (rng.chance(0.3)) s = s.replace(/ = /, '=');
  return s;
}

/**
 * The llvm-mc corpus: every form llvm-mc-22 knows, `perForm` random instances each, plus an
 * alias spelling of every 7th line. Deterministic for a given seed.
 */
export function llvmCorpus(seed = 0xb9f, perForm = 32): CorpusLine[] {
  const rng = new Prng(seed);
  const out: CorpusLine[] = [];
  LLVM_FORMS.forEach((form, index) => {
    if (!form.llvm) return;
    for (let k = 0; k < perForm; k++) {
      const slots = randomInstance(form, rng);
      const canonical = disassembleInsn(slots, 0).text;
      out.push({ input: canonical, canonical, slots, form: index });
      if (out.length % 7 === 0) {
        const a = alias(canonical, rng);
        if (a !== canonical) out.push({ input: a, canonical, slots, form: index });
      }
    }
  });
  return out;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const bytesOf = (line: CorpusLine): Uint8Array => encodeProgram(line.slots);

/** Golden line: `input<TAB>hex` or, for an alias, `input<TAB>hex<TAB>canonical`. */
export function goldenText(lines: readonly CorpusLine[]): string {
  return lines
    .map((l) => [l.input, hexOf(bytesOf(l)), ...(l.input === l.canonical ? [] : [l.canonical])].join('\t'))
    .join('\n')
    .concat('\n');
}

export interface GoldenLine {
  readonly input: string;
  readonly hex: string;
  readonly canonical: string;
}

export function parseGolden(text: string): GoldenLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [input, hex, canonical] = l.split('\t') as [string, string, string | undefined];
      return { input, hex, canonical: canonical ?? input };
    });
}

/** Run llvm-mc -show-encoding over all lines at once; one encoding per input line. */
export function llvmMcEncodings(inputs: readonly string[]): string[] {
  const r = spawnSync(LLVM_MC, ['-triple=bpfel', '-mcpu=v4', '-show-encoding'], {
    input: inputs.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0 || r.stderr.trim() !== '') throw new Error(`llvm-mc failed:\n${r.stderr.slice(0, 4000)}`);
  const enc: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /# encoding: \[([^\]]*)\]/.exec(line);
    if (m) enc.push(m[1]!.split(',').map((b) => b.trim().replace(/^0x/, '').padStart(2, '0')).join(''));
  }
  return enc;
}

/**
 * Assemble `source` to an object with llvm-mc and disassemble it with llvm-objdump
 * (-mcpu=v4, no raw bytes). Returns pc -> text (the `<sym+off>` notes stripped) and the .text bytes.
 */
export function llvmObjdump(source: string): { text: Map<number, string>; bytes: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-llvm-'));
  try {
    const s = join(dir, 'a.s');
    const o = join(dir, 'a.o');
    const bin = join(dir, 'a.bin');
    writeFileSync(s, source);
    run(LLVM_MC, ['-triple=bpfel', '-mcpu=v4', '-filetype=obj', s, '-o', o]);
    const dump = run(LLVM_OBJDUMP, ['-d', '--mcpu=v4', '--no-show-raw-insn', o]);
    run('llvm-objcopy-22', ['-O', 'binary', '--only-section=.text', o, bin]);
    const text = new Map<number, string>();
    for (const line of dump.split('\n')) {
      const m = /^\s+(\d+):\t(.*)$/.exec(line);
      if (m) text.set(Number(m[1]), m[2]!.replace(/\s+<[^<>]*>$/, '').trimEnd());
    }
    return { text, bytes: new Uint8Array(readFileSync(bin)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed:\n${r.stderr.slice(0, 4000)}`);
  return r.stdout;
}
