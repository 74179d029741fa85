#!/usr/bin/env node
// npm run bench:verifier: the verifier's throughput and memory on the largest programs the
// project has (issue 10), printed as a table for the README. Pure TypeScript, so it runs on
// the host's own Node (no emulation). For each program: its slots, the instructions the
// verifier processed and the states it kept, the time (median of --runs, default 5), the
// throughput in processed instructions per second, and the peak memory: the maximum resident
// set of a fresh process that verifies only that program, less that of one that verifies
// nothing. The programs: every C fixture entry, every program of the real-program fixtures
// (test/fixtures/programs, through openObject as it verifies them), the JIT fuzz generator's,
// a long bounded loop and a long straight line. Needs dist/ (npm run compile) and clang-22.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
if (!existsSync(join(root, 'dist', 'bpf', 'verifier', 'index.js'))) {
  console.error('bench:verifier: dist/ is missing or old: run `npm run compile` first');
  process.exit(1);
}
const { verifyProgram, objectMaps } = await import(dist('bpf/verifier/index.js'));
const { openObject } = await import(dist('object/index.js'));
const { loadBpfObject, assembleLlvm, generateProgram, FUZZ_MEM_SIZE } = {
  ...(await import(dist('bpf/index.js'))),
  ...(await import(dist('bpf/program-generator.js'))),
};

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};

/** The programs, by name: [insns, verify options]. */
function programs() {
  const out = [];
  const work = mkdtempSync(join(tmpdir(), 'a64jit-vbench-'));
  try {
    // every C fixture entry (plain buffers of 64 bytes, as their tests run them), -mcpu=v3
    const fx = join(root, 'test', 'fixtures', 'c');
    for (const file of readdirSync(fx).filter((f) => f.endsWith('.c') && f !== 'host-natives.c')) {
      const m = /entries:([^*\n]*)/.exec(readFileSync(join(fx, file), 'utf8'));
      const entries = (m?.[1] ?? '').trim();
      if (entries === '' || entries.startsWith('(')) continue;
      const o = join(work, `${file}.o`);
      execFileSync('clang-22', ['-target', 'bpf', '-O2', '-mcpu=v3', '-I', fx, '-c', join(fx, file), '-o', o]);
      const obj = loadBpfObject(new Uint8Array(readFileSync(o)), { entries: entries.split(/\s+/) });
      for (const p of obj.programs.filter((q) => entries.split(/\s+/).includes(q.name))) out.push({ name: `${file}:${p.name}`, insns: p.insns, options: { memSize: 64, ...objectMaps(obj) } });
    }
    // every program of the real-program fixtures (maps, helpers, contexts), with its own
    // program type, the object's maps and frozen .rodata, as openObject verifies it
    const pf = join(root, 'test', 'fixtures', 'programs');
    const arch = existsSync('/usr/include/x86_64-linux-gnu/asm/types.h') ? '/usr/include/x86_64-linux-gnu' : '/usr/include/aarch64-linux-gnu';
    for (const file of readdirSync(pf).filter((f) => f.endsWith('.c'))) {
      const o = join(work, `${file}.o`);
      execFileSync('clang-22', ['-target', 'bpf', '-O2', '-g', '-I', arch, '-c', join(pf, file), '-o', o]);
      const obj = openObject(new Uint8Array(readFileSync(o)), { name: file });
      obj.load();
      for (const [name, p] of obj.programs) out.push({ name: `${file}:${name}`, insns: p.source.insns, verify: () => p.verify() });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // the JIT fuzz generator's programs (every instruction form, calls, stack arguments)
  for (const seed of [0, 1, 2, 3, 4, 5, 6, 7]) {
    out.push({ name: `generator seed ${seed}`, insns: generateProgram(seed).insns, options: { memSize: FUZZ_MEM_SIZE, maxCombinedStack: Infinity } });
  }
  // a long bounded loop: 40,000 iterations over a masked index (about 280,000 processed)
  const loop = ['r0 = 0', 'r2 = 0', 'l:', 'r3 = r2', 'r3 &= 63', 'r4 = r1', 'r4 += r3', 'r5 = *(u8 *)(r4 + 0)', 'r0 += r5', 'r2 += 1', 'if r2 < 40000 goto l', 'exit'];
  out.push({ name: 'loop of 40,000 iterations', insns: assembleLlvm(loop.join('\n')), options: { memSize: 64 } });
  // a 20,000-slot straight-line program of ALU and stack traffic
  const straight = [];
  for (let i = 0; i < 4000; i++) straight.push(`r${(i % 4) + 2} = ${i}`, `*(u64 *)(r10 - ${8 * ((i % 60) + 1)}) = r${(i % 4) + 2}`, `r0 = *(u64 *)(r10 - ${8 * ((i % 60) + 1)})`, `r0 += r1`, `r0 = ${i}`);
  straight.push('exit');
  out.push({ name: 'straight line, 20,001 slots', insns: assembleLlvm(straight.join('\n')), options: { memSize: 64 } });
  return out;
}

const all = programs();

// child mode: verify one program (or none) and report the peak resident set
if (args[0] === '--measure') {
  const p = all.find((q) => q.name === args[1]);
  if (p) p.verify ? p.verify() : verifyProgram(p.insns, p.options);
  process.stdout.write(`${process.resourceUsage().maxRSS}\n`);
  process.exit(0);
}

const runs = Number(opt('--runs', '5'));
const results = [];
for (const p of all) {
  let r;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    r = p.verify ? p.verify() : verifyProgram(p.insns, p.options);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  results.push({ p, r, ms });
}
results.sort((a, b) => b.r.processed - a.r.processed);
const top = results.slice(0, Number(opt('--top', '10')));

const rss = (name) => Number(spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', name], { encoding: 'utf8' }).stdout.trim());
const baseline = rss('(none)');
const rows = top.map(({ p, r, ms }) => [
  p.name,
  String(p.insns.length),
  String(r.processed),
  `${r.states} / ${r.peakStates}`,
  ms.toFixed(1),
  Math.round(r.processed / (ms / 1000)).toLocaleString('en-US'),
  `${((rss(p.name) - baseline) / 1024).toFixed(1)} MiB`,
]);
const totalProcessed = results.reduce((s, x) => s + x.r.processed, 0);
const totalMs = results.reduce((s, x) => s + x.ms, 0);
const head = ['program', 'slots', 'processed', 'states (total / peak)', 'ms', 'processed insns/s', 'peak memory'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`bench:verifier on ${process.arch}, Node ${process.version}: ${results.length} programs, the ${top.length} largest by instructions processed (median of ${runs} runs)\n`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`\nall ${results.length} programs: ${totalProcessed.toLocaleString('en-US')} instructions processed in ${totalMs.toFixed(0)} ms, ${Math.round(totalProcessed / (totalMs / 1000)).toLocaleString('en-US')} per second; baseline process ${(baseline / 1024).toFixed(1)} MiB`);
