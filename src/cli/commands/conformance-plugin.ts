import { CONFORMANCE_HELPER_PROTOS, conformanceHelpers, decodeProgram, interpret, loadBpfObject, validateProgram, verifyProgram, type BpfInsn } from '../../bpf/index.js';
import { parseArgs, type ParsedArgs } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliInputError, CliUsageError } from '../command.js';
import { JIT_FLAGS, JIT_FLAGS_USAGE, engineError, jitExecutor, jitFlags } from '../engine.js';
import { parseHexBytes } from '../inputs.js';

const usage = `usage: a64jit conformance-plugin [MEMORY-HEX] [--elf] [--interp | --llsc | --blind | -O0] [--no-verify]

A bpf_conformance plugin: point its runner at this command (a wrapper script running
'a64jit conformance-plugin "$@"'). The protocol, as the runner speaks it:
  stdin     the program as hex bytes ("b7 00 00 00 01 00 00 00 95 ..."); with --elf, the
            bytes of an ELF object whose first program is run
  argument  the memory as hex bytes (omitted when the test has none: R1 = R2 = 0)
  stdout    R0 in lowercase hex without 0x (the runner reads it with base 16), exit code 0
  stderr    on any failure (bad hex, a rejected program, a run-time error) one line with
            the reason, exit code 1; the runner takes it as the error message
Helper 5 (the suite's unwind helper) is available.

  --elf      stdin holds an ELF object instead of raw bytecode
  --interp   run on the reference interpreter instead of the JIT
  --no-verify  run the program without proving it safe first (by default the verifier must
             accept it, for the memory given)
${JIT_FLAGS_USAGE}

On a non-arm64 host the JIT run re-runs itself under qemu-aarch64 silently (no notice:
stderr is the error channel of the protocol).`;

function parse(args: readonly string[]): ParsedArgs {
  const parsed = parseArgs(args, { flags: ['--elf', '--interp', '--no-verify', ...JIT_FLAGS] });
  if (parsed.positionals.length > 1) throw new CliUsageError(`at most one argument (the memory) is accepted, got ${parsed.positionals.length}`);
  jitFlags(parsed);
  return parsed;
}

function programFrom(text: string, elf: boolean): BpfInsn[] {
  const bytes = parseHexBytes(text, 'program (stdin)');
  if (bytes.length === 0) throw new CliInputError('program (stdin): no bytes');
  if (!elf) return decodeProgram(bytes);
  const obj = loadBpfObject(bytes);
  const first = obj.programs[0];
  if (!first) throw new CliInputError('program (stdin): the ELF object has no programs');
  if (first.relocations.some((r) => r.kind !== 'call' && r.kind !== 'func-addr')) {
    throw new CliInputError(`program (stdin): ${first.name} uses global data, maps or externs, which the plugin protocol cannot supply`);
  }
  return [...first.insns];
}

export const conformancePluginCommand: CliCommand = {
  name: 'conformance-plugin',
  summary: "run one program in bpf_conformance's plugin protocol (hex on stdin, R0 in hex)",
  usage,
  executesNative: (args) => !parse(args).flags.has('--interp'),
  readsStdin: () => true,
  quietEmulation: true,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    try {
      const program = programFrom((await io.readStdin()).toString('utf8'), parsed.flags.has('--elf'));
      const memArg = parsed.positionals[0];
      const mem = memArg === undefined ? null : parseHexBytes(memArg, 'memory (argument 1)');
      const helpers = conformanceHelpers();
      validateProgram(program, { helpers });
      if (!parsed.flags.has('--no-verify')) verifyProgram(program, { memSize: mem?.length ?? 0, helpers: CONFORMANCE_HELPER_PROTOS });
      const r0 = parsed.flags.has('--interp')
        ? interpret(program, { mem, helpers, validate: false }).value
        : await jitExecutor(jitFlags(parsed))(program, mem, helpers);
      io.out(`${BigInt.asUintN(64, r0).toString(16)}\n`);
      return 0;
    } catch (e) {
      const err = engineError(e, 'program');
      // One line, the reason alone: the runner compares it with a test's '-- error' text.
      io.err(`${err instanceof Error ? err.message : String(err)}\n`.replace(/\n(?!$)/g, ' '));
      return 1;
    }
  },
};
