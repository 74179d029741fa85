import { disassemble, type DisasmLine } from '../../bpf/disassembler.js';
import { loadBpfObject, type BpfCodeRelocation, type BpfObject } from '../../bpf/elf-loader.js';
import { decodeProgram, type BpfInsn } from '../../bpf/instruction.js';
import { helperCallText } from '../../jit/listing.js';
import { parseArgs, single } from '../args.js';
import { arm64Listing, type ListingOptions } from '../arm64-listing.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliInputError, CliUsageError } from '../command.js';
import { engineError } from '../engine.js';
import { ASM_SYNTAX_NAMES, detectFormat, displayName, parseProgram, readInput, type AsmSyntax } from '../inputs.js';

const FORMATS = ['elf', 'raw', 'hex', 'data', 'asm'] as const;
type Format = (typeof FORMATS)[number];

const usage = `usage: a64jit disasm [options] <file | ->

Disassembles BPF bytecode to LLVM/kernel syntax, spelled as llvm-objdump prints it. The
output is valid input for 'a64jit asm --syntax llvm' (pc columns and '#' notes are skipped).

Input (detected, or --format):
  elf    a clang -target bpf object (.o): every entry point, linked with its callees
  data   a bpf_conformance .data test ('-- asm' or '-- raw' section)
  asm    BPF assembly (.s), uBPF or LLVM syntax (detected, or --syntax)
  hex    hex bytes as text ("b7 00 00 00 01 00 00 00", also 0x... words per line)
  raw    bytecode, 8 bytes per slot

Options:
  --format <elf|raw|hex|data|asm>
  --syntax <ubpf|llvm> (asm) the assembly syntax
  --section <name>   (elf) only entry points in this section
  --entry <name>     (elf) only this function (a static function is linked on request)
  --labels           name jump and call targets (L<pc>) instead of +offsets
  --no-pcs           no slot-index column
  --no-alu32         rN instead of wN for 8/16/32-bit loads and stores (llvm-objdump -mcpu=v1/v2)

JIT listing:
  --arm64            each BPF instruction with the AArch64 code the JIT makes of it, objdump
                     style ('  ; pc: bpf text' then '  address:  bytes  instruction'). Pure
                     compilation, nothing runs, any host: code at address 0, context block
                     and natives at 0, global data at the interpreter's addresses
  --llsc             (--arm64) atomics as load/store-exclusive loops (default: LSE)
  --blind            (--arm64) constant blinding, random seed
  -O0                (--arm64) the 1:1 code, without the optimization tier`;

