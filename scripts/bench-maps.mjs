#!/usr/bin/env node
// npm run bench:maps: the cost of a map lookup from JIT code (issue 9), printed as a table.
//
// A BPF loop looks up K keys (i & 255) in a 256-entry map and sums the values; the same loop
// without the lookup is the baseline. Per lookup, for an array map (inlined as the kernel's
// array_map_gen_lookup does, and through the native bpf_map_lookup_elem) and a hash map:
//   - under qemu-aarch64: the exact AArch64 instructions executed (src/runtime/insn-count.ts),
//     in the JIT code and in the addon's native code (map helpers, prebuilds/*/a64jit.node)
//     plus libc's memcmp (the hash map's key compare); runs of 256 and 512 lookups in one call,
//     so the call from JavaScript cancels out;
//   - natively on arm64: nanoseconds per lookup (wall clock over a long run).
// Under qemu the wall-clock figure describes the emulator, and is printed only as a note.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arm64NodeCommand, emulationProblems, nativeArm64, root } from './arm64-env.mjs';

if (process.arch !== 'arm64') {
  const problems = emulationProblems();
  if (problems.length > 0) {
    console.error(`bench:maps: needs an arm64 Node: ${problems.join('; ')}. Run \`npm run setup\`.`);
    process.exit(1);
  }
  const { buildQemuPlugin, insnCountLaunch } = await import(join(root, 'dist', 'runtime', 'qemu-plugin.js'));
  buildQemuPlugin();
  const counts = insnCountLaunch();
  const node = arm64NodeCommand();
  const r = spawnSync(node.command, [...node.args, join(root, 'scripts', 'bench-maps.mjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...node.env, ...counts?.env, A64JIT_EMULATOR: 'qemu-aarch64', A64JIT_BENCH_EMULATED: '1', PREBUILDS_ONLY: '1' },
  });
  counts?.cleanup();
  process.exit(r.status ?? 1);
}

const { JitProgram } = await import(join(root, 'dist', 'jit', 'index.js'));
const { BpfPseudo, MapType, assembleLlvm, prepareProgram, programType } = await import(join(root, 'dist', 'bpf', 'index.js'));
const { InsnCounter, NativeLibrary, insnCountStatus, nativeHelpers } = await import(join(root, 'dist', 'runtime', 'index.js'));
const { ArrayMap, createMap, indexKey } = await import(join(root, 'dist', 'runtime', 'maps', 'index.js'));

const emulated = process.env.A64JIT_BENCH_EMULATED === '1' || !nativeArm64;
const ENTRIES = 256;

// R1 = a buffer whose first u64 is K. The map is LDDW src 1 imm 0 (patched below).
const loop = (lookup) =>
  assembleLlvm(`
  r6 = *(u64 *)(r1 + 0)
  r7 = 0
  r8 = 0
top:
  r2 = r7
  r2 &= ${ENTRIES - 1}
  *(u32 *)(r10 - 4) = w2
${
  lookup
    ? `  r1 = 0 ll
  r2 = r10
  r2 += -4
  call 1
  if r0 == 0 goto next
  r3 = *(u64 *)(r0 + 0)
  r8 += r3`
    : `  r3 = *(u32 *)(r10 - 4)
  r8 += r3`
}
next:
  r7 += 1
  if r7 < r6 goto top
  r0 = r8
  exit`).map((i) => (i.code === 0x18 && i.imm === 0 && i.dst === 1 ? { ...i, src: BpfPseudo.MAP_FD } : i));

const maps = {
  array: createMap({ name: 'array', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: ENTRIES, flags: 0 }, { cpus: 1 }),
  hash: createMap({ name: 'hash', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: ENTRIES, flags: 0 }, { cpus: 1 }),
};
const value = (i) => new Uint8Array(new BigUint64Array([BigInt(i)]).buffer);
for (let i = 0; i < ENTRIES; i++) for (const m of Object.values(maps)) m.update(indexKey(i), value(i));

const plain = programType('plain');
const helpers = nativeHelpers(plain);
function compile(map, inline) {
  let insns = loop(map !== undefined);
  if (map !== undefined) {
    const prepared = prepareProgram(insns, { type: plain, arrayLayout: () => (inline && map instanceof ArrayMap ? map.inlineLayout() : undefined) });
    if (prepared.rewrites.inlinedLookups !== (inline ? 1 : 0)) throw new Error(`bench:maps: expected ${inline ? 1 : 0} inlined lookups, got ${prepared.rewrites.inlinedLookups}`);
    insns = prepared.insns;
  }
  return JitProgram.compile(insns, { nativeHelpers: helpers, resolvePseudo: () => map.address });
}

const variants = [
  { name: 'loop without a lookup (baseline)', prog: compile(undefined, false) },
  { name: 'array, inlined lookup', prog: compile(maps.array, true) },
  { name: 'array, bpf_map_lookup_elem (native)', prog: compile(maps.array, false) },
  { name: 'hash, bpf_map_lookup_elem (native)', prog: compile(maps.hash, false) },
];
const buffer = Buffer.alloc(8);
const run = (v, k) => {
  buffer.writeBigUInt64LE(BigInt(k));
  return v.prog.run(buffer);
};
// every variant sums the same values: a wrong lookup would show here
const expectSum = (k) => BigInt(Array.from({ length: k }, (_, i) => i & (ENTRIES - 1)).reduce((a, b) => a + b, 0));
for (const v of variants) if (run(v, 1000) !== expectSum(1000)) throw new Error(`bench:maps: ${v.name} gave ${run(v, 1000)}, expected ${expectSum(1000)}`);

/** The r-xp mapping of a file in this process (guest mappings under qemu-user). */
function textMapping(pattern) {
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const [range, perms, , , , path] = line.split(/\s+/);
    if (perms === 'r-xp' && path !== undefined && pattern.test(path)) {
      const [a, b] = range.split('-').map((x) => BigInt(`0x${x}`));
      return { start: a, size: Number(b - a), name: path, path };
    }
  }
  return undefined;
}

