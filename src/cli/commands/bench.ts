import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, relative } from 'node:path';
import {
  BENCH_REPORT_SCHEMA,
  BenchSuiteError,
  formatMarkdown,
  formatTable,
  loadSuite,
  MAX_SEED,
  parseExpected,
  progressLine,
  renderChart,
  runBench,
  seededBytes,
  type BenchTarget,
  type NativeCompiler,
  type ProgramLoader,
} from '../../bench/index.js';
import { parseProgramType, programType, type ProgramType } from '../../bpf/index.js';
import { parseArgs, single, type ArgSpec, type ParsedArgs } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliInputError, CliUsageError } from '../command.js';
import { engineError } from '../engine.js';
import { loadProgram, parseHexBytes, readInput } from '../inputs.js';

const usage = `usage: a64jit bench [options] <prog.o | prog.c | prog.s | prog.bin | suite.json | DIR>

Times a BPF program, or a suite, in a native run loop: JIT-generated AArch64 that calls the
program N times per JavaScript call and restores its input before every run. Prints, per
program and variant, R0 (checked), ns per run (median of interleaved samples, 95% bootstrap
interval), runs/s, ratios to the first variant, and the compile figures. Under qemu-aarch64
(x86_64 hosts) it adds the exact executed instructions per run and labels the wall clock as
emulator speed; on arm64 Linux it adds hardware counters (perf_event_open) when permitted.

A suite is a suite.json manifest, or a directory holding one, or a directory of programs
(the manifest schema is in the README, "Benchmarks"). A .c program is compiled with clang-22
-target bpf -O2; its entry is 'bench' unless --entry says otherwise.

One program and its input:
  --entry NAME        the ELF program / C function to run
  --mem HEX           the buffer (R1 = address, R2 = length), e.g. '01 02 03'
  --mem-file FILE     the buffer from a file
  --size N            N pseudo-random bytes (xorshift32 from --seed, default 0)
  --seed S
  --type TYPE         build TYPE's context around the buffer (xdp, sched_cls, ...) instead
  --expect VALUE      the R0 every run must return ("0x..." or decimal): a wrong one fails

Comparisons, measured in the same run, interleaved:
  --interp            the reference interpreter
  --vs-O0             the same program compiled without the optimization tier (1:1 code)
  --native FILE.c     this C built for arm64 at -O2 (the same kind of loop calls its entry)
  --vs-native         each program's own .c source built natively (a .c program, suite entries)
  --cc gcc|clang|both the native compiler (default clang: clang-22)
  --vs FILE           another program on the same input (repeatable; one program only)

Measurement:
  --samples N         samples per variant (default 10; 5 under emulation)
  --sample-ms MS      the least time of one sample (default 50; 20 under emulation)
  --warmup-ms MS      warm-up per variant (default 100; 20 under emulation)
  --repeat N          runs per sample instead of calibrating them
  --llsc              (JIT) atomics as load/store-exclusive loops
  --blind             (JIT) constant blinding
  -O0                 (JIT) no optimization tier: each BPF instruction compiled on its own

Output (a table on stdout by default):
  --json              the report as JSON (schema: --schema)
  --markdown          the table as Markdown
  --svg FILE          a bar chart of the ratios (or of the per-run figures without comparisons)
  --schema            print the JSON Schema of --json and exit

The progress bar goes to stderr when it is a terminal. Exit code 0 when every program passed,
1 when one failed (wrong R0, compile error) or for bad input, 2 for usage errors.`;

const spec: ArgSpec = {
  flags: ['--interp', '--vs-O0', '--vs-native', '--llsc', '--blind', '-O0', '--json', '--markdown', '--schema'],
  values: ['--entry', '--mem', '--mem-file', '--size', '--seed', '--type', '--expect', '--native', '--cc', '--vs', '--samples', '--sample-ms', '--warmup-ms', '--repeat', '--svg'],
  repeatable: ['--vs'],
};

function positiveInt(parsed: ParsedArgs, name: string, min = 1): number | undefined {
  const text = single(parsed, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new CliUsageError(`${name} must be an integer of at least ${min}, got '${text}'`);
  return n;
}

function positiveNumber(parsed: ParsedArgs, name: string): number | undefined {
  const text = single(parsed, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n >= 0) || !Number.isFinite(n)) throw new CliUsageError(`${name} must be a number of milliseconds, got '${text}'`);
  return n;
}

