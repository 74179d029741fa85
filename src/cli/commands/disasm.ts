import { readFileSync } from 'node:fs';
import { conformanceProgram } from '../../bpf/conformance.js';
import { parseConformanceFile } from '../../bpf/conformance-file.js';
import { disassemble, type DisasmLine } from '../../bpf/disassembler.js';
import { loadBpfObject, type BpfCodeRelocation, type BpfObject } from '../../bpf/elf-loader.js';
import { decodeProgram, type BpfInsn } from '../../bpf/instruction.js';
import { arm64Listing, type ListingOptions } from '../arm64-listing.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';
import { engineError } from '../engine.js';
import { displayName, parseProgram, readInput } from '../inputs.js';

const FORMATS = ['elf', 'raw', 'hex', 'data'] as const;
type Format = (typeof FORMATS)[number];

const usage = `usage: a64jit disasm [options] <file | ->

Disassembles BPF bytecode to LLVM/kernel syntax, spelled as llvm-objdump prints it. The
output is valid input for 'a64jit asm --syntax llvm' (pc columns and '#' notes are skipped).

Input (detected, or --format):
  elf    a clang -target bpf object (.o): every entry point, linked with its callees
  data   a bpf_conformance .data test ('-- asm' or '-- raw' section)
  hex    hex bytes as text ("b7 00 00 00 01 00 00 00", also 0x... words per line)
  raw    bytecode, 8 bytes per slot

Options:
  --format <elf|raw|hex|data>
  --section <name>   (elf) only entry points in this section
  --entry <name>     (elf) only this function (a static function is linked on request)
  --labels           name jump and call targets (L<pc>) instead of +offsets
  --no-pcs           no slot-index column
  --no-alu32         rN instead of wN for 8/16/32-bit loads and stores (llvm-objdump -mcpu=v1/v2)

JIT listing:
  --arm64            each BPF instruction with the AArch64 code the JIT makes of it, objdump
                     style ('  ; pc: bpf text' then '  address:  bytes  instruction'). Pure
                     compilation, nothing runs, any host: code at address 0, context block
                     and natives at 0, global data at the interpreter's addresses. Also takes
                     assembly (.s, either syntax) as input
  --llsc             (--arm64) atomics as load/store-exclusive loops (default: LSE)
  --blind            (--arm64) constant blinding, random seed`;

export const disasmCommand: CliCommand = {
  name: 'disasm',
  summary: 'disassemble BPF bytecode / ELF objects to LLVM syntax (--arm64: the JIT listing)',
  usage,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    let format: Format | undefined;
    let section: string | undefined;
    let entry: string | undefined;
    let labels = false;
    let pcs = true;
    let alu32 = true;
    let input: string | undefined;
    let arm64 = false;
    let llsc = false;
    let blind = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const value = (): string => {
        const v = args[++i];
        if (v === undefined) throw new CliUsageError(`${a} needs a value`);
        return v;
      };
      if (a === '--format') {
        const f = value();
        if (!(FORMATS as readonly string[]).includes(f)) throw new CliUsageError(`unknown format '${f}' (known: ${FORMATS.join(', ')})`);
        format = f as Format;
      } else if (a === '--section') section = value();
      else if (a === '--entry') entry = value();
      else if (a === '--labels') labels = true;
      else if (a === '--no-pcs') pcs = false;
      else if (a === '--no-alu32') alu32 = false;
      else if (a === '--arm64') arm64 = true;
      else if (a === '--llsc') llsc = true;
      else if (a === '--blind') blind = true;
      else if (a.startsWith('-') && a !== '-') throw new CliUsageError(`unknown option '${a}'`);
      else if (input === undefined) input = a;
      else throw new CliUsageError('only one input file is accepted');
    }
    if (input === undefined) throw new CliUsageError('no input file (use - for standard input)');
    if (!arm64 && (llsc || blind)) throw new CliUsageError('--llsc and --blind apply to --arm64 listings only');
    if (arm64) {
      if (labels || !pcs || !alu32) throw new CliUsageError('--labels, --no-pcs and --no-alu32 shape the BPF listing, not --arm64');
      return arm64Command(input, format, section, entry, { atomics: llsc ? 'llsc' : 'lse', ...(blind ? { blindSeed: (Math.random() * 2 ** 32) >>> 0 } : {}) }, io);
    }
    const bytes = new Uint8Array(input === '-' ? await io.readStdin() : readFileSync(input));
    format ??= detect(input, bytes);
    if (format !== 'elf' && (section !== undefined || entry !== undefined)) {
      throw new CliUsageError('--section and --entry apply to ELF objects only');
    }
    const render = (insns: readonly BpfInsn[], notes?: Map<number, string>): string =>
      listing(disassemble(insns, { alu32, labels }), pcs, notes);

    if (format === 'elf') {
      const obj = loadBpfObject(bytes, entry === undefined ? {} : { entries: [entry] });
      const programs = obj.programs.filter((p) => (section === undefined || p.section === section) && (entry === undefined || p.name === entry));
      if (programs.length === 0) {
        io.err(`a64jit disasm: no entry point matches (entry points: ${obj.programs.map((p) => `${p.section}:${p.name}`).join(', ') || 'none'})\n`);
        return 1;
      }
      io.out(programs.map((p) => `# ${p.section}:${p.name}\n${p.name}:\n${render(p.insns, relocationNotes(obj, p.relocations))}`).join('\n'));
      return 0;
    }
    const text = new TextDecoder().decode(bytes);
    const insns =
      format === 'data' ? conformanceProgram(parseConformanceFile(text)) : decodeProgram(format === 'hex' ? parseHex(text) : bytes);
    io.out(render(insns));
    return 0;
  },
};