const rows = [];
const status = insnCountStatus();
if (status.available) {
  const addon = textMapping(/a64jit\.node$/);
  if (addon === undefined) throw new Error('bench:maps: the addon (a64jit.node) is not mapped in this process');
  const lookupAddress = helpers.get(1);
  if (lookupAddress < addon.start || lookupAddress >= addon.start + BigInt(addon.size)) throw new Error('bench:maps: bpf_map_lookup_elem is not in the addon mapping');
  const libc = textMapping(/\/libc\.so\.6$/);
  let memcmp;
  if (libc !== undefined) {
    const lib = NativeLibrary.open(libc.path);
    try {
      memcmp = lib.symbolRange('memcmp');
    } catch {
      memcmp = undefined;
    }
  }
  const K = ENTRIES; // each batch of K looks up every key once: the difference of two is exact
  const perLookup = (v) => {
    const ranges = [{ start: v.prog.address, size: v.prog.code.length, name: 'jit' }, { ...addon, name: 'addon' }, ...(memcmp ? [{ ...memcmp, name: 'memcmp' }] : [])];
    const counters = ranges.map((r) => InsnCounter.open(r));
    try {
      const once = (k) => {
        const before = counters.map((c) => c.read());
        run(v, k);
        return counters.map((c, i) => c.read() - before[i]);
      };
      once(K); // translated and warm
      const a = once(K);
      const b = once(2 * K);
      const c = once(2 * K);
      if (b.some((x, i) => x !== c[i])) throw new Error(`bench:maps: ${v.name}: counts differ between equal runs (${b} vs ${c})`);
      return Object.fromEntries(ranges.map((r, i) => [r.name, Number(b[i] - a[i]) / K]));
    } finally {
      for (const c of counters) c.close();
    }
  };
  const base = perLookup(variants[0]);
  for (const v of variants.slice(1)) {
    const p = perLookup(v);
    const total = Object.values(p).reduce((s, x) => s + x, 0) - Object.values(base).reduce((s, x) => s + x, 0);
    const f = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
    const where = `JIT ${f(p.jit - base.jit)}, addon ${f(p.addon)}${memcmp ? `, memcmp ${f(p.memcmp)}` : ''}`;
    rows.push([`${v.name}: AArch64 instructions per lookup`, total.toFixed(1), `${where} (over the baseline loop's ${base.jit} per iteration)`]);
  }
  if (memcmp === undefined) rows.push(['note', '', 'libc memcmp not counted (no ELF symbol found)']);
} else {
  rows.push(['instructions per lookup', '-', `not counted here: ${status.reason}`]);
}

// Wall clock: one long call, so the call from JavaScript is negligible.
const K = emulated ? 200_000 : 20_000_000;
const nsPer = (v) => {
  run(v, K / 10);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    run(v, K);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / K);
  }
  return best;
};
const baseNs = nsPer(variants[0]);
for (const v of variants.slice(1)) {
  const ns = nsPer(v) - baseNs;
  rows.push([`${v.name}: ns per lookup`, ns.toFixed(emulated ? 1 : 2), emulated ? 'under qemu: the emulator\'s speed, not the code\'s' : `${process.platform} arm64 hardware, over the baseline loop (${baseNs.toFixed(2)} ns per iteration)`]);
}
for (const v of variants) v.prog.free();
for (const m of Object.values(maps)) m.close?.();

console.log(`a64jit bench:maps (${emulated ? 'arm64 under qemu-aarch64' : `arm64 native, ${process.platform}`}, Node ${process.version}; ${ENTRIES}-entry maps, u32 keys, u64 values)\n`);
const w = Math.max(...rows.map((r) => r[0].length));
for (const [what, figure, note] of rows) console.log(`${what.padEnd(w)}  ${String(figure).padStart(8)}  ${note}`);
