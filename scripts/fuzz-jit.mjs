#!/usr/bin/env node
// npm run fuzz:jit: the long differential run of issue 5. N random valid programs (default
// 1,000,000) from a start seed, each compiled by the JIT and run natively on arm64 (under
// qemu-aarch64 on other hosts), each compared with the interpreter: R0 and the whole buffer.
//
//   node scripts/fuzz-jit.mjs [--count N] [--start S] [--workers W] [--verbose] [--maps]
//                             [--progress SECONDS] [--max-reports N] [--no-compile] [--O0]
//
// The JIT compiles with its optimization tier on (the default), and the summary says how
// often each optimizer pass fired over the run; --O0 fuzzes the 1:1 path instead.
//
// --maps (npm run fuzz:maps): programs that also look up, update and delete in an array and a
// hash map (src/jit/fuzz/maps.ts); the final contents of both maps must agree too.
//
// One arm64 Node process per worker (default: one per core) takes every W-th seed. Under qemu
// the programs are generated and interpreted by this (host) Node in batches, and the workers
// only compile, run and compare (src/jit/fuzz/host-oracle.ts). Workers
// report each program on their stdout, so a crash or a hang in JIT code pins the exact seed;
// the worker is then restarted after it. The last line is the summary, e.g.
//   fuzz-jit: 1000000 programs, 0 mismatches (seeds 0..999999, arm64 under qemu, 4123 s)
// Reproduce one seed with: npm run fuzz:jit -- --start <seed> --count 1 --verbose
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { arm64NodeCommand, emulationProblems, ensureOverlay, nativeArm64, root } from './arm64-env.mjs';

function parseArgs(argv) {
  const o = { count: 1_000_000, start: 0, workers: availableParallelism(), verbose: false, progress: 30, maxReports: 20, compile: true, worker: false, stride: 1, hang: 600, maps: false, optimize: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--count') o.count = num();
    else if (a === '--start') o.start = num();
    else if (a === '--workers') o.workers = Math.max(1, num());
    else if (a === '--progress') o.progress = num();
    else if (a === '--max-reports') o.maxReports = num();
    else if (a === '--hang-timeout') o.hang = num();
    else if (a === '--stride') o.stride = Math.max(1, num());
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--maps') o.maps = true;
    else if (a === '--no-compile') o.compile = false;
    else if (a === '--O0') o.optimize = false;
    else if (a === '--worker') o.worker = true;
    else throw new Error(`unknown argument ${a} (see the header of scripts/fuzz-jit.mjs)`);
  }
  return o;
}

const dist = (path) => pathToFileURL(join(root, 'dist', path)).href;
/** seeds per oracle batch of a worker */
const ORACLE_BATCH = 200;

// --- worker: runs in the arm64 Node -------------------------------------------------------------
// Protocol, one line each: "+" program agreed, "!<json>" program failed, "=<json>" final stats.
async function worker(o) {
  const { checkFuzzCase, programText, addPassCounts } = await import(dist('jit/fuzz/differential.js'));
  const { oracleSource } = await import(dist('jit/fuzz/host-oracle.js'));
  const { jitExecutor } = await import(dist('jit/fuzz/jit-executor.js'));
  const { generateProgram } = await import(dist('bpf/program-generator.js'));
  const { checkMapFuzzCase } = await import(dist('jit/fuzz/maps.js'));
  const { FUZZ_MAP_PROGRAMS } = await import(dist('jit/fuzz/maps.js'));
  const executor = jitExecutor({ optimize: o.optimize });
  const forms = new Set();
  let mapCalls = 0;
  let inlined = 0;
  let slots = 0;
  let executed = 0;
  let optimized = 0;
  const passes = {};
  const say = (line) => writeSync(1, `${line}\n`);
  // self-test of the crash attribution: this seed dies like a JIT crash would
  const crashSeed = process.env.A64JIT_FUZZ_SELFTEST_CRASH_SEED;
  // programs and expected results come in batches from the oracle (the host's own Node under
  // qemu: src/jit/fuzz/host-oracle.ts)
  const oracle = oracleSource(o.maps ? 'maps' : 'plain');
  let batch = [];
  for (let seed = o.start, n = 0; n < o.count; seed += o.stride, n++) {
    if (batch.length === 0) {
      const b = await oracle.batch(seed, Math.min(ORACLE_BATCH, o.count - n), o.stride);
      for (const f of b.forms) forms.add(f);
      batch = [...b.cases].reverse();
    }
    if (crashSeed !== undefined && Number(crashSeed) === seed) process.kill(process.pid, 'SIGSEGV');
    const c = batch.pop();
    if (c && c.seed !== seed) throw new Error(`fuzz oracle: expected seed ${seed}, got ${c.seed}`);
    const r = o.maps ? checkMapFuzzCase(c) : checkFuzzCase(c, executor);
    if (o.maps) {
      mapCalls += r.helperCalls;
      inlined += r.inlined;
    } else {
      slots += r.slots;
      executed += r.executed;
      if (r.passes) optimized++;
      addPassCounts(passes, r.passes);
    }
    if (r.ok && o.verbose) {
      say(`#fuzz-jit: seed ${seed}: JIT and interpreter agree${o.maps ? ` (${r.helperCalls} map helper calls, ${r.inlined} inlined lookups)` : ` (${r.slots} slots, ${r.executed} instructions executed)`}`);
      for (const line of programText(generateProgram(seed, o.maps ? FUZZ_MAP_PROGRAMS : {}).insns).split('\n')) say(`#${line}`);
    }
    say(r.ok ? '+' : `!${JSON.stringify({ seed, report: r.report })}`);
  }
  say(`=${JSON.stringify({ slots, executed, forms: [...forms], mapCalls, inlined, optimized, passes })}`);
}

