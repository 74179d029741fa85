import { BpfAsmError } from '../../../src/bpf/asm-error.js';
import { disassemble, formatDisassembly } from '../../../src/bpf/disassembler.js';
import { BpfLoadError } from '../../../src/bpf/elf-error.js';
import { loadBpfObject } from '../../../src/bpf/elf-loader.js';
import { ElfFile } from '../../../src/bpf/elf-reader.js';
import { BpfDecodeError, decodeProgram, encodeProgram, type BpfInsn } from '../../../src/bpf/instruction.js';
import { interpret } from '../../../src/bpf/interpreter.js';
import { assembleLlvm } from '../../../src/bpf/llvm-asm.js';
import { LLVM_FORMS } from '../../../src/bpf/llvm-forms.js';
import { BpfRuntimeError } from '../../../src/bpf/memory.js';
import { assembleUbpf } from '../../../src/bpf/ubpf-assembler.js';
import { BpfValidationError, validateProgram } from '../../../src/bpf/validate.js';
import { randomInstance } from './llvm-corpus.js';
import { Prng } from './prng.js';

/**
 * Robustness fuzzing of the BPF toolkit: random and mutated bytecode, assembly text and ELF
 * objects go through decode / validate / interpret / assemble / disassemble / load, and the
 * only acceptable failures are the toolkit's typed errors. Anything else (a TypeError, a
 * RangeError from a DataView, a stack overflow) is a finding, as is a case that takes
 * longer than `slowMs` (a loop that is not properly bounded).
 *
 * It also checks one property on every bytecode case: assemble(disassemble(b)) == b.
 */

const TYPED = [BpfDecodeError, BpfValidationError, BpfRuntimeError, BpfLoadError, BpfAsmError] as const;

export interface FuzzSeeds {
  /** real programs (e.g. linked C fixtures) to mutate */
  readonly programs: readonly (readonly BpfInsn[])[];
  /** real ELF objects to mutate */
  readonly objects: readonly Uint8Array[];
  /** assembly lines to mutate */
  readonly asmLines: readonly string[];
}

export interface FuzzFinding {
  readonly case: number;
  readonly kind: string;
  readonly error: string;
  /** the input, hex or text, cut to a readable length */
  readonly input: string;
}

export interface FuzzReport {
  readonly cases: number;
  /** outcomes per input kind: { bytecode: { ok: n, BpfDecodeError: n, ... }, ... } */
  readonly outcomes: Record<string, Record<string, number>>;
  readonly findings: readonly FuzzFinding[];
  readonly slowestMs: number;
}