export const disasmCommand: CliCommand = {
  name: 'disasm',
  summary: 'disassemble BPF bytecode / ELF objects to LLVM syntax (--arm64: the JIT listing)',
  usage,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, {
      flags: ['--labels', '--no-pcs', '--no-alu32', '--arm64', '--llsc', '--blind', '-O0'],
      values: ['--format', '--section', '--entry', '--syntax'],
    });
    const format = single(parsed, '--format') as Format | undefined;
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`unknown format '${format}' (known: ${FORMATS.join(', ')})`);
    const syntax = single(parsed, '--syntax') as AsmSyntax | undefined;
    if (syntax !== undefined && !(ASM_SYNTAX_NAMES as readonly string[]).includes(syntax)) throw new CliUsageError(`unknown syntax '${syntax}' (known: ${ASM_SYNTAX_NAMES.join(', ')})`);
    const section = single(parsed, '--section');
    const entry = single(parsed, '--entry');
    const flag = (name: string): boolean => parsed.flags.has(name);
    if (parsed.positionals.length === 0) throw new CliUsageError('no input file (use - for standard input)');
    if (parsed.positionals.length > 1) throw new CliUsageError('only one input file is accepted');
    const input = parsed.positionals[0]!;
    const arm64 = flag('--arm64');
    if (!arm64 && (flag('--llsc') || flag('--blind') || flag('-O0'))) throw new CliUsageError('--llsc, --blind and -O0 apply to --arm64 listings only');
    if (arm64 && (flag('--labels') || flag('--no-pcs') || flag('--no-alu32'))) throw new CliUsageError('--labels, --no-pcs and --no-alu32 shape the BPF listing, not --arm64');

    const file = displayName(input);
    const bytes = await readInput(input, io);
    const kind = format ?? detect(input, bytes);
    if (kind !== 'elf' && (section !== undefined || entry !== undefined)) throw new CliUsageError('--section and --entry apply to ELF objects only');
    if (kind !== 'asm' && syntax !== undefined) throw new CliUsageError('--syntax applies to assembly sources only');
    const options: ListingOptions = { atomics: flag('--llsc') ? 'llsc' : 'lse', optimize: !flag('-O0'), ...(flag('--blind') ? { blindSeed: (Math.random() * 2 ** 32) >>> 0 } : {}) };
    const render = (insns: readonly BpfInsn[], notes?: Map<number, string>): string =>
      arm64
        ? arm64Listing(insns, options)
        : listing(disassemble(insns, { alu32: !flag('--no-alu32'), labels: flag('--labels') }), !flag('--no-pcs'), withHelperNames(insns, notes));
    try {
      if (kind === 'hex') {
        io.out(render(decodeProgram(parseHex(new TextDecoder().decode(bytes), file))));
        return 0;
      }
      if (kind !== 'elf') {
        const loaded = parseProgram(bytes, input, { format: kind, ...(syntax === undefined ? {} : { syntax }) });
        if (loaded.kind !== 'insns') throw new Error('unreachable: a non-ELF input gave an object');
        io.out(render(loaded.insns));
        return 0;
      }
      const obj = loadBpfObject(bytes, entry === undefined ? {} : { entries: [entry] });
      const programs = obj.programs.filter((p) => (section === undefined || p.section === section) && (entry === undefined || p.name === entry));
      if (programs.length === 0) {
        throw new CliInputError(`${file}: no entry point matches (entry points: ${obj.programs.map((p) => `${p.section}:${p.name}`).join(', ') || 'none'})`);
      }
      io.out(
        programs
          .map((p) =>
            arm64
              ? `# ${p.section}:${p.name}\n${arm64Listing(p.insns, options, { obj, program: p })}`
              : `# ${p.section}:${p.name}\n${p.name}:\n${render(p.insns, relocationNotes(obj, p.relocations))}`,
          )
          .join('\n'),
      );
      return 0;
    } catch (e) {
      throw engineError(e, file);
    }
  },
};

/**
 * The input's format: what `run` detects (ELF magic, .data, .s/.asm, .bin, text is assembly,
 * anything else raw bytecode), with one addition: text of hex digits alone is hex bytes.
 */
function detect(name: string, bytes: Uint8Array): Format {
  const format = detectFormat(name, bytes);
  if (format !== 'asm' || /\.(s|asm)$/i.test(name)) return format;
  return /^[\s0-9a-fA-Fx,]*$/.test(new TextDecoder().decode(bytes)) ? 'hex' : 'asm';
}

/**
 * Hex text: whitespace/comma separated bytes ("b7 00 ..."), or 64-bit words written 0x...
 * (one slot each, little-endian as in a bpf_conformance '-- raw' section), or one long run.
 */
function parseHex(text: string, file: string): Uint8Array {
  const out: number[] = [];
  for (const tok of text.split(/[\s,]+/).filter(Boolean)) {
    if (/^0x[0-9a-fA-F]{1,16}$/.test(tok)) {
      let v = BigInt(tok);
      for (let i = 0; i < 8; i++, v >>= 8n) out.push(Number(v & 0xffn));
    } else if (/^([0-9a-fA-F]{2})+$/.test(tok)) {
      for (let i = 0; i < tok.length; i += 2) out.push(parseInt(tok.slice(i, i + 2), 16));
    } else {
      throw new CliInputError(`${file}: '${tok}' is not hex bytes`);
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

/**
 * Helper calls get their Linux name as a note (`call 0x5\t# bpf_ktime_get_ns`): the
 * instruction text stays llvm-objdump's, so the listing still re-assembles.
 */
function withHelperNames(insns: readonly BpfInsn[], notes: Map<number, string> = new Map()): Map<number, string> {
  const out = new Map(notes);
  insns.forEach((insn, pc) => {
    const named = helperCallText(insn);
    if (named !== undefined && !out.has(pc)) out.set(pc, named.replace(/^call (\S+)#\d+$/, '$1'));
  });
  return out;
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
