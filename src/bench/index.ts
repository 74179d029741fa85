/**
 * a64jit bench: microbenchmarks of BPF programs on arm64. A native run loop (run-loop.ts) calls
 * a program N times per JavaScript call, restoring its input between runs; statistics
 * (stats.ts) turn interleaved samples into medians, intervals and ratios; under qemu the
 * instruction-count plugin gives exact per-run counts, on arm64 Linux perf_event_open gives
 * hardware counters (counters.ts); reports are a table, Markdown, JSON (schema.ts) and an SVG
 * chart (svg.ts). Suites are corpus manifests (suite.ts).
 *
 * This room may import src/jit, src/arm64, src/bpf and src/runtime; the CLI command
 * (src/cli/commands/bench.ts) only parses arguments and prints what runBench returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { ProgramType } from '../bpf/index.js';
import { compileBpf, compileNative, nativeCommand, type NativeCompiler } from './compile.js';
import { CounterSet, type PerfBackend } from './counters.js';
import { measureProgram } from './measure.js';
import { programReport, REPORT_SCHEMA_ID, type BenchReport, type ProgramReport } from './report.js';
import { RunLoop } from './run-loop.js';
import type { ObjectProgram as ApiProgram } from '../object/index.js';
import { apiInput, apiProgram, interpVariant, jitVariant, nativeVariant, type BenchJitOptions, type BenchProgram, type Variant } from './variants.js';

export { BenchCompileError, type NativeCompiler } from './compile.js';
export { CounterSet, PMU_EVENTS, counterProblem, type PerfBackend } from './counters.js';
export { MAX_SEED, hexBytes, seededBytes, xorshift32 } from './input.js';
export { measureProgram, type MeasureOptions, type ProgramMeasurement, type VariantResult } from './measure.js';
export { formatMarkdown, formatTable, progressLine, type BenchReport, type ProgramReport, type VariantReport } from './report.js';
export { RunLoop, runLoopCode, type LoopResult, type LoopTarget, type Restore } from './run-loop.js';
export { BENCH_REPORT_SCHEMA } from './schema.js';
export * from './stats.js';
export { BenchSuiteError, loadSuite, parseExpected, parseSuite, type Suite, type SuiteEntry } from './suite.js';
export { renderChart } from './svg.js';
export { interpVariant, jitVariant, nativeVariant, type BenchInput, type BenchJitOptions, type BenchProgram, type Variant, type VariantKind } from './variants.js';

/** Loads a BPF program file (.o, .s, .bin, ...) as the caller's loader does; `entry` picks one. */
export type ProgramLoader = (file: string, entry: string | undefined) => Promise<BenchProgram>;

/** One program to measure, with what it is compared against. */
export interface BenchTarget {
  readonly name: string;
  /** the program file (.c is compiled with clang-22 -target bpf -O2 first) */
  readonly source: string;
  /** ELF program / C function; undefined: the loader's default */
  readonly entry?: string;
  readonly data: Uint8Array;
  readonly inputText: string;
  readonly type?: ProgramType;
  readonly expect?: bigint;
  readonly repeat?: number;
  /** C source built natively for the native variants */
  readonly nativeSource?: string;
  /** further programs on the same input, by label */
  readonly others?: readonly { readonly label: string; readonly source: string; readonly entry?: string }[];
}

export interface BenchOptions {
  readonly interp: boolean;
  /** compare with the same program compiled without the optimization tier (-O0) */
  readonly vsO0?: boolean;
  /** native compilers for the native variants (of targets with a nativeSource) */
  readonly native: readonly NativeCompiler[];
  readonly jit: BenchJitOptions;
  readonly samples: number;
  readonly sampleMs: number;
  readonly warmupMs: number;
  readonly emulated: boolean;
  readonly emulator?: string;
  /** count hardware events where the host has them (default true) */
  readonly counters?: boolean;
  /** the addon boundary, for tests */
  readonly perf?: PerfBackend;
  /** progress: fraction done (0..1) and what runs */
  readonly onProgress?: (done: number, what: string) => void;
}

/** A .c program compiled to a BPF object in `dir`; anything else as it is. */
async function loadSource(load: ProgramLoader, source: string, entry: string | undefined, dir: string): Promise<BenchProgram> {
  if (extname(source) !== '.c') return load(source, entry);
  const object = join(dir, `${basename(source, '.c')}-${Math.random().toString(36).slice(2, 8)}.o`);
  compileBpf(source, object);
  const program = await load(object, entry ?? 'bench');
  return { ...program, file: source };
}