export function runFuzz(cases: number, seed: number, seeds: FuzzSeeds, slowMs = 5000): FuzzReport {
  const rng = new Prng(seed);
  const outcomes: Record<string, Record<string, number>> = {};
  const findings: FuzzFinding[] = [];
  const elfInfo = seeds.objects.map((o) => ({ bytes: o, elf: new ElfFile(o) }));
  let slowestMs = 0;
  const count = (kind: string, outcome: string): void => {
    const k = (outcomes[kind] ??= {});
    k[outcome] = (k[outcome] ?? 0) + 1;
  };

  for (let c = 0; c < cases; c++) {
    const pick = rng.int(0, 99);
    const kind = pick < 30 ? 'bytecode' : pick < 55 ? 'mutated-bytecode' : pick < 70 ? 'assembly' : 'elf';
    let input = '';
    const start = performance.now();
    try {
      let outcome: string;
      if (kind === 'bytecode' || kind === 'mutated-bytecode') {
        const bytes = kind === 'bytecode' ? randomBytecode(rng) : mutateProgram(rng, seeds.programs);
        input = Buffer.from(bytes.subarray(0, 256)).toString('hex');
        outcome = bytecodeCase(bytes);
      } else if (kind === 'assembly') {
        const text = randomAssembly(rng, seeds.asmLines);
        input = text.slice(0, 400);
        outcome = assemblyCase(text, rng.chance(0.8));
      } else {
        if (elfInfo.length === 0) {
          count(kind, 'skipped (no seed objects)');
          continue;
        }
        const bytes = mutateElf(rng, rng.pick(elfInfo));
        input = `${bytes.length} bytes`;
        outcome = elfCase(bytes);
      }
      count(kind, outcome);
    } catch (e) {
      const typed = TYPED.find((t) => e instanceof t);
      if (typed !== undefined) {
        count(kind, typed.name);
      } else {
        count(kind, 'UNTYPED');
        if (findings.length < 50) {
          findings.push({ case: c, kind, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` : String(e), input });
        }
      }
    }
    const ms = performance.now() - start;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > slowMs && findings.length < 50) findings.push({ case: c, kind, error: `slow: ${ms.toFixed(0)} ms`, input });
  }
  return { cases, outcomes, findings, slowestMs };
}

/** decode -> disassemble/reassemble -> validate -> interpret (small budget). */
function bytecodeCase(bytes: Uint8Array): string {
  const insns = decodeProgram(bytes);
  const text = formatDisassembly(disassemble(insns));
  const again = encodeProgram(assembleLlvm(text));
  if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) {
    throw new Error(`disassembly does not reassemble to the same bytes:\n${text.slice(0, 300)}`);
  }
  validateProgram(insns);
  interpret(insns, { mem: new Uint8Array(64), maxInstructions: 5000, validate: false });
  return 'ok';
}

function assemblyCase(text: string, llvm: boolean): string {
  if (llvm) {
    const insns = assembleLlvm(text);
    // Whatever assembled must disassemble and reassemble to the same slots.
    const back = encodeProgram(assembleLlvm(formatDisassembly(disassemble(insns))));
    if (Buffer.compare(Buffer.from(back), Buffer.from(encodeProgram(insns))) !== 0) throw new Error('llvm asm -> disasm -> asm changed the bytes');
  } else {
    assembleUbpf(text);
  }
  return 'ok';
}

function elfCase(bytes: Uint8Array): string {
  const obj = loadBpfObject(bytes);
  for (const p of obj.programs) {
    disassemble(p.insns);
    try {
      validateProgram(p.insns);
    } catch (e) {
      if (!(e instanceof BpfValidationError)) throw e;
    }
  }
  return 'ok';
}

const CODES = [...new Set(LLVM_FORMS.map((f) => f.code))];
const INTERESTING32 = [0, 1, -1, 7, 8, 0x7fff, -0x8000, 0xffff, 0x7fff_ffff, -0x8000_0000, 16, 32, 64, 0x100, 0x110, 0xe1, 0xf1];

function randomBytecode(rng: Prng): Uint8Array {
  const r = rng.int(0, 9);
  if (r < 3) {
    // raw random bytes, sometimes not a whole number of slots
    const n = rng.int(0, 40) * 8 + (rng.chance(0.15) ? rng.int(1, 7) : 0);
    return rng.bytes(n);
  }
  // plausible instructions: random forms (registers up to r11), a few raw slots, often an exit
  const insns: BpfInsn[] = [];
  const n = rng.int(1, 30);
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.1)) {
      const b = rng.bytes(8);
      insns.push(...decodeProgram(b));
    } else {
      const slots = randomInstance(rng.pick(LLVM_FORMS), rng, 11);
      // keep jumps mostly inside the program so the interpreter gets to run something
      for (const s of slots) {
        if (rng.chance(0.8) && s.off !== 0 && (s.code & 0x07) >= 5) s.off = rng.int(-i, n - i);
      }
      insns.push(...slots);
    }
  }
  if (rng.chance(0.7)) insns.push({ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
  return encodeProgram(insns);
}

function mutateProgram(rng: Prng, programs: readonly (readonly BpfInsn[])[]): Uint8Array {
  const base = programs.length > 0 ? rng.pick(programs) : decodeProgram(randomBytecode(rng).subarray(0, 0));
  const insns = base.map((i) => ({ ...i }));
  const rounds = rng.int(1, 4);
  for (let k = 0; k < rounds && insns.length > 0; k++) {
    const at = rng.int(0, insns.length - 1);
    const s = insns[at]!;
    switch (rng.int(0, 7)) {
      case 0: s.code = rng.pick(CODES); break;
      case 1: s.code = rng.int(0, 255); break;
      case 2: s.dst = rng.int(0, 15); break;
      case 3: s.src = rng.int(0, 15); break;
      case 4: s.off = rng.pick(INTERESTING32.filter((v) => v >= -0x8000 && v <= 0x7fff)); break;
      case 5: s.imm = rng.pick(INTERESTING32.filter((v) => v >= -0x8000_0000 && v <= 0x7fff_ffff)); break;
      case 6: insns.splice(at, 1); break;
      case 7: insns.splice(at, 0, { ...insns[rng.int(0, insns.length - 1)]! }); break;
    }
  }
  const bytes = encodeProgram(insns);
  return rng.chance(0.05) ? bytes.subarray(0, rng.int(0, bytes.length)) : bytes;
}

const ASM_VOCAB = [
  'r0', 'r1', 'r10', 'r11', 'r12', 'w0', 'w3', '=', '+=', 's>>=', 's/=', '*', '(', ')', '[', ']', 'u64', 'u8', 's16', '+', '-',
  '0x7fffffff', '-1', '18446744073709551615', '99999999999999999999', 'goto', 'gotol', 'if', '>', 's<=', '&', 'call', 'callx',
  'exit', 'lock', 'll', 'be16', 'bswap64', 'pc', 'L1', 'L1:', ':', ',', 'atomic_fetch_add', 'cmpxchg_64', 'load_acquire',
  'store_release', 'map_value', '.insn', '#', '//', '<', '>', 'skb', '%r1', 'mov', 'ldxdw', 'ja', 'jeq', '\t', '\n', '\u00e9', '\u0000',
];

function randomAssembly(rng: Prng, lines: readonly string[]): string {
  const out: string[] = [];
  const n = rng.int(1, 8);
  for (let i = 0; i < n; i++) {
    if (lines.length > 0 && rng.chance(0.6)) {
      let l = rng.pick(lines);
      const edits = rng.chance(0.3) ? 0 : rng.int(1, 3);
      for (let k = 0; k < edits; k++) {
        const at = rng.int(0, l.length);
        const e = rng.int(0, 2);
        if (e === 0) l = l.slice(0, at) + l.slice(at + 1);
        else if (e === 1) l = l.slice(0, at) + rng.pick(ASM_VOCAB) + l.slice(at);
        else l = l.slice(0, at) + String.fromCharCode(rng.int(32, 126)) + l.slice(at);
      }
      out.push(l);
    } else {
      out.push(Array.from({ length: rng.int(1, 10) }, () => rng.pick(ASM_VOCAB)).join(rng.chance(0.5) ? ' ' : ''));
    }
  }
  return out.join('\n');
}

function interesting(rng: Prng, len: number): bigint {
  return rng.pick([0n, 1n, 2n, 7n, 8n, 24n, 64n, 0xffffn, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, BigInt(len), BigInt(len - 1), BigInt(len + 1), 1n << 53n, 1n << 63n, BigInt(rng.u32())]);
}

function mutateElf(rng: Prng, seed: { bytes: Uint8Array; elf: ElfFile }): Uint8Array {
  const b = Uint8Array.from(seed.bytes);
  const v = new DataView(b.buffer);
  const put = (at: number, width: 1 | 2 | 4 | 8): void => {
    if (at < 0 || at + width > b.length) return;
    const x = interesting(rng, b.length);
    if (width === 8) v.setBigUint64(at, BigInt.asUintN(64, x), true);
    else if (width === 4) v.setUint32(at, Number(BigInt.asUintN(32, x)), true);
    else if (width === 2) v.setUint16(at, Number(BigInt.asUintN(16, x)), true);
    else v.setUint8(at, Number(BigInt.asUintN(8, x)));
  };
  const { sections, symbols } = seed.elf;
  const rounds = rng.int(1, 3);
  for (let k = 0; k < rounds; k++) {
    switch (rng.int(0, 7)) {
      case 0: // random byte flips anywhere
        for (let i = rng.int(1, 8); i > 0; i--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
        break;
      case 1: { // a section header field
        const s = rng.pick(sections);
        const [off, w] = rng.pick([[0, 4], [4, 4], [8, 8], [24, 8], [32, 8], [40, 4], [44, 4], [56, 8]] as const);
        put(s.headerOffset + off, w);
        break;
      }
      case 2: { // a symbol field
        const symtab = sections.find((s) => s.type === 2);
        if (symtab === undefined || symbols.length === 0) break;
        const at = symtab.offset + rng.int(0, symbols.length - 1) * 24;
        const [off, w] = rng.pick([[0, 4], [4, 1], [6, 2], [8, 8], [16, 8]] as const);
        put(at + off, w);
        break;
      }
      case 3: { // a relocation entry
        const rels = sections.filter((s) => s.type === 9 && s.size >= 16);
        if (rels.length === 0) break;
        const s = rng.pick(rels);
        const at = s.offset + rng.int(0, s.size / 16 - 1) * 16;
        put(at + rng.pick([0, 8, 12]), rng.pick([4, 8] as const));
        break;
      }
      case 4: { // bytes inside one section (code, BTF, data, strings, ...)
        const s = rng.pick(sections.filter((x) => x.size > 0 && x.type !== 8));
        if (s === undefined) break;
        for (let i = rng.int(1, 6); i > 0; i--) {
          const at = s.offset + rng.int(0, s.size - 1);
          if (rng.chance(0.5)) b[at] ^= 1 << rng.int(0, 7);
          else put(at - (at % 4), 4);
        }
        break;
      }
      case 5: // ELF header fields
        put(rng.pick([16, 18, 20, 40, 52, 58, 60, 62]), rng.pick([2, 4, 8] as const));
        break;
      case 6:
        return b.subarray(0, rng.int(0, b.length));
      case 7: { // copy a block over another (splices structures into wrong places)
        const len = rng.int(1, 64);
        const from = rng.int(0, Math.max(0, b.length - len));
        b.copyWithin(rng.int(0, Math.max(0, b.length - len)), from, from + len);
        break;
      }
    }
  }
  return b;
}
