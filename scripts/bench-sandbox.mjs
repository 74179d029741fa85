#!/usr/bin/env node
// npm run bench:sandbox: what the safety features cost, in AArch64 instructions executed per
// run inside the program's code, counted exactly by the qemu instruction-count plugin
// (native/qemu-plugin). For each program of a set (the C fixtures, compiled by clang-22 here,
// and a few memory-bound assembly kernels), all unverified (verify: false), five compilations:
//   unchecked  budget: false, helperArgChecks: false, -O0: the 1:1 code with no budget, no
//              helper argument checks and no sandbox (fault containment is always there). The
//              budget, the checks and the sandbox compile 1:1 (the optimizer knows none of
//              them), so this is what their cost is measured against
//   helperargs budget: false, -O0: helpers' pointer arguments checked before each call (the
//              default for unverified code; only programs that call such helpers differ)
//   budget     the default for unverified code: x24 ticks on back-edges and calls, and the
//              helper argument checks
//   sandbox    sandbox: true, budget: false: every access checked (helper arguments too)
//   optimized  budget: false, helperArgChecks: false with the optimization tier, what
//              verified code runs, for scale
// and the ratios to unchecked. Helpers, koffi and JS are outside the count (only the program's
// own code range is counted). Results must agree across the three (checked on every program).
//
//   node scripts/bench-sandbox.mjs [--json]
//
// On x86_64 hosts the script re-runs itself in the arm64 Node under qemu-aarch64 with the
// plugin loaded; on an arm64 host there is no qemu, so no exact counts: it says so and stops.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arm64NodeCommand, emulationProblems, nativeArm64, root } from './arm64-env.mjs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const FIXTURES = join(root, 'test', 'fixtures', 'c');

if (process.env.A64JIT_BENCH_SANDBOX_GUEST !== '1') {
  if (nativeArm64) {
    console.error('bench:sandbox: exact instruction counts come from the qemu-aarch64 plugin; this is an arm64 host, where qemu-user is not used');
    process.exit(1);
  }
  const problems = emulationProblems();
  if (problems.length > 0) {
    console.error(`bench:sandbox: needs an arm64 Node under qemu-aarch64: ${problems.join('; ')}. Run \`npm run setup\`.`);
    process.exit(1);
  }
  const { buildQemuPlugin, insnCountLaunch } = await import(join(root, 'dist', 'runtime', 'qemu-plugin.js'));
  const launch = insnCountLaunch(buildQemuPlugin().path);
  if (!launch) {
    console.error('bench:sandbox: the qemu instruction-count plugin could not be built (npm run setup installs a C compiler)');
    process.exit(1);
  }
  // clang-22 builds the fixtures on this host; the guest only loads the objects
  const objects = mkdtempSync(join(tmpdir(), 'a64jit-bench-sandbox-'));
  try {
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.c') && /^\/\* entries: [a-z_]/.test(readFileSync(join(FIXTURES, f), 'utf8')))) {
      execFileSync('clang-22', ['-target', 'bpf', '-mcpu=v3', '-O2', '-I', FIXTURES, '-c', join(FIXTURES, file), '-o', join(objects, file.replace(/\.c$/, '.o'))]);
    }
    // the externs of externs.c, for arm64
    execFileSync('aarch64-linux-gnu-gcc', ['-O2', '-shared', '-fPIC', '-I', FIXTURES, '-o', join(objects, 'libhostnatives.so'), join(FIXTURES, 'host-natives.c')]);
    const node = arm64NodeCommand();
    const r = spawnSync(node.command, [...node.args, join(root, 'scripts', 'bench-sandbox.mjs'), ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...node.env, ...launch.env, A64JIT_EMULATOR: 'qemu-aarch64', A64JIT_EMULATED: '1', PREBUILDS_ONLY: '1', A64JIT_BENCH_SANDBOX_GUEST: '1', A64JIT_BENCH_OBJECTS: objects },
    });
    process.exit(r.status ?? 1);
  } finally {
    rmSync(objects, { recursive: true, force: true });
    launch.cleanup();
  }
}

// ---- the guest: arm64 Node under qemu with the plugin ------------------------------------
const { assembleUbpf, loadBpfObject } = await import(join(root, 'dist', 'bpf', 'index.js'));
const { JitProgram, ObjectProgram } = await import(join(root, 'dist', 'jit', 'index.js'));
const { NativeLibrary, countInsns, insnCountStatus, nativeHelpers } = await import(join(root, 'dist', 'runtime', 'index.js'));
const { programType } = await import(join(root, 'dist', 'bpf', 'index.js'));

const status = insnCountStatus();
if (!status.available) {
  console.error(`bench:sandbox: ${status.reason}`);
  process.exit(1);
}

