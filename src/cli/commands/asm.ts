import { readFileSync, writeFileSync } from 'node:fs';
import type { BpfInsn } from '../../bpf/instruction.js';
import { encodeProgram } from '../../bpf/instruction.js';
import { assembleLlvm } from '../../bpf/llvm-asm.js';
import { assembleUbpf } from '../../bpf/ubpf-assembler.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';

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
    let syntax = 'ubpf';
    let output: string | undefined;
    let input: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '--syntax' || a === '-o') {
        const v = args[++i];
        if (v === undefined) throw new CliUsageError(`${a} needs a value`);
        if (a === '-o') output = v;
        else syntax = v;
      } else if (a.startsWith('-') && a !== '-') {
        throw new CliUsageError(`unknown option '${a}'`);
      } else if (input === undefined) {
        input = a;
      } else {
        throw new CliUsageError('only one input file is accepted');
      }
    }
    const assemble = ASM_SYNTAXES[syntax];
    if (!assemble) throw new CliUsageError(`unknown syntax '${syntax}' (known: ${Object.keys(ASM_SYNTAXES).join(', ')})`);
    if (input === undefined) throw new CliUsageError('no input file (use - for standard input)');
    const source = input === '-' ? (await io.readStdin()).toString('utf8') : readFileSync(input, 'utf8');
    let bytes: Uint8Array;
    try {
      bytes = encodeProgram(assemble(source));
    } catch (e) {
      io.err(`${input === '-' ? '<stdin>' : input}:${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
    if (output !== undefined) {
      writeFileSync(output, bytes);
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
