import { DEFAULT_COUNT, DEFAULT_SEED, formatReport, registerBuiltinDirections, registeredDirections, runMatrix } from '../../abi/index.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';
import { setupCommandLine } from '../../runtime/emulation.js';

const usage = `usage: a64jit abi [--seed N] [--count N] [--direction ID]... [--json]

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
'N passed, N failed' (known defects count as failed). Exit code 0 only if nothing failed.

  --seed N        seed of the random signatures and argument patterns (default ${DEFAULT_SEED})
  --count N       number of random signatures (default ${DEFAULT_COUNT})
  --direction ID  run only this direction (repeatable)
  --json          print the whole report as JSON instead

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
    let seed = DEFAULT_SEED;
    let count = DEFAULT_COUNT;
    let json = false;
    const directions: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--json') json = true;
      else if (a === '--seed') seed = integer(a, args[++i]);
      else if (a === '--count') count = integer(a, args[++i]);
      else if (a === '--direction') {
        const id = args[++i];
        if (id === undefined) throw new CliUsageError('--direction needs an id');
        directions.push(id);
      } else throw new CliUsageError(`unknown argument '${a}'`);
    }
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
    io.out(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    if (report.runs.length === 0) {
      io.err(`a64jit abi: no direction could run here: ${report.unavailable.map((u) => `${u.id}: ${u.reason}`).join('; ')}\n`);
      return 1;
    }
    return report.totals.failed === 0 ? 0 : 1;
  },
};
