import { writeFileSync } from 'node:fs';
import type { BpfInsn } from '../../bpf/instruction.js';
import { encodeProgram } from '../../bpf/instruction.js';
import { assembleLlvm } from '../../bpf/llvm-asm.js';
import { assembleUbpf } from '../../bpf/ubpf-assembler.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliInputError, CliUsageError } from '../command.js';
import { parseArgs, single } from '../args.js';
import { displayName, inputError, readInput } from '../inputs.js';

/** Assembly syntaxes by name. One line per syntax; `--syntax` picks one (default: ubpf). */
export const ASM_SYNTAXES: Record<string, (source: string) => BpfInsn[]> = {
  ubpf: (source) => assembleUbpf(source),
  llvm: (source) => assembleLlvm(source),
};

const usage = `usage: a64jit asm [--syntax <${Object.keys(ASM_SYNTAXES).join('|')}>] [-o <out.bin>] <file | ->

Assembles a BPF program. With -o, writes the raw bytecode (8 bytes per slot, little-endian);
without it, prints one slot per line as hex bytes ("07 00 01 00 01 00 00 00"), the format of
a bpf_conformance '-- raw' section. '-' reads the program from standard input.

  --syntax ubpf   uBPF / bpf_conformance syntax: 'mov32 %r0, 1', 'ldxdw %r0, [%r1+8]' (default)
  --syntax llvm   LLVM/kernel syntax as llvm-objdump prints it: 'r0 = *(u64 *)(r1 + 8)', labels
  -o <file>       write raw bytes to <file>`;

export const asmCommand: CliCommand = {
  name: 'asm',
  summary: 'assemble BPF assembly to bytecode (raw file or hex)',
  usage,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['--syntax', '-o'] });
    const syntax = single(parsed, '--syntax') ?? 'ubpf';
    const output = single(parsed, '-o');
    if (parsed.positionals.length > 1) throw new CliUsageError('only one input file is accepted');
    const input = parsed.positionals[0];
    const assemble = ASM_SYNTAXES[syntax];
    if (!assemble) throw new CliUsageError(`unknown syntax '${syntax}' (known: ${Object.keys(ASM_SYNTAXES).join(', ')})`);
    if (input === undefined) throw new CliUsageError('no input file (use - for standard input)');
    const source = new TextDecoder().decode(await readInput(input, io));
    let bytes: Uint8Array;
    try {
      bytes = encodeProgram(assemble(source));
    } catch (e) {
      throw inputError(e, displayName(input));
    }
    if (output !== undefined) {
      try {
        writeFileSync(output, bytes);
      } catch (e) {
        throw new CliInputError(`${output}: -o: cannot write: ${(e as Error).message}`);
      }
      return 0;
    }
    const lines: string[] = [];
    for (let at = 0; at < bytes.length; at += 8) {
      lines.push(Array.from(bytes.subarray(at, at + 8), (b) => b.toString(16).padStart(2, '0')).join(' '));
    }
    io.out(lines.length > 0 ? `${lines.join('\n')}\n` : '');
    return 0;
  },
};