/** disasm --arm64: any program input run accepts (.o, .s, .data, .bin) plus hex text. */
async function arm64Command(input: string, format: Format | undefined, section: string | undefined, entry: string | undefined, options: ListingOptions, io: CliIo): Promise<number> {
  const file = displayName(input);
  const bytes = await readInput(input, io);
  const asmSource = /\.(s|asm)$/i.test(input);
  if (format === 'hex' || (format === undefined && !asmSource && detect(input, bytes) === 'hex')) {
    if (section !== undefined || entry !== undefined) throw new CliUsageError('--section and --entry apply to ELF objects only');
    io.out(listingOrError(() => arm64Listing(decodeProgram(parseHex(new TextDecoder().decode(bytes))), options), file));
    return 0;
  }
  if (section !== undefined && entry === undefined && format !== undefined && format !== 'elf') throw new CliUsageError('--section and --entry apply to ELF objects only');
  const loaded = parseProgram(bytes, input, { ...(format === undefined ? {} : { format }), ...(entry === undefined ? {} : { entry }) });
  if (loaded.kind === 'insns') {
    if (section !== undefined) throw new CliUsageError('--section and --entry apply to ELF objects only');
    io.out(listingOrError(() => arm64Listing(loaded.insns, options), file));
    return 0;
  }
  const obj = loaded.obj;
  const programs = obj.programs.filter((p) => (section === undefined || p.section === section) && (entry === undefined || p.name === entry));
  if (programs.length === 0) {
    io.err(`a64jit disasm: no entry point matches (entry points: ${obj.programs.map((p) => `${p.section}:${p.name}`).join(', ') || 'none'})\n`);
    return 1;
  }
  io.out(programs.map((p) => `# ${p.section}:${p.name}\n${listingOrError(() => arm64Listing(p.insns, options, { obj, program: p }), file)}`).join('\n'));
  return 0;
}

function listingOrError(make: () => string, file: string): string {
  try {
    return make();
  } catch (e) {
    throw engineError(e, file);
  }
}

function detect(name: string, bytes: Uint8Array): Format {
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return 'elf';
  if (name.endsWith('.data')) return 'data';
  const text = new TextDecoder().decode(bytes);
  return bytes.length > 0 && /^[\s0-9a-fA-Fx,]*$/.test(text) ? 'hex' : 'raw';
}

/**
 * Hex text: whitespace/comma separated bytes ("b7 00 ..."), or 64-bit words written 0x...
 * (one slot each, little-endian as in a bpf_conformance '-- raw' section), or one long run.
 */
function parseHex(text: string): Uint8Array {
  const out: number[] = [];
  for (const tok of text.split(/[\s,]+/).filter(Boolean)) {
    if (/^0x[0-9a-fA-F]{1,16}$/.test(tok)) {
      let v = BigInt(tok);
      for (let i = 0; i < 8; i++, v >>= 8n) out.push(Number(v & 0xffn));
    } else if (/^([0-9a-fA-F]{2})+$/.test(tok)) {
      for (let i = 0; i < tok.length; i += 2) out.push(parseInt(tok.slice(i, i + 2), 16));
    } else {
      throw new CliUsageError(`'${tok}' is not hex bytes`);
    }
  }
  return Uint8Array.from(out);
}

function relocationNotes(obj: BpfObject, relocations: readonly BpfCodeRelocation[]): Map<number, string> {
  const notes = new Map<number, string>();
  for (const r of relocations) {
    switch (r.kind) {
      case 'data':
        notes.set(r.pc, `${obj.data[r.data]!.name}+0x${r.offset.toString(16)} (${r.symbol})`);
        break;
      case 'map':
        notes.set(r.pc, `map ${obj.maps[r.map]!.name}`);
        break;
      case 'extern-call':
        notes.set(r.pc, `extern ${r.symbol}`);
        break;
      case 'call':
      case 'func-addr':
        notes.set(r.pc, r.symbol);
        break;
    }
  }
  return notes;
}

function listing(lines: readonly DisasmLine[], pcs: boolean, notes?: Map<number, string>): string {
  let s = '';
  for (const l of lines) {
    if (l.label !== undefined) s += `${l.label}:\n`;
    const note = notes?.get(l.pc);
    s += `${pcs ? `${String(l.pc).padStart(6)}:` : ''}\t${l.text}${note === undefined ? '' : `\t# ${note}`}\n`;
  }
  return s;
}
