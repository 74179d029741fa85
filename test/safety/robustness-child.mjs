// Child process for robustness.native.test.ts (plain JS over dist/, run with --expose-gc):
//   trampoline   a NativeFunction's per-prototype trampoline survives garbage collection
//   dropped N    N programs with 8 helpers each (more than koffi's 8,192 callbacks in all),
//                dropped without free(): they run, and their code and code ranges go away
//   exhausted    koffi's callback pool filled by the user: compiling a program with helpers
//                is a typed error, not a crash
import { createRequire } from 'node:module';
import { assembleUbpf } from '../../dist/bpf/index.js';
import { JitProgram } from '../../dist/jit/index.js';
import { faultState, liveCodeAt, loadFunction } from '../../dist/runtime/index.js';

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const mode = process.argv[2];
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

if (mode === 'trampoline') {
  // add x0, x0, x1 ; ret, under a prototype no one used before in this process
  const f = loadFunction(new Uint8Array([0x00, 0x00, 0x01, 0x8b, 0xc0, 0x03, 0x5f, 0xd6]), 'int64_t (int64_t, int16_t)');
  const before = f.call(40n, 2);
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await settle();
  }
  out({ path: f.path, before: String(before), after: String(f.call(40n, 3)) });
} else if (mode === 'dropped') {
  const n = Number(process.argv[3]);
  const helpers = new Map([1, 2, 3, 4, 5, 6, 7, 8].map((id) => [id, () => BigInt(id)]));
  const source = assembleUbpf('call 1\nmov %r6, %r0\ncall 8\nadd %r0, %r6\nexit');
  const addresses = [];
  const make = () => {
    const p = JitProgram.compile(source, { verify: false, helpers });
    addresses.push(p.address);
    return p.run();
  };
  make();
  const rangesBefore = faultState().liveRanges;
  let sum = 0n;
  for (let i = 0; i < n; i++) sum += make();
  const rangesWhileAlive = faultState().liveRanges;
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await settle();
  }
  out({ sum: String(sum), rangesBefore, rangesWhileAlive, rangesAfter: faultState().liveRanges, liveCode: addresses.filter((a) => liveCodeAt(a)).length });
} else if (mode === 'exhausted') {
  const koffi = createRequire(import.meta.url)('koffi');
  koffi.load(null);
  const proto = koffi.pointer(koffi.proto('int a64jit_test_cb(int)'));
  let registered = 0;
  try {
    for (;;) {
      koffi.register((x) => x, proto);
      registered++;
    }
  } catch {
    // the pool is full
  }
  let error;
  try {
    JitProgram.compile(assembleUbpf('call 1\nexit'), { verify: false, helpers: new Map([[1, () => 1n]]) });
  } catch (e) {
    error = { name: e.name, message: e.message };
  }
  out({ registered, error });
}
