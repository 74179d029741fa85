import { parseArgs, single, type ArgSpec, type ParsedArgs } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';
import { JIT_FLAGS, JIT_FLAGS_USAGE, jitFlags, runProgram } from '../engine.js';
import { ASM_SYNTAX_NAMES, PROGRAM_FORMATS, loadProgram, parseHexBytes, readInput, type AsmSyntax, type ProgramFormat } from '../inputs.js';
import { setupCommandLine } from '../../runtime/emulation.js';

const usage = `usage: a64jit run [options] <prog.o | prog.s | test.data | prog.bin | ->

Runs a BPF program once and prints R0 on one line as 'DECIMAL (0xHEX)', unsigned:
  $ a64jit run prog.s
  42 (0x2a)
The first token is R0 in decimal, for scripts: r0=$(a64jit run prog.s | cut -d' ' -f1).
The program gets a memory buffer as its context (R1 = address, R2 = length; both 0 without).

Input (detected from the content and extension, or --format):
  .o     clang -target bpf ELF object; the first program, or --entry NAME. Global data is
         linked, extern functions are bound by name to the --lib libraries (maps: not yet)
  .s     assembly, uBPF syntax ('mov %r0, 1') or LLVM syntax ('r0 = 1'), detected or --syntax
  .data  a bpf_conformance test: its '-- raw' or '-- asm', and '-- mem' as the default memory
  .bin   raw bytecode, 8 bytes per slot; '-' reads standard input

Options:
  --entry NAME         (.o) the program (entry function) to run
  --syntax ubpf|llvm   (.s) the assembly syntax
  --format ${PROGRAM_FORMATS.join('|')}
  --mem HEX            memory bytes, e.g. '01 02 03 04' or 01020304
  --mem-file FILE      memory from a file, byte for byte
  --lib LIB.so         a shared library for the object's extern functions (repeatable;
                       searched in order). It must be built for arm64 (the JIT calls it)
  --interp             run on the reference interpreter instead of the JIT
${JIT_FLAGS_USAGE}

Helper 5 (bpf_conformance's unwind helper) is available to every program. Without --interp,
on a non-arm64 host the command re-runs itself under qemu-aarch64 (set up by
\`${setupCommandLine()}\`) and says so on stderr. Exit code 1 for bad input or a failing program
(the message names the file and the pc, line:column or file offset), 2 for usage errors.`;

const spec: ArgSpec = {
  flags: ['--interp', ...JIT_FLAGS],
  values: ['--entry', '--syntax', '--format', '--mem', '--mem-file', '--lib'],
  repeatable: ['--lib'],
};

function parse(args: readonly string[]): ParsedArgs & { input: string } {
  const parsed = parseArgs(args, spec);
  if (parsed.positionals.length === 0) throw new CliUsageError('no program file given (use - for standard input)');
  if (parsed.positionals.length > 1) throw new CliUsageError(`only one program file is accepted (got ${parsed.positionals.join(', ')})`);
  if (parsed.values.has('--mem') && parsed.values.has('--mem-file')) throw new CliUsageError('--mem and --mem-file exclude each other');
  const syntax = single(parsed, '--syntax');
  if (syntax !== undefined && !(ASM_SYNTAX_NAMES as readonly string[]).includes(syntax)) {
    throw new CliUsageError(`unknown syntax '${syntax}' (known: ${ASM_SYNTAX_NAMES.join(', ')})`);
  }
  const format = single(parsed, '--format');
  if (format !== undefined && !(PROGRAM_FORMATS as readonly string[]).includes(format)) {
    throw new CliUsageError(`unknown format '${format}' (known: ${PROGRAM_FORMATS.join(', ')})`);
  }
  jitFlags(parsed); // rejects JIT switches with --interp
  return { ...parsed, input: parsed.positionals[0]! };
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run a BPF program (.o, .s, .data, .bin) on the JIT (or --interp) and print R0',
  usage,
  executesNative: (args) => !parse(args).flags.has('--interp'),
  readsStdin: (args) => parse(args).input === '-' || single(parse(args), '--mem-file') === '-',
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    if (parsed.input === '-' && single(parsed, '--mem-file') === '-') throw new CliUsageError('the program and the memory cannot both come from standard input');
    const entry = single(parsed, '--entry');
    const syntax = single(parsed, '--syntax') as AsmSyntax | undefined;
    const format = single(parsed, '--format') as ProgramFormat | undefined;
    const loaded = await loadProgram(parsed.input, io, {
      ...(entry === undefined ? {} : { entry }),
      ...(syntax === undefined ? {} : { syntax }),
      ...(format === undefined ? {} : { format }),
    });
    const memHex = single(parsed, '--mem');
    const memFile = single(parsed, '--mem-file');
    const mem =
      memHex !== undefined
        ? parseHexBytes(memHex, '--mem')
        : memFile !== undefined
          ? await readInput(memFile, io, { what: '--mem-file' })
          : loaded.kind === 'insns' && loaded.mem !== undefined
            ? loaded.mem
            : null;
    const r0 = runProgram(loaded, {
      interp: parsed.flags.has('--interp'),
      flags: jitFlags(parsed),
      // a private copy: the program writes its memory in place
      mem: mem === null ? null : Uint8Array.from(mem),
      libs: parsed.values.get('--lib') ?? [],
    });
    io.out(`${r0} (0x${r0.toString(16)})\n`);
    return 0;
  },
};
