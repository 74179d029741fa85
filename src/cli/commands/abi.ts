import { DEFAULT_COUNT, DEFAULT_SEED, formatReport, registerBuiltinDirections, registeredDirections, runMatrix } from '../../abi/index.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';
import { parseArgs, single } from '../args.js';
import { setupCommandLine } from '../../runtime/emulation.js';

const usage = `usage: a64jit abi [--seed N] [--count N] [--direction ID]... [--json] [--strict]

Checks AAPCS64 argument and result passing on this host against a64jit's model (AAPCS64 6.8.2
and 6.9; Apple's variant on macOS): the signature corpus plus N seeded random signatures, in
every direction:
  koffi-to-probe          JavaScript -> capture probe through koffi
  stub-to-gcc/-clang      caller stub -> C compiled by gcc / clang
  gcc-to-probe/clang-...  C compiled by gcc / clang -> capture probe
  stub-to-koffi-callback  caller stub -> JavaScript callback through koffi.register
  jit-to-gcc/-clang       JIT-compiled BPF (R1-R5, R11 slots) -> C compiled by gcc / clang
Prints a table per direction, each failure with the argument, where the model expected it and
where it was found, known third-party defects with a minimal reproduction, and finally
'N passed, N failed' (failures of known, reported third-party defects included). Exit code 0
when every failure is such a known defect (koffi defects B and C today), 1 otherwise.

  --seed N        seed of the random signatures and argument patterns (default ${DEFAULT_SEED})
  --count N       number of random signatures (default ${DEFAULT_COUNT})
  --direction ID  run only this direction (repeatable)
  --json          print the whole report as JSON instead
  --strict        known third-party defects fail the run too (exit code 1)

On a non-arm64 host it re-runs itself under qemu-aarch64 (set up by \`${setupCommandLine()}\`).`;

function integer(name: string, text: string | undefined): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) throw new CliUsageError(`${name} needs a non-negative integer (got ${text ?? 'nothing'})`);
  return Number(text);
}

export const abiCommand: CliCommand = {
  name: 'abi',
  summary: 'check AAPCS64 argument passing (koffi, gcc, clang, callbacks) against the model',
  usage,
  executesNative: () => true,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { flags: ['--json', '--strict'], values: ['--seed', '--count', '--direction'], repeatable: ['--direction'] });
    if (parsed.positionals.length > 0) throw new CliUsageError(`unknown argument '${parsed.positionals[0]}'`);
    const seed = single(parsed, '--seed') === undefined ? DEFAULT_SEED : integer('--seed', single(parsed, '--seed'));
    const count = single(parsed, '--count') === undefined ? DEFAULT_COUNT : integer('--count', single(parsed, '--count'));
    const directions = [...(parsed.values.get('--direction') ?? [])];
    registerBuiltinDirections();
    const known = registeredDirections().map((d) => d.id);
    const unknown = directions.filter((d) => !known.includes(d));
    if (unknown.length) throw new CliUsageError(`unknown direction ${unknown.join(', ')} (known: ${known.join(', ')})`);
    const report = await runMatrix({
      seed,
      count,
      ...(directions.length ? { directions } : {}),
      log: (m) => io.err(`a64jit abi: ${m}\n`),
    });
    io.out(parsed.flags.has('--json') ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    if (report.runs.length === 0) {
      io.err(`a64jit abi: no direction could run here: ${report.unavailable.map((u) => `${u.id}: ${u.reason}`).join('; ')}\n`);
      return 1;
    }
    const { failed, known: knownDefects } = report.totals;
    if (failed === 0) return 0;
    if (failed === knownDefects && !parsed.flags.has('--strict')) {
      io.err(`a64jit abi: all ${failed} failures are known, reported third-party defects (exit code 0; --strict fails on them)\n`);
      return 0;
    }
    return 1;
  },
};