/** The virtual counter's frequency (CNTFRQ_EL0), from a loop of no runs. */
function timerHz(): number | null {
  const loop = RunLoop.overhead({ address: 0n, r1: 0n, r2: 0n });
  try {
    const f = Number(loop.run(0).frequency);
    return f > 0 ? f : null;
  } finally {
    loop.free();
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? (e.name === 'Error' || e.name === 'RangeError' ? e.message : `${e.name}: ${e.message}`) : String(e));

export async function runBench(targets: readonly BenchTarget[], load: ProgramLoader, options: BenchOptions): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-bench-'));
  const counters = options.counters === false || options.emulated ? undefined : CounterSet.open({ emulated: options.emulated, ...(options.perf ? { backend: options.perf } : {}) });
  const programs: ProgramReport[] = [];
  let countsNote: string | null = null;
  try {
    for (const [index, t] of targets.entries()) {
      const info = { name: t.name, source: t.source, entry: t.entry ?? 'bench', input: t.inputText, ...(t.expect === undefined ? {} : { expect: t.expect }) };
      const variants: Variant[] = [];
      const objects: { close(): void }[] = [];
      try {
        options.onProgress?.(index / targets.length, t.name);
        const loaded = await loadSource(load, t.source, t.entry, dir);
        // Objects with maps or a program type run through the object API (maps, helpers,
        // context), one object per set of JIT options.
        const jitProgram = (p: BenchProgram, jit: BenchJitOptions): BenchProgram | ApiProgram => {
          const api = apiProgram(p, t.type, jit);
          if (api) objects.push(api.object);
          return api ?? p;
        };
        const program = jitProgram(loaded, options.jit);
        const input = 'kind' in program ? { data: t.data, ...(t.type ? { type: t.type } : {}) } : apiInput(program, t.data);
        variants.push(jitVariant('jit', 'jit', program, input, options.jit));
        if (options.vsO0) {
          const o0 = { ...options.jit, optimize: false };
          variants.push(jitVariant('jit -O0', 'jit-O0', jitProgram(loaded, o0), input, o0));
        }
        if (options.interp) variants.push(interpVariant('interpreter', program, input));
        if (t.nativeSource) {
          for (const cc of options.native) {
            const lib = join(dir, `${t.name}-${cc}-${variants.length}.so`);
            compileNative(t.nativeSource, lib, cc);
            variants.push(nativeVariant(`native ${nativeCommand(cc, t.nativeSource, lib).label}`, lib, t.entry ?? 'bench', input));
          }
        }
        for (const other of t.others ?? []) {
          const o = await loadSource(load, other.source, other.entry, dir);
          variants.push(jitVariant(other.label, 'program', jitProgram(o, options.jit), input, options.jit));
        }
        let done = 0;
        const total = variants.length * options.samples;
        const m = measureProgram(variants, {
          samples: options.samples,
          sampleNs: options.sampleMs * 1e6,
          warmupNs: options.warmupMs * 1e6,
          emulated: options.emulated,
          ...(t.expect === undefined ? {} : { expect: t.expect }),
          ...(t.repeat === undefined ? {} : { repeat: t.repeat }),
          ...(counters ? { counters } : {}),
          onSample: () => options.onProgress?.((index + ++done / total) / targets.length, t.name),
        });
        countsNote ??= m.countsNote ?? null;
        programs.push(programReport(info, m));
      } catch (e) {
        programs.push(programReport(info, { error: errorText(e) }));
      } finally {
        for (const v of variants) v.free();
        for (const o of objects) o.close();
      }
    }
    options.onProgress?.(1, '');
    return {
      schema: REPORT_SCHEMA_ID,
      host: { arch: process.arch, platform: process.platform, node: process.version, emulated: options.emulated, emulator: options.emulator ?? null, timerHz: process.arch === 'arm64' ? timerHz() : null },
      settings: { samples: options.samples, sampleMs: options.sampleMs, warmupMs: options.warmupMs },
      counters: options.emulated ? 'hardware counters: not present under qemu-aarch64 (qemu-user does not emulate perf_event_open); the exact instruction counts stand in for them' : counters ? counters.summary() : null,
      countsNote,
      ok: programs.every((p) => p.ok),
      programs,
    };
  } finally {
    counters?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