const isSuite = (path: string): boolean => extname(path) === '.json' || (existsSync(path) && statSync(path).isDirectory());

function parse(args: readonly string[]): ParsedArgs & { input?: string } {
  const parsed = parseArgs(args, spec);
  if (parsed.flags.has('--schema')) return parsed;
  if (parsed.positionals.length !== 1) throw new CliUsageError(parsed.positionals.length === 0 ? 'no program or suite given' : `one program or suite at a time (got ${parsed.positionals.join(', ')})`);
  const input = parsed.positionals[0]!;
  const sources = ['--mem', '--mem-file', '--size'].filter((o) => parsed.values.has(o));
  if (sources.length > 1) throw new CliUsageError(`${sources.join(' and ')} exclude each other`);
  if (parsed.values.has('--seed') && !parsed.values.has('--size')) throw new CliUsageError('--seed goes with --size');
  if (parsed.flags.has('--json') && parsed.flags.has('--markdown')) throw new CliUsageError('--json and --markdown exclude each other');
  const cc = single(parsed, '--cc');
  if (cc !== undefined && !['gcc', 'clang', 'both'].includes(cc)) throw new CliUsageError(`--cc must be gcc, clang or both, got '${cc}'`);
  if (isSuite(input)) {
    for (const o of ['--entry', '--mem', '--mem-file', '--size', '--type', '--expect', '--native', '--vs']) {
      if (parsed.values.has(o)) throw new CliUsageError(`${o} is for one program; a suite's entries say it themselves`);
    }
  }
  if (parsed.values.has('--native') && parsed.flags.has('--vs-native')) throw new CliUsageError('--native and --vs-native exclude each other');
  if (parsed.flags.has('-O0') && parsed.flags.has('--vs-O0')) throw new CliUsageError('-O0 and --vs-O0 exclude each other (--vs-O0 compares -O0 with the optimized code)');
  return { ...parsed, input };
}

function programTypeOf(text: string | undefined, where: string): ProgramType | undefined {
  if (text === undefined || text === 'plain') return undefined;
  const t = parseProgramType(text);
  if (!t) throw new CliInputError(`${where}: unknown program type '${text}'`);
  return programType(t.type);
}

