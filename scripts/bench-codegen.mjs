#!/usr/bin/env node
// npm run bench:codegen: code quality of the JIT on the benchmark corpus (bench/corpus), as
// exact executed-instruction counts under qemu-aarch64 (the project's TCG plugin), against the
// same C compiled natively by clang-22 -O2 and aarch64-linux-gnu-gcc -O2. Issue 11.
//
//   node scripts/bench-codegen.mjs [--only REGEX] [--markdown] [--json FILE] [--no-compile]
//                                  [--update-expect] [--compile-speed]
//
// Per program: BPF instructions; instructions executed per run by a64jit -O0, a64jit optimized,
// clang and gcc (each result checked against the suite's expected value, which the reference
// interpreter computed); the ratio optimized/clang; code sizes; then the geometric means.
// Counts are per run: (count(2N) - count(N)) / N, so set-up and compilation drop out.
// Last, the compile speed on this host (BPF instructions per millisecond, optimized and -O0)
// over the corpus programs and over 2,000 fuzz-generator programs (--compile-speed: only that,
// on the host, nothing under qemu).
// --update-expect writes the interpreter's results into bench/corpus/suite.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { arm64NodeCommand, emulationProblems, ensureOverlay, nativeArm64, root } from './arm64-env.mjs';

const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const CORPUS = join(root, 'bench', 'corpus');
const RUNS = 2;

function parseArgs(argv) {
  const o = { only: null, markdown: false, json: null, compile: true, worker: null, updateExpect: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') o.only = new RegExp(argv[++i]);
    else if (a === '--markdown') o.markdown = true;
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--no-compile') o.compile = false;
    else if (a === '--update-expect') o.updateExpect = true;
    else if (a === '--compile-speed') o.compileSpeedOnly = true;
    else if (a === '--worker') o.worker = argv[++i];
    else throw new Error(`unknown argument ${a} (see the header of scripts/bench-codegen.mjs)`);
  }
  return o;
}

/** The bytes of an entry's input: hex as given, or {size, seed} filled as bench/corpus/README.md says. */
export function inputBytes(input) {
  if (typeof input.hex === 'string') return Buffer.from(input.hex, 'hex');
  const out = Buffer.alloc(input.size);
  let x = input.seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    for (let k = 0; k < 4 && i + k < out.length; k++) out[i + k] = (x >>> (8 * k)) & 0xff;
  }
  return out;
}

