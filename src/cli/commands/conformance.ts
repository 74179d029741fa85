import { existsSync } from 'node:fs';
import { collectConformanceFiles, interpreterExecutor, runConformanceFile } from '../../bpf/conformance.js';
import { parseArgs, type ParsedArgs } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliInputError, CliUsageError } from '../command.js';
import { JIT_FLAGS, JIT_FLAGS_USAGE, jitExecutor, jitFlags } from '../engine.js';
import { setupCommandLine } from '../../runtime/emulation.js';

const usage = `usage: a64jit conformance [--interp | --llsc | --blind | -O0] [--no-verify] <file.data | directory>...

Runs bpf_conformance '.data' tests (directories are searched for *.data) on the JIT and prints
one line per failing test ('FAIL <file>: <why>'), then 'N passed, N failed'. Exit code 0 only
if every test passed.

  --interp   run the tests on the reference interpreter instead
  --no-verify  run each program without proving it safe first (by default the verifier checks it,
             for the test's memory, and a rejection fails the test unless the test expects it)
${JIT_FLAGS_USAGE}

Without --interp, on a non-arm64 host the command re-runs itself under qemu-aarch64 (set up
by \`${setupCommandLine()}\`) and says so on stderr.`;

function parse(args: readonly string[]): ParsedArgs {
  const parsed = parseArgs(args, { flags: ['--interp', '--no-verify', ...JIT_FLAGS] });
  if (parsed.positionals.length === 0) throw new CliUsageError('no test files or directories given');
  jitFlags(parsed);
  for (const p of parsed.positionals) {
    if (!existsSync(p)) throw new CliInputError(`${p}: no such file or directory`);
  }
  return parsed;
}

export const conformanceCommand: CliCommand = {
  name: 'conformance',
  summary: 'run bpf_conformance .data tests on the JIT (--interp: on the interpreter)',
  usage,
  executesNative: (args) => !parse(args).flags.has('--interp'),
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    const executor = parsed.flags.has('--interp') ? interpreterExecutor : jitExecutor(jitFlags(parsed));
    const files = collectConformanceFiles(parsed.positionals);
    if (files.length === 0) {
      io.err(`a64jit conformance: no .data files found in ${parsed.positionals.join(', ')}\n`);
      return 1;
    }
    let passed = 0;
    let failed = 0;
    for (const file of files) {
      const outcome = await runConformanceFile(file, executor, { verify: !parsed.flags.has('--no-verify') });
      if (outcome.passed) passed++;
      else {
        failed++;
        io.out(`FAIL ${file}: ${outcome.message.replace(/\s*\n\s*/g, ' ')}\n`);
      }
    }
    io.out(`${passed} passed, ${failed} failed\n`);
    return failed === 0 ? 0 : 1;
  },
};
