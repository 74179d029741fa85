/**
 * The JSON Schema (draft 2020-12) of `a64jit bench --json` (the BenchReport of report.ts),
 * printed by `a64jit bench --schema`. Times are ns per run; ratios are variant / the first
 * variant of the program (time: of medians, with a paired-bootstrap 95% interval; insns: of
 * exact instruction counts under qemu); counts and counters are per run.
 */

const nullable = (schema: object): object => ({ anyOf: [schema, { type: 'null' }] });
const interval = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } as const;
const hex = { type: 'string', pattern: '^0x[0-9a-f]+$' } as const;

const time = {
  type: 'object',
  additionalProperties: false,
  required: ['median', 'min', 'max', 'mean', 'p5', 'p95', 'stddev', 'ci95', 'samples'],
  properties: {
    median: { type: 'number' },
    min: { type: 'number' },
    max: { type: 'number' },
    mean: { type: 'number' },
    p5: { type: 'number' },
    p95: { type: 'number' },
    stddev: { type: 'number' },
    ci95: interval,
    samples: { type: 'array', items: { type: 'number' }, minItems: 1 },
  },
};

const compile = {
  type: 'object',
  additionalProperties: false,
  required: ['bpfInsns', 'codeBytes', 'compileMs', 'verifyMs', 'optimized', 'unoptimized'],
  properties: {
    bpfInsns: { type: 'integer', minimum: 0 },
    codeBytes: { type: 'integer', minimum: 0 },
    compileMs: { type: 'number', minimum: 0, description: 'median of 5 compiles, validation, verification and loading included' },
    verifyMs: nullable({ type: 'number', minimum: 0 }),
    optimized: { type: 'boolean', description: 'the optimization tier compiled it (false: -O0, or the tier fell back to 1:1 code)' },
    unoptimized: nullable({ type: 'string', description: 'optimization was asked for, but the tier does not handle this program: why' }),
  },
};

const variant = {
  type: 'object',
  additionalProperties: false,
  required: ['label', 'kind', 'ok', 'error', 'r0', 'runsPerSample', 'nsPerRun', 'runsPerSecond', 'noise', 'insnsPerRun', 'counters', 'countersNote', 'ratio', 'compile'],
  properties: {
    label: { type: 'string', description: "e.g. 'jit', 'interpreter', 'native clang-22 -O2', another program's name" },
    kind: { enum: ['jit', 'jit-O0', 'interp', 'native', 'program'] },
    ok: { type: 'boolean', description: 'false: a wrong result or an error; the row failed' },
    error: nullable({ type: 'string' }),
    r0: nullable(hex),
    runsPerSample: { type: 'integer', minimum: 0 },
    nsPerRun: nullable(time),
    runsPerSecond: nullable({ type: 'number' }),
    noise: nullable({ type: 'string', description: 'set when the spread says the machine was noisy' }),
    insnsPerRun: nullable({ type: 'integer', minimum: 0, description: "exact, under qemu: instructions executed per run inside the variant's own code" }),
    counters: nullable({ type: 'object', additionalProperties: nullable({ type: 'number' }), description: 'hardware counters per run (perf_event_open), by event' }),
    countersNote: nullable({ type: 'string' }),
    ratio: nullable({
      type: 'object',
      additionalProperties: false,
      required: ['time', 'insns'],
      properties: {
        time: nullable({ type: 'object', additionalProperties: false, required: ['value', 'ci95'], properties: { value: { type: 'number' }, ci95: interval } }),
        insns: nullable({ type: 'number' }),
      },
    }),
    compile: nullable({ ...compile, description: 'JIT variants: the figures of their own code' }),
  },
};

const program = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source', 'entry', 'input', 'expect', 'ok', 'error', 'compile', 'loop', 'variants'],
  properties: {
    name: { type: 'string' },
    source: { type: 'string' },
    entry: { type: 'string' },
    input: { type: 'string', description: "e.g. '4096 bytes, seed 7'" },
    expect: nullable(hex),
    ok: { type: 'boolean' },
    error: nullable({ type: 'string' }),
    compile: nullable({ ...compile, description: "the first JIT variant's (also in its variant)" }),
    loop: nullable({
      type: 'object',
      additionalProperties: false,
      required: ['nsPerRun', 'insnsPerRun'],
      properties: { nsPerRun: { type: 'number' }, insnsPerRun: nullable({ type: 'integer', minimum: 0 }) },
      description: "the run loop's own cost per run (an empty target), included in every loop variant's nsPerRun",
    }),
    variants: { type: 'array', items: variant },
  },
};

export const BENCH_REPORT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'a64jit-bench/1',
  title: 'a64jit bench --json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'host', 'settings', 'counters', 'countsNote', 'ok', 'programs'],
  properties: {
    schema: { const: 'a64jit-bench/1' },
    host: {
      type: 'object',
      additionalProperties: false,
      required: ['arch', 'platform', 'node', 'emulated', 'emulator', 'timerHz'],
      properties: {
        arch: { type: 'string' },
        platform: { type: 'string' },
        node: { type: 'string' },
        emulated: { type: 'boolean', description: 'true under qemu: wall-clock figures are the emulator speed' },
        emulator: nullable({ type: 'string' }),
        timerHz: nullable({ type: 'number' }),
      },
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      required: ['samples', 'sampleMs', 'warmupMs'],
      properties: { samples: { type: 'integer', minimum: 1 }, sampleMs: { type: 'number' }, warmupMs: { type: 'number' } },
    },
    counters: nullable({ type: 'string' }),
    countsNote: nullable({ type: 'string' }),
    ok: { type: 'boolean', description: 'every program passed (the exit code is 0 exactly then)' },
    programs: { type: 'array', items: program },
  },
} as const;