// --- coordinator: runs on any host ---------------------------------------------------------------
function formatDuration(s) {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

async function coordinate(o) {
  const log = (s) => console.log(s);
  if (o.compile) {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error('the TypeScript build failed');
  }
  if (!existsSync(join(root, 'dist', 'jit', 'fuzz', 'differential.js'))) throw new Error('dist/ is missing the fuzzer: run `npm run compile`');
  if (!nativeArm64) {
    const problems = emulationProblems();
    if (problems.length > 0) throw new Error(`cannot run arm64 code here:\n  - ${problems.join('\n  - ')}\nrun \`npm run setup\` first`);
    if (!ensureOverlay()) throw new Error('the arm64 native packages are missing from .arm64/packages; run `npm run setup`');
  }
  const node = arm64NodeCommand();
  const where = nativeArm64 ? 'arm64 natively' : 'arm64 under qemu';
  // A64JIT_HOST_NODE: the workers get their programs and expected results from this Node
  const env = { ...process.env, ...node.env, ...(nativeArm64 ? {} : { PREBUILDS_ONLY: '1', A64JIT_EMULATED: '1', A64JIT_HOST_NODE: process.execPath }) };
  const workers = Math.min(o.workers, Math.max(1, o.count));
  const last = o.start + o.count - 1;
  log(`fuzz-jit: ${o.count} programs, seeds ${o.start}..${last}, ${workers} worker(s), ${where}`);

  const started = Date.now();
  let done = 0;
  const failures = [];
  const forms = new Set();
  let slots = 0;
  let executed = 0;
  let mapCalls = 0;
  let inlined = 0;
  let reported = 0;
  let optimized = 0;
  const passes = {};

  const report = (seed, text) => {
    failures.push(seed);
    if (reported++ < o.maxReports) log(`\n${text}\n`);
    else log(`fuzz-jit: seed ${seed} failed (report suppressed after ${o.maxReports}; rerun it with --start ${seed} --count 1 --verbose${o.maps ? " --maps" : ""})`);
  };

  /** Run seeds first, first+stride, ... (count of them) in one worker; restart after a crash. */
  const runWorker = (first, count) =>
    new Promise((resolve, reject) => {
      let next = first;
      let produced = 0;
      let remaining = count;
      let buffered = '';
      let lastOutput = Date.now();
      const child = spawn(node.command, [...node.args, join(root, 'scripts', 'fuzz-jit.mjs'), '--worker', '--start', String(first), '--count', String(count), '--stride', String(workers), ...(o.verbose ? ['--verbose'] : []), ...(o.maps ? ['--maps'] : []), ...(o.optimize ? [] : ['--O0'])], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const watchdog = setInterval(() => {
        if (Date.now() - lastOutput > o.hang * 1000) {
          log(`fuzz-jit: no output for ${o.hang} s while running seed ${next}: stopping that worker (pid ${child.pid})`);
          child.kill('SIGKILL');
        }
      }, 5000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk) => {
        lastOutput = Date.now();
        buffered += chunk;
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line === '+' || line.startsWith('!')) {
            produced++;
            if (line.startsWith('!')) {
              const { seed, report: text } = JSON.parse(line.slice(1));
              report(seed, text);
            }
            done++;
            remaining--;
            next += workers;
          } else if (line.startsWith('=')) {
            const stats = JSON.parse(line.slice(1));
            slots += stats.slots;
            executed += stats.executed;
            mapCalls += stats.mapCalls;
            inlined += stats.inlined;
            for (const f of stats.forms) forms.add(f);
            optimized += stats.optimized;
            for (const [k, v] of Object.entries(stats.passes)) passes[k] = (passes[k] ?? 0) + v;
          } else if (line.startsWith('#')) {
            log(line.slice(1));
          } else if (line.length > 0) {
            log(`[worker] ${line}`);
          }
        }
      });
      child.on('close', (code, signal) => {
        clearInterval(watchdog);
        if (produced === 0 && !signal && code !== 0) {
          // a JavaScript failure before the first program (e.g. a stale dist/): not a seed's fault
          reject(new Error(`a worker failed to start (exit code ${code}); see its error above`));
          return;
        }
        if (remaining > 0) {
          // the program at `next` took the worker down (or hung): that is a failure of its own
          report(next, `fuzz-jit: seed ${next}: the worker ${signal ? `was killed by ${signal}` : `exited with code ${code}`} while running it (a crash or hang in JIT code?)\nreproduce: npm run fuzz:jit -- --start ${next} --count 1 --verbose${o.maps ? " --maps" : ""}`);
          done++;
          resolve(remaining > 1 ? runWorker(next + workers, remaining - 1) : undefined);
        } else resolve(undefined);
      });
    });

  const progress = setInterval(() => {
    const s = (Date.now() - started) / 1000;
    const rate = done / s;
    log(`fuzz-jit: ${done}/${o.count} programs (${((100 * done) / o.count).toFixed(2)}%), ${failures.length} mismatches, ${rate.toFixed(1)} programs/s, elapsed ${formatDuration(s)}, ETA ${formatDuration((o.count - done) / rate)}`);
  }, o.progress * 1000);

  const jobs = [];
  for (let i = 0; i < workers; i++) {
    const count = Math.floor((o.count - i + workers - 1) / workers);
    if (count > 0) jobs.push(runWorker(o.start + i, count));
  }
  await Promise.all(jobs);
  clearInterval(progress);

  const seconds = Math.round((Date.now() - started) / 1000);
  const { generatorForms } = await import(dist('bpf/program-generator.js'));
  const expected = generatorForms();
  const covered = expected.filter((f) => forms.has(f)).length;
  if (o.maps) log(`fuzz-jit: ${mapCalls} map helper call sites, ${inlined} inlined array lookups; ${(done / Math.max(seconds, 1)).toFixed(1)} programs/s`);
  else log(`fuzz-jit: forms covered ${covered}/${expected.length}; average ${(slots / Math.max(done, 1)).toFixed(0)} slots and ${(executed / Math.max(done, 1)).toFixed(0)} executed instructions per program; ${(done / Math.max(seconds, 1)).toFixed(1)} programs/s`);
  if (o.optimize && !o.maps) {
    const { PASS_NAMES } = await import(dist('jit/index.js'));
    const fired = PASS_NAMES.map((n) => `${n} ${passes[n] ?? 0}`).join(', ');
    log(`fuzz-jit: ${optimized} of ${done} programs optimized (the rest compiled 1:1); optimizer passes fired: ${fired}`);
  }
  if (failures.length > 0) log(`fuzz-jit: failing seeds: ${failures.sort((a, b) => a - b).join(', ')}`);
  log(`fuzz-jit: ${done} programs${o.maps ? ' with maps' : ''}, ${failures.length} mismatches (seeds ${o.start}..${last}, ${where}, ${o.optimize ? 'optimized' : '-O0'}, ${seconds} s)`);
  return failures.length === 0 && done === o.count ? 0 : 1;
}

const options = parseArgs(process.argv.slice(2));
if (options.worker) {
  await worker(options);
} else {
  try {
    process.exitCode = await coordinate(options);
  } catch (e) {
    console.error(`fuzz-jit: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
