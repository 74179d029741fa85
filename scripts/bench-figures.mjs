#!/usr/bin/env node
// npm run bench:figures: the fixed figures of the README (code size per slot, compile speed,
// JIT vs interpreter on one loop, call overhead), printed as a table. Runs on an arm64 Node (natively,
// or under qemu-aarch64 on other hosts, where wall-clock figures describe the emulator, not
// the code; the deterministic figures — code size per BPF instruction — hold everywhere).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { arm64NodeCommand, emulationProblems, nativeArm64, root } from './arm64-env.mjs';

/** A 10,000-slot straight-line program: compile speed does not depend on the host's ISA. */
async function compileFigure(label) {
  const { compileProgram } = await import(join(root, 'dist', 'jit', 'index.js'));
  const { assembleUbpf } = await import(join(root, 'dist', 'bpf', 'index.js'));
  const big = assembleUbpf(Array.from({ length: 5000 }, (_, i) => `add %r0, ${i * 7919}\nxor %r0, %r1`).join('\n') + '\nexit');
  const opts = { contextAddress: 0x10000n, helperIds: new Set(), atomics: 'lse' };
  for (let i = 0; i < 3; i++) compileProgram(big, opts); // warm-up
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 1000) {
    compileProgram(big, opts);
    n++;
  }
  const ms = (performance.now() - t0) / n;
  return [`compile 10,000 slots (${label})`, `${ms.toFixed(1)} ms`, `${Math.round(big.length / ms)} slots/ms`];
}

if (process.arch !== 'arm64') {
  const row = await compileFigure(`${process.arch} host, Node ${process.version}`);
  console.log(`a64jit bench: the compiler on this host\n\n${row[0]}  ${row[1].padStart(12)}  ${row[2]}\n`);
  const problems = emulationProblems();
  if (problems.length > 0) {
    console.error(`bench: needs an arm64 Node: ${problems.join('; ')}. Run \`npm run setup\`.`);
    process.exit(1);
  }
  const node = arm64NodeCommand();
  const r = spawnSync(node.command, [...node.args, join(root, 'scripts', 'bench-figures.mjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...node.env, A64JIT_EMULATOR: 'qemu-aarch64', A64JIT_BENCH_EMULATED: '1', PREBUILDS_ONLY: '1' },
  });
  process.exit(r.status ?? 1);
}

const { JitProgram, compileProgram } = await import(join(root, 'dist', 'jit', 'index.js'));
const { assembleUbpf, collectConformanceFiles, conformanceProgram, interpret, parseConformanceFile } = await import(join(root, 'dist', 'bpf', 'index.js'));
const { loadFunction } = await import(join(root, 'dist', 'runtime', 'index.js'));
const { readFileSync, existsSync } = await import('node:fs');

const emulated = process.env.A64JIT_BENCH_EMULATED === '1' || !nativeArm64;
const where = emulated ? 'arm64 under qemu-aarch64 (wall clock = emulator speed)' : `arm64 native, ${process.platform}`;
const rows = [];
const time = (fn, minMs = 300) => {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    fn();
    n++;
    t = performance.now();
  } while (t - t0 < minMs);
  return (t - t0) / n;
};

// 1. Code size: AArch64 instructions per BPF slot over the conformance suite (deterministic).
const shared = process.env.A64JIT_SHARED ?? join(root, '..', 'shared');
const suite = join(shared, 'bpf-conformance', 'tests');
if (existsSync(suite)) {
  let slots = 0;
  let words = 0;
  let programs = 0;
  for (const file of collectConformanceFiles([suite])) {
    let program;
    try {
      program = conformanceProgram(parseConformanceFile(readFileSync(file, 'utf8')));
    } catch {
      continue;
    }
    try {
      const c = compileProgram(program, { contextAddress: 0x10000n, helperIds: new Set([5]), atomics: 'lse' });
      const body = c.pcOffsets.length ? c.code.length - c.prologues.reduce((s, [a, b]) => s + b - a, 0) - c.epilogues.reduce((s, [a, b]) => s + b - a, 0) : 0;
      slots += program.length;
      words += body / 4;
      programs++;
    } catch {
      /* programs the validator rejects are not counted */
    }
  }
  rows.push(['AArch64 instructions per BPF slot (conformance suite bodies, LSE)', (words / slots).toFixed(2), `${programs} programs, ${slots} slots`]);
}

// 2. Compile speed on a 10,000-slot straight-line program.
rows.push(await compileFigure('arm64 Node'));

// 3. A loop: 100,000 iterations of a small body, JIT vs interpreter.
const loop = assembleUbpf(`
  mov %r0, 0
  mov %r2, 100000
top:
  add %r0, %r2
  xor %r0, 0x5a5a
  lsh %r0, 1
  rsh %r0, 1
  sub %r2, 1
  jne %r2, 0, top
  exit`);
const jit = JitProgram.compile(loop);
const expected = interpret(loop, { maxInstructions: 1e7 }).value;
if (jit.run() !== expected) throw new Error('bench: JIT and interpreter disagree on the loop');
const jitMs = time(() => jit.run());
const interpMs = time(() => interpret(loop, { maxInstructions: 1e7 }), 1000);
rows.push(['loop, 600,000 BPF instructions: JIT', `${jitMs.toFixed(3)} ms`, `${(600000 / jitMs / 1000).toFixed(0)} M BPF insns/s`]);
rows.push(['loop, 600,000 BPF instructions: interpreter', `${interpMs.toFixed(1)} ms`, `JIT is ${(interpMs / jitMs).toFixed(0)}x faster`]);
jit.free();

// 4. Call overhead from JavaScript (koffi through the per-prototype trampoline).
const ret = loadFunction(new Uint8Array([0x00, 0x00, 0x01, 0x8b, 0xc0, 0x03, 0x5f, 0xd6]), 'int64_t (int64_t, int64_t)');
const callUs = time(() => {
  for (let i = 0; i < 1000; i++) ret.call(1n, 2n);
}) / 1000 * 1000;
rows.push(['JS -> native call (2 int64 args)', `${callUs.toFixed(2)} us`, 'NativeFunction.call']);
ret.free();

console.log(`a64jit bench (${where}, Node ${process.version})\n`);
const w = Math.max(...rows.map((r) => r[0].length));
for (const [what, figure, note] of rows) console.log(`${what.padEnd(w)}  ${figure.padStart(12)}  ${note}`);