const ctx = () => Buffer.from(Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff));
const kernels = [
  {
    name: 'asm: sum of 4096 bytes (loads through a moving pointer)',
    source: 'mov %r0, 0\nmov %r3, %r1\nadd %r3, %r2\nloop:\nldxb %r4, [%r1+0]\nadd %r0, %r4\nadd %r1, 1\njlt %r1, %r3, loop\nexit',
    mem: () => Buffer.alloc(4096, 3),
  },
  {
    name: 'asm: 512 u64 read-modify-writes of the memory',
    source: 'mov %r0, 0\nmov %r3, %r1\nadd %r3, %r2\nloop:\nldxdw %r4, [%r1+0]\nadd %r4, 1\nstxdw [%r1+0], %r4\nadd %r0, %r4\nadd %r1, 8\njlt %r1, %r3, loop\nexit',
    mem: () => Buffer.alloc(4096),
  },
  {
    name: 'asm: stack through R10 (no checks needed), 1000 iterations',
    source: 'mov %r0, 0\nmov %r2, 1000\nloop:\nstxdw [%r10-8], %r2\nldxdw %r3, [%r10-8]\nadd %r0, %r3\nsub %r2, 1\njne %r2, 0, loop\nexit',
    mem: () => null,
  },
  {
    name: 'asm: stack through a pointer copy of R10, 1000 iterations',
    source: 'mov %r0, 0\nmov %r2, 1000\nmov %r5, %r10\nloop:\nstxdw [%r5-8], %r2\nldxdw %r3, [%r5-8]\nadd %r0, %r3\nsub %r2, 1\njne %r2, 0, loop\nexit',
    mem: () => null,
  },
  {
    name: 'asm: memory and stack in turn (the one-entry cache misses)',
    source: 'mov %r0, 0\nmov %r5, %r10\nmov %r3, %r1\nadd %r3, %r2\nloop:\nldxb %r4, [%r1+0]\nstxdw [%r5-8], %r4\nldxdw %r4, [%r5-8]\nadd %r0, %r4\nadd %r1, 1\njlt %r1, %r3, loop\nexit',
    mem: () => Buffer.alloc(1024, 5),
  },
  {
    name: 'asm: 100 native bpf_probe_read calls, memory to stack (helper argument checks)',
    source: 'mov %r6, %r1\nmov %r7, 100\nloop:\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r6\ncall 4\nldxdw %r0, [%r10-8]\nadd %r6, 8\nsub %r7, 1\njne %r7, 0, loop\nexit',
    mem: () => Buffer.alloc(800, 9),
    helpers: true,
  },
];

const variants = {
  unchecked: { verify: false, budget: false, optimize: false, helperArgChecks: false },
  helperargs: { verify: false, budget: false, optimize: false },
  budget: { verify: false },
  sandbox: { verify: false, sandbox: true, sandboxAnalysis: false, budget: false },
  optimized: { verify: false, budget: false, helperArgChecks: false },
};

/**
 * Instructions of one run of each variant of a program, `make(options)` compiling it afresh:
 * the first run of a fresh program, so that programs that keep state in global data (counters)
 * run the same path in every variant. Every variant must give the same R0 and memory.
 */
function measure(name, make, mem) {
  const counts = {};
  let result;
  for (const [variant, options] of Object.entries(variants)) {
    const prog = make(options);
    try {
      const m = mem();
      let r0;
      counts[variant] = Number(countInsns(prog.jit?.codeRange ?? prog.codeRange, () => (r0 = prog.run(m))));
      const seen = `${r0} ${m ? Buffer.from(m).toString('hex') : ''}`;
      if (result === undefined) result = seen;
      else if (seen !== result) throw new Error(`${name}: ${variant} gives ${seen}, unchecked ${result}`);
    } finally {
      prog.free();
    }
  }
  return { name, ...counts };
}

const rows = [];
for (const k of kernels) {
  const insns = assembleUbpf(k.source);
  const helpers = k.helpers ? { nativeHelpers: new Map([[4, nativeHelpers(programType('plain')).get(4)]]) } : {};
  rows.push(measure(k.name, (options) => JitProgram.compile(insns, { ...options, ...helpers }), k.mem));
}
const objects = process.env.A64JIT_BENCH_OBJECTS;
const natives = NativeLibrary.open(join(objects, 'libhostnatives.so'));
for (const file of readdirSync(objects).filter((f) => f.endsWith('.o')).sort()) {
  const bytes = new Uint8Array(readFileSync(join(objects, file)));
  const c = file.replace(/\.o$/, '.c');
  const entries = /^\/\* entries: ([^*]*)\*\//.exec(readFileSync(join(FIXTURES, c), 'utf8'))[1].trim().split(/\s+/);
  for (const entry of entries) {
    // one fresh object per compilation: each starts from the object's initial data
    rows.push(measure(`C: ${c} ${entry}`, (options) => ObjectProgram.load(loadBpfObject(bytes), entry, { ...options, libraries: [natives] }), ctx));
  }
}

if (json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`bench:sandbox: AArch64 instructions of one run inside the program's code (exact: qemu-aarch64 and a64jit's counting plugin)\n`);
  console.log(`${'program'.padEnd(w)}  ${'unchecked'.padStart(10)}  ${'helperargs'.padStart(10)}  ${'budget'.padStart(10)}  ${'sandbox'.padStart(10)}  ${'optimized'.padStart(10)}  helperargs/unchecked  budget/unchecked  sandbox/unchecked`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w)}  ${String(r.unchecked).padStart(10)}  ${String(r.helperargs).padStart(10)}  ${String(r.budget).padStart(10)}  ${String(r.sandbox).padStart(10)}  ${String(r.optimized).padStart(10)}  ${ratio(r.helperargs, r.unchecked).padStart(20)}  ${ratio(r.budget, r.unchecked).padStart(16)}  ${ratio(r.sandbox, r.unchecked).padStart(17)}`,
    );
  }
  const geo = (k) => Math.exp(rows.reduce((s, r) => s + Math.log(r[k] / r.unchecked), 0) / rows.length);
  console.log(`\ngeometric mean over ${rows.length} programs: helper argument checks ${geo('helperargs').toFixed(2)}x, budget (with them) ${geo('budget').toFixed(2)}x, sandbox ${geo('sandbox').toFixed(2)}x, optimized ${geo('optimized').toFixed(2)}x of unchecked (1:1)`);
}
