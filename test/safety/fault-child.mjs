// Child process for fault.native.test.ts (plain JS over dist/, one mode per run):
//   runs N      N faulting runs in a row (wild reads and writes, a null store, a misaligned
//               atomic), each must throw BpfFaultError; then correct programs must still give
//               correct results. Reports the mappings of /proc/self/maps before and after.
//   outside     a fault in native code that is no JIT program: must kill the process with
//               SIGSEGV exactly as without a64jit (the handler hands it on)
//   wasm        a WebAssembly out-of-bounds access after the handler is installed: V8's own
//               trap handling must still turn it into a RuntimeError
//   overflow    endless callx recursion without a sandbox exhausts the native stack: contained
//   threads N   workers and the main thread fault N times each, at the same time
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { assembleUbpf, interpret } from '../../dist/bpf/index.js';
import { BpfFaultError, JitProgram } from '../../dist/jit/index.js';
import { faultState, loadFunction } from '../../dist/runtime/index.js';

const FAULTING = [
  ['wild read', 'lddw %r1, 0x10\nldxdw %r0, [%r1+0]\nexit', 'read', 'SIGSEGV'],
  ['wild write', 'lddw %r1, 0x7ff0000000\nstxdw [%r1+8], %r1\nexit', 'write', 'SIGSEGV'],
  ['null store', 'mov %r2, 0\nstw [%r2+0], 7\nexit', 'write', 'SIGSEGV'],
  // load/store-exclusive needs natural alignment on every arm64 CPU (FEAT_LSE2 relaxes LSE
  // atomics, not exclusives): SIGBUS (BUS_ADRALN)
  ['misaligned atomic', 'add %r1, 1\nlock add [%r1+0], %r2\nexit', 'read-write', 'SIGBUS', 'llsc'],
];

function faultingPrograms() {
  return FAULTING.map(([name, source, access, signal, atomics]) => ({ name, access, signal, prog: JitProgram.compile(assembleUbpf(source), { verify: false, name, atomics: atomics ?? 'auto' }) }));
}

/** Runs every program once; returns the faults seen (throws if one did not fault as expected). */
function faultOnce(programs, mem) {
  for (const p of programs) {
    try {
      p.prog.run(mem);
    } catch (e) {
      if (!(e instanceof BpfFaultError) || e.access !== p.access || e.signal !== p.signal) throw new Error(`${p.name}: expected a ${p.signal} BpfFaultError on a ${p.access}, got ${e}`);
      continue;
    }
    throw new Error(`${p.name}: did not fault`);
  }
}

function correct() {
  const sum = assembleUbpf('mov %r0, 0\nmov %r3, 0\nloop:\njge %r3, %r2, done\nmov %r4, %r1\nadd %r4, %r3\nldxb %r5, [%r4+0]\nadd %r0, %r5\nadd %r3, 1\nja loop\ndone:\nexit');
  const mem = Uint8Array.from({ length: 64 }, (_, i) => i * 7);
  const p = JitProgram.compile(sum, { verify: false });
  const got = p.run(mem);
  p.free();
  const want = interpret(sum, { mem }).value;
  if (got !== want) throw new Error(`correct program: JIT ${got}, interpreter ${want}`);
  return Number(got);
}

function mappings() {
  return readFileSync('/proc/self/maps', 'utf8').trim().split('\n').filter((l) => l.split(/\s+/)[1] !== 'rwxp').length;
}

const mode = process.argv[2];
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

if (!isMainThread) {
  const programs = faultingPrograms();
  const mem = new Uint8Array(16);
  for (let i = 0; i < workerData.n; i++) faultOnce(programs, mem);
  parentPort.postMessage({ faults: workerData.n * programs.length, correct: correct() });
} else if (mode === 'runs') {
  const n = Number(process.argv[3]);
  const programs = faultingPrograms();
  const mem = new Uint8Array(16);
  const rounds = Math.ceil(n / programs.length);
  for (let i = 0; i < 50; i++) faultOnce(programs, mem); // warm-up: the heap settles
  globalThis.gc?.();
  const before = mappings();
  const contained = faultState().contained;
  for (let i = 0; i < rounds; i++) faultOnce(programs, mem);
  globalThis.gc?.();
  const after = mappings();
  for (const p of programs) p.prog.free();
  out({ faults: rounds * programs.length, contained: faultState().contained - contained, mappingsBefore: before, mappingsAfter: after, correct: correct(), liveRanges: faultState().liveRanges });
} else if (mode === 'outside') {
  // mov x0, #0 ; ldr x0, [x0] ; ret: a plain code region, registered as no program's code
  const f = loadFunction(new Uint8Array([0x00, 0x00, 0x80, 0xd2, 0x00, 0x00, 0x40, 0xf9, 0xc0, 0x03, 0x5f, 0xd6]), 'uint64_t (void)');
  out({ installed: faultState().installed });
  f.call();
  out({ survived: true });
} else if (mode === 'wasm') {
  // (module (memory 1) (func (export "f") (param i32) (result i32) local.get 0 i32.load))
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7, 0, 32, 0, 40, 2, 0, 11]);
  const prog = faultingPrograms()[0].prog; // the handler is installed and a range registered
  const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
  let message = '';
  try {
    f(1 << 20);
  } catch (e) {
    message = `${e.constructor.name}: ${e.message}`;
  }
  out({ installed: faultState().installed, inBounds: f(16), message, contained: faultState().contained, live: prog.codeRange !== undefined });
} else if (mode === 'overflow') {
  const recurse = assembleUbpf('lddw %r2, func f\ncall %r2\nexit\nf:\nlddw %r2, func f\ncall %r2\nexit');
  const prog = JitProgram.compile(recurse, { verify: false, name: 'recurse' });
  let error;
  try {
    prog.run();
  } catch (e) {
    error = { name: e.name, signal: e.signal, pc: e.pc, message: e.message };
  }
  out({ error, correct: correct() });
} else if (mode === 'threads') {
  const n = Number(process.argv[3]);
  const url = new URL(import.meta.url);
  const workers = [0, 1].map(() => new Worker(url, { workerData: { n } }));
  const results = workers.map((w) => new Promise((resolve, reject) => (w.on('message', resolve), w.on('error', reject))));
  const programs = faultingPrograms();
  const mem = new Uint8Array(16);
  for (let i = 0; i < n; i++) faultOnce(programs, mem);
  const fromWorkers = await Promise.all(results);
  out({ main: n * programs.length, workers: fromWorkers, contained: faultState().contained, correct: correct() });
}