// --- guest: runs in the arm64 Node under qemu with the counting plugin ------------------------
async function worker(jobFile) {
  const { loadBpfObject } = await import(dist('bpf/index.js'));
  const { ObjectProgram } = await import(dist('jit/index.js'));
  const { NativeLibrary, NativeFunction, insnCountStatus, insnsPerRun } = await import(dist('runtime/index.js'));
  const status = insnCountStatus();
  if (!status.available) throw new Error(status.reason);
  const jobs = JSON.parse(readFileSync(jobFile, 'utf8'));
  const out = [];
  for (const job of jobs) {
    const pristine = Buffer.from(job.input, 'hex');
    const mem = Buffer.alloc(pristine.length);
    const run = (call) => (n) => {
      for (let i = 0; i < n; i++) {
        pristine.copy(mem);
        call();
      }
    };
    const row = { name: job.name, results: {}, counts: {}, sizes: {} };
    for (const [mode, optimize] of [['O0', false], ['opt', true]]) {
      const obj = loadBpfObject(new Uint8Array(readFileSync(job.obj)));
      // trusted benchmark code: loops bounded by the input length are beyond the verifier, and
      // unverified code would get a budget (which compiles 1:1); neither is what is measured
      const prog = ObjectProgram.load(obj, job.entry, { optimize, verify: false, budget: false });
      pristine.copy(mem);
      row.results[mode] = `0x${prog.jit.run(mem).toString(16)}`;
      row.counts[mode] = insnsPerRun({ start: prog.jit.address, size: prog.jit.code.length, name: `${job.name} ${mode}` }, run(() => prog.jit.run(mem)), RUNS).perRun.toString();
      row.sizes[mode] = prog.jit.code.length;
      row.optimized = row.optimized || prog.jit.compiled.optimizer !== undefined;
      if (optimize) row.passes = prog.jit.compiled.optimizer ?? null;
      prog.free();
    }
    for (const cc of ['clang', 'gcc']) {
      const n = job.natives[cc];
      const lib = NativeLibrary.open(n.so);
      const address = lib.symbolAddress(job.entry);
      const fn = new NativeFunction(address, 'uint64_t (void *, uint64_t)');
      const base = address - BigInt(n.entryValue);
      const call = () => BigInt.asUintN(64, BigInt(fn.call(mem, BigInt(mem.length))));
      pristine.copy(mem);
      row.results[cc] = `0x${call().toString(16)}`;
      // the whole .text: the entry and every function it calls (static callees, clones)
      row.counts[cc] = insnsPerRun({ start: base + BigInt(n.textAddr), size: n.textSize, name: `${job.name} ${cc}` }, run(call), RUNS).perRun.toString();
      row.sizes[cc] = n.textSize;
    }
    out.push(row);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  console.log(`=${JSON.stringify(out)}`);
}

// --- host: builds, checks, launches, reports -------------------------------------------------------
function sh(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function textSection(so) {
  const m = / \.text\s+PROGBITS\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(sh('aarch64-linux-gnu-readelf', ['-SW', so]));
  if (!m) throw new Error(`${so}: no .text section`);
  return { textAddr: parseInt(m[1], 16), textSize: parseInt(m[2], 16) };
}

/** SIMD/FP instructions in a native build (static count): the corpus is meant to be scalar. */
function simdInstructions(so) {
  const text = sh('llvm-objdump-22', ['-d', '--no-show-raw-insn', so]);
  return text.split('\n').filter((l) => /\t[a-z0-9.]+\s.*\b([vqdsbh][0-9]+)\b/.test(l) && !/\t(b|bl|cb|tb)/.test(l)).length;
}

function symbolValue(so, name) {
  const m = new RegExp(`^([0-9a-f]+) T ${name}$`, 'm').exec(sh('aarch64-linux-gnu-nm', [so]));
  if (!m) throw new Error(`${so}: no global function ${name}`);
  return parseInt(m[1], 16);
}

/** Where an entry's builds go (named by a hash of its sources) and how each is made once. */
function corpusBuild(e, build, header) {
  const src = join(CORPUS, e.source);
  const hash = createHash('sha256').update(readFileSync(src)).update(header).update(existsSync(join(CORPUS, 'packets.h')) ? readFileSync(join(CORPUS, 'packets.h')) : '').digest('hex').slice(0, 12);
  const out = (suffix) => join(build, `${e.name}-${hash}${suffix}`);
  const compile = (file, cmd, args) => {
    if (!existsSync(file)) sh(cmd, [...args, '-I', CORPUS, src, '-o', file]);
    return file;
  };
  return { compile, out };
}

/**
 * The corpus programs as the compile-speed figures compile them ({name, insns, resolvePseudo}),
 * for other scripts (scripts/compile-equivalence.mjs); dist/ must be built.
 */
export async function corpusPrograms() {
  const suite = JSON.parse(readFileSync(join(CORPUS, 'suite.json'), 'utf8'));
  const build = join(tmpdir(), 'a64jit-bench-codegen');
  mkdirSync(build, { recursive: true });
  const header = readFileSync(join(CORPUS, 'bench.h'));
  const { loadBpfObject, linkForInterpreter } = await import(dist('bpf/index.js'));
  return suite.map((e) => {
    const { compile, out } = corpusBuild(e, build, header);
    const object = loadBpfObject(new Uint8Array(readFileSync(compile(out('.o'), 'clang-22', ['-target', 'bpf', '-O2', '-c']))));
    const program = object.programs.find((p) => p.name === e.entry);
    if (!program) throw new Error(`${e.source}: no program ${e.entry}`);
    return { name: e.name, insns: program.insns, resolvePseudo: linkForInterpreter(object, program).resolvePseudo };
  });
}

async function host(o) {
  if (o.compile) {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error('the TypeScript build failed');
  }
  const suite = JSON.parse(readFileSync(join(CORPUS, 'suite.json'), 'utf8'));
  const entries = suite.filter((e) => !o.only || o.only.test(e.name));
  const build = join(tmpdir(), 'a64jit-bench-codegen');
  mkdirSync(build, { recursive: true });
  const header = readFileSync(join(CORPUS, 'bench.h'));
  const { loadBpfObject, interpret, linkForInterpreter } = await import(dist('bpf/index.js'));
  const jobs = [];
  const compileInputs = [];
  const expected = new Map();
  for (const e of entries) {
    const { compile, out } = corpusBuild(e, build, header);
    const obj = compile(out('.o'), 'clang-22', ['-target', 'bpf', '-O2', '-c']);
    const clang = compile(out('.clang.so'), 'clang-22', ['--target=aarch64-linux-gnu', '-O2', '-shared', '-fPIC', '-nostdlib']);
    const gcc = compile(out('.gcc.so'), 'aarch64-linux-gnu-gcc', ['-O2', '-shared', '-fPIC', '-nostdlib']);
    const input = inputBytes(e.input);
    // the reference interpreter gives the expected result
    const object = loadBpfObject(new Uint8Array(readFileSync(obj)));
    const program = object.programs.find((p) => p.name === e.entry);
    if (!program) throw new Error(`${e.source}: no program ${e.entry}`);
    const link = linkForInterpreter(object, program);
    const r = interpret(program.insns, { mem: input, memory: link.memory, resolvePseudo: link.resolvePseudo, maxInstructions: 100_000_000 });
    const want = `0x${r.value.toString(16)}`;
    if (o.updateExpect) e.expect = want;
    else if (BigInt(e.expect) !== r.value) throw new Error(`${e.name}: the interpreter returns ${want}, the suite expects ${e.expect} (rerun with --update-expect after checking)`);
    expected.set(e.name, { value: want, slots: program.insns.length, interpreted: r.instructions });
    const natives = {};
    for (const [cc, so] of [['clang', clang], ['gcc', gcc]]) natives[cc] = { so, entryValue: symbolValue(so, e.entry), simd: simdInstructions(so), ...textSection(so) };
    jobs.push({ name: e.name, obj, entry: e.entry, input: input.toString('hex'), natives });
    compileInputs.push({ insns: program.insns, resolvePseudo: link.resolvePseudo });
  }
  if (o.updateExpect) writeFileSync(join(CORPUS, 'suite.json'), `${JSON.stringify(suite, null, 2)}\n`);
  if (o.compileSpeedOnly) {
    for (const line of (await compileSpeed(compileInputs)).lines) console.log(line);
    return;
  }

  // the guest
  const jobFile = join(build, `jobs-${process.pid}.json`);
  writeFileSync(jobFile, JSON.stringify(jobs));
  const { insnCountLaunch, buildQemuPlugin, qemuPluginPath } = await import(dist('runtime/qemu-plugin.js'));
  if (nativeArm64) throw new Error('bench:codegen counts instructions with the qemu plugin; on an arm64 host run it under qemu-aarch64 (or use a64jit bench with hardware counters)');
  const problems = emulationProblems();
  if (problems.length > 0) throw new Error(`cannot run arm64 code here:\n  - ${problems.join('\n  - ')}\nrun \`npm run setup\` first`);
  if (!ensureOverlay()) throw new Error('the arm64 native packages are missing from .arm64/packages; run `npm run setup`');
  buildQemuPlugin(qemuPluginPath());
  const launch = insnCountLaunch();
  if (!launch) throw new Error('the qemu instruction-count plugin is not built (npm run setup)');
  const node = arm64NodeCommand();
  let rows;
  try {
    const r = spawnSync(node.command, [...node.args, join(root, 'scripts', 'bench-codegen.mjs'), '--worker', jobFile], {
      cwd: root,
      env: { ...process.env, ...node.env, ...launch.env, PREBUILDS_ONLY: '1', A64JIT_EMULATOR: 'qemu-aarch64' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('='));
    if (r.status !== 0 || !line) throw new Error(`the arm64 worker failed (exit ${r.status})\n${r.stdout}`);
    rows = JSON.parse(line.slice(1));
  } finally {
    launch.cleanup();
  }

  // check and report
  let failures = 0;
  const table = [];
  for (const row of rows) {
    const exp = expected.get(row.name);
    const wrong = Object.entries(row.results).filter(([, v]) => v !== exp.value);
    if (wrong.length > 0) {
      failures++;
      console.error(`bench:codegen: ${row.name}: wrong result from ${wrong.map(([k, v]) => `${k} (${v})`).join(', ')}; expected ${exp.value}`);
    }
    const c = Object.fromEntries(Object.entries(row.counts).map(([k, v]) => [k, Number(v)]));
    const job = jobs.find((j) => j.name === row.name);
    table.push({ name: row.name, slots: exp.slots, ...c, sizes: row.sizes, simd: job.natives.clang.simd + job.natives.gcc.simd, optimized: row.optimized, passes: row.passes });
  }
  const geo = (f) => Math.exp(table.reduce((s, r) => s + Math.log(f(r)), 0) / table.length);
  const summary = {
    programs: table.length,
    optOverClang: geo((r) => r.opt / r.clang),
    optOverGcc: geo((r) => r.opt / r.gcc),
    o0OverClang: geo((r) => r.O0 / r.clang),
    optOverO0: geo((r) => r.opt / r.O0),
    slowerThanO0: table.filter((r) => r.opt > r.O0).map((r) => r.name),
    notOptimized: table.filter((r) => !r.optimized).map((r) => r.name),
    failures,
  };
  print(table, summary, o.markdown);
  const speed = await compileSpeed(compileInputs);
  for (const line of speed.lines) console.log(line);
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ rows: table, summary, compileSpeed: speed.figures }, null, 2)}\n`);
  if (failures > 0) process.exit(1);
}

/**
 * BPF instructions compiled per millisecond on this host (the pure compiler, no executable
 * memory), optimized and -O0, each set compiled repeatedly for at least a second after a
 * warm-up of at least a second (and two rounds): the corpus is small, and two rounds of it
 * left much of the compiler in V8's interpreter and baseline tiers, so its figure measured
 * V8's warm-up more than the compiler.
 */
async function compileSpeed(corpus) {
  const { compileProgram } = await import(dist('jit/index.js'));
  const { generateProgram } = await import(dist('bpf/program-generator.js'));
  const fuzz = Array.from({ length: 2000 }, (_, seed) => ({ insns: generateProgram(seed).insns }));
  const figures = {};
  const lines = [];
  for (const [set, programs] of [['corpus', corpus], ['fuzz programs 0..1999', fuzz]]) {
    const slots = programs.reduce((n, p) => n + p.insns.length, 0);
    for (const [mode, optimize] of [['optimized', true], ['-O0', false]]) {
      const once = () => {
        for (const p of programs) compileProgram(p.insns, { contextAddress: 0n, helperIds: new Set(), atomics: 'lse', optimize, ...(p.resolvePseudo ? { resolvePseudo: p.resolvePseudo } : {}) });
      };
      for (let w = 0, t = performance.now(); w < 2 || performance.now() - t < 1000; w++) once();
      let rounds = 0;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      while (performance.now() - t0 < 1000 || rounds < 2) {
        once();
        rounds++;
      }
      const cpu = process.cpuUsage(c0);
      const perMs = (slots * rounds) / (performance.now() - t0);
      // CPU time of this process (all its threads, the GC's included): what a loaded machine
      // does not distort the way it does wall-clock time
      const perCpuMs = (slots * rounds) / ((cpu.user + cpu.system) / 1000);
      figures[`${set} ${mode}`] = { wall: Math.round(perMs), cpu: Math.round(perCpuMs) };
      lines.push(`compile speed, ${set} (${programs.length} programs, ${slots} BPF instructions), ${mode}: ${Math.round(perMs)} BPF instructions/ms wall-clock, ${Math.round(perCpuMs)} per ms of CPU time (${process.arch} host, Node ${process.version})`);
    }
  }
  return { figures, lines };
}

function print(table, s, markdown) {
  const fmt = (v) => String(v);
  const cols = ['program', 'BPF insns', '-O0', 'optimized', 'clang -O2', 'gcc -O2', 'opt/clang', 'opt/gcc', 'bytes -O0', 'bytes opt', 'bytes clang', 'bytes gcc', 'native SIMD'];
  const rows = table.map((r) => [
    r.name,
    fmt(r.slots),
    fmt(r.O0),
    fmt(r.opt),
    fmt(r.clang),
    fmt(r.gcc),
    (r.opt / r.clang).toFixed(2),
    (r.opt / r.gcc).toFixed(2),
    fmt(r.sizes.O0),
    fmt(r.sizes.opt),
    fmt(r.sizes.clang),
    fmt(r.sizes.gcc),
    fmt(r.simd),
  ]);
  const foot = [
    `geomean optimized/clang ${s.optOverClang.toFixed(3)}, optimized/gcc ${s.optOverGcc.toFixed(3)}, -O0/clang ${s.o0OverClang.toFixed(3)}, optimized/-O0 ${s.optOverO0.toFixed(3)} over ${s.programs} programs`,
    `slower than -O0: ${s.slowerThanO0.length === 0 ? 'none' : s.slowerThanO0.join(', ')}; compiled 1:1 (optimizer declined): ${s.notOptimized.length === 0 ? 'none' : s.notOptimized.join(', ')}; wrong results: ${s.failures}`,
  ];
  if (markdown) {
    console.log(`| ${cols.join(' | ')} |`);
    console.log(`| ${cols.map((c, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    console.log('');
    for (const f of foot) console.log(f);
    return;
  }
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  console.log(line(cols));
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const f of foot) console.log(f);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const o = parseArgs(process.argv.slice(2));
  if (o.worker) await worker(o.worker);
  else
    await host(o).catch((e) => {
      console.error(`bench:codegen: ${e.message}`);
      process.exit(1);
    });
}