async function targets(parsed: ParsedArgs & { input: string }, io: CliIo): Promise<BenchTarget[]> {
  const vsNative = parsed.flags.has('--vs-native');
  if (isSuite(parsed.input)) {
    let suite;
    try {
      suite = loadSuite(parsed.input);
    } catch (e) {
      if (e instanceof BenchSuiteError) throw new CliInputError(e.message);
      throw e;
    }
    return suite.entries.map((e) => ({
      name: e.name,
      source: e.source,
      entry: e.entry,
      data: e.input,
      inputText: e.inputText,
      ...(e.expect === undefined ? {} : { expect: e.expect }),
      ...(e.repeat === undefined ? {} : { repeat: e.repeat }),
      ...(e.type === undefined ? {} : { type: programTypeOf(e.type, `${suite.file}: entry ${e.name}: type`)! }),
      ...(vsNative && extname(e.source) === '.c' ? { nativeSource: e.source } : {}),
    }));
  }
  const input = parsed.input;
  const mem = single(parsed, '--mem');
  const memFile = single(parsed, '--mem-file');
  const size = positiveInt(parsed, '--size', 0);
  const seed = positiveInt(parsed, '--seed', 0) ?? 0;
  if (seed > MAX_SEED) throw new CliUsageError(`--seed must be at most ${MAX_SEED} (the state is 32 bits), got ${seed}`);
  const data = mem !== undefined ? parseHexBytes(mem, '--mem') : memFile !== undefined ? await readInput(memFile, io, { what: '--mem-file' }) : size !== undefined ? seededBytes(size, seed) : new Uint8Array(0);
  const inputText = mem !== undefined ? `${data.length} bytes (--mem)` : memFile !== undefined ? `${data.length} bytes from ${memFile}` : size !== undefined ? `${size} bytes, seed ${seed}` : 'none';
  const expectText = single(parsed, '--expect');
  const expect = expectText === undefined ? undefined : parseExpected(expectText);
  if (typeof expect === 'string') throw new CliUsageError(`--expect: ${expect}`);
  const native = single(parsed, '--native') ?? (vsNative && extname(input) === '.c' ? input : undefined);
  if (vsNative && native === undefined) throw new CliUsageError('--vs-native needs a .c program (or use --native FILE.c)');
  if (native !== undefined && !existsSync(native)) throw new CliInputError(`${native}: no such file`);
  const entry = single(parsed, '--entry');
  const type = programTypeOf(single(parsed, '--type'), '--type');
  return [
    {
      name: basename(input, extname(input)),
      source: input,
      ...(entry === undefined ? {} : { entry }),
      data,
      inputText,
      ...(type ? { type } : {}),
      ...(expect === undefined ? {} : { expect }),
      ...(positiveInt(parsed, '--repeat') === undefined ? {} : { repeat: positiveInt(parsed, '--repeat')! }),
      ...(native === undefined ? {} : { nativeSource: native }),
      others: (parsed.values.get('--vs') ?? []).map((f) => ({ label: basename(f), source: f, ...(entry === undefined ? {} : { entry }) })),
    },
  ];
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'time BPF programs in a native run loop: statistics, exact counts under qemu, hardware counters, comparisons, suites',
  usage,
  executesNative: (args) => !parse(args).flags.has('--schema'),
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    if (parsed.flags.has('--schema')) {
      io.out(`${JSON.stringify(BENCH_REPORT_SCHEMA, null, 2)}\n`);
      return 0;
    }
    const withInput = parsed as ParsedArgs & { input: string };
    const emulator = process.env.A64JIT_EMULATOR;
    const emulated = emulator !== undefined;
    const cc = single(parsed, '--cc') ?? 'clang';
    const native: NativeCompiler[] = cc === 'both' ? ['clang', 'gcc'] : [cc as NativeCompiler];
    const load: ProgramLoader = async (file, entry) => {
      const loaded = await loadProgram(file, io, entry === undefined || !file.endsWith('.o') ? {} : { entry });
      return loaded.kind === 'insns' ? { kind: 'insns', insns: loaded.insns, file: loaded.file } : { kind: 'object', obj: loaded.obj, program: loaded.program, file: loaded.file };
    };
    const list = await targets(withInput, io);
    const tty = process.stderr.isTTY === true || process.env.A64JIT_STDERR_TTY === '1';
    const columns = Number(process.env.COLUMNS) || process.stderr.columns || 80;
    let shown = '';
    const report = await runBench(list, load, {
      interp: parsed.flags.has('--interp'),
      vsO0: parsed.flags.has('--vs-O0'),
      native,
      jit: { atomics: parsed.flags.has('--llsc') ? 'llsc' : 'auto', blind: parsed.flags.has('--blind'), optimize: !parsed.flags.has('-O0') },
      samples: positiveInt(parsed, '--samples') ?? (emulated ? 5 : 10),
      sampleMs: positiveNumber(parsed, '--sample-ms') ?? (emulated ? 20 : 50),
      warmupMs: positiveNumber(parsed, '--warmup-ms') ?? (emulated ? 20 : 100),
      emulated,
      ...(emulator ? { emulator } : {}),
      ...(tty
        ? {
            onProgress: (done: number, what: string) => {
              const line = done >= 1 ? '' : progressLine(done, what, columns);
              if (line !== shown) io.err(`\r${line.padEnd(shown.length)}${done >= 1 ? '\r' : ''}`);
              shown = line;
            },
          }
        : {}),
    }).catch((e: unknown) => {
      throw engineError(e, withInput.input);
    });
    const svg = single(parsed, '--svg');
    if (svg !== undefined) writeFileSync(svg, renderChart(report, `a64jit bench ${relative(process.cwd(), withInput.input) || withInput.input}`));
    io.out(parsed.flags.has('--json') ? `${JSON.stringify(report, null, 2)}\n` : parsed.flags.has('--markdown') ? formatMarkdown(report) : formatTable(report));
    return report.ok ? 0 : 1;
  },
};
