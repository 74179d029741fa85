import { existsSync } from 'node:fs';
import type { BpfExecutor } from '../../bpf/conformance.js';
import { collectConformanceFiles, interpreterExecutor, runConformanceFile } from '../../bpf/conformance.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';

const usage = `usage: a64jit conformance --interp <file.data | directory>...

Runs bpf_conformance '.data' tests (directories are searched for *.data) and prints one line
per failing test, then 'N passed, N failed'. Exit code 0 only if every test passed.

  --interp   run the tests on the reference interpreter
             (without it the JIT engine would run them; it is not available yet)`;

/** Engine for a run without --interp. The JIT plugs in here (issue 5). */
let jitExecutor: BpfExecutor | undefined;
export function setJitExecutor(executor: BpfExecutor): void {
  jitExecutor = executor;
}

export const conformanceCommand: CliCommand = {
  name: 'conformance',
  summary: 'run bpf_conformance .data tests (--interp: on the interpreter)',
  usage,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    let interp = false;
    const paths: string[] = [];
    for (const a of args) {
      if (a === '--interp') interp = true;
      else if (a.startsWith('-')) throw new CliUsageError(`unknown option '${a}'`);
      else paths.push(a);
    }
    if (paths.length === 0) throw new CliUsageError('no test files or directories given');
    const executor = interp ? interpreterExecutor : jitExecutor;
    if (!executor) {
      io.err('a64jit conformance: the JIT engine is not available yet; use --interp to run the tests on the interpreter\n');
      return 2;
    }
    for (const p of paths) {
      if (!existsSync(p)) throw new CliUsageError(`no such file or directory: ${p}`);
    }
    const files = collectConformanceFiles(paths);
    if (files.length === 0) {
      io.err(`a64jit conformance: no .data files found in ${paths.join(', ')}\n`);
      return 1;
    }
    let passed = 0;
    let failed = 0;
    for (const file of files) {
      const outcome = await runConformanceFile(file, executor);
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
