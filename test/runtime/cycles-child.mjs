// Child process for code-region.native.test.ts: alloc/write/seal/call/free cycles, then a look
// at /proc/self/maps. It runs alone, with --expose-gc, after a warm-up of as many cycles, so
// the JS heap has settled. What it reports:
// - survivors: regions freed by the measured cycles that any mapping still covers (must be 0;
//   counted per region, because adjacent leaked regions merge into one mapping line);
// - sealed: bytes in non-writable mappings (where sealed code regions live), before/after;
// - total: all mappings before/after (V8 and malloc arenas may still re-split their own
//   writable pages, which is why the exact checks are the two above).
import { readFileSync } from 'node:fs';
import { CodeRegion, NativeFunction } from '../../dist/runtime/index.js';

const cycles = Number(process.argv[2]);
const code = new Uint8Array([0x40, 0x05, 0x80, 0xd2, 0xc0, 0x03, 0x5f, 0xd6]); // mov x0, #42; ret

function readMaps() {
  return readFileSync('/proc/self/maps', 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [range, perms] = line.split(/\s+/);
      const [lo, hi] = range.split('-').map((h) => BigInt(`0x${h}`));
      return { lo, hi, perms };
    });
}

function cycle(i, freed) {
  const region = CodeRegion.allocate(code.length);
  region.write(0, code);
  region.seal();
  const f = new NativeFunction(region.address, 'int64_t (void)', region);
  if (f.call() !== 42n) throw new Error(`cycle ${i} returned a wrong value`);
  freed?.push([region.address, region.address + BigInt(region.size)]);
  region.free();
}

for (let i = 0; i < cycles; i++) cycle(i);
globalThis.gc();
const before = readMaps();
const freed = [];
for (let i = 0; i < cycles; i++) cycle(i, freed);
globalThis.gc();
const after = readMaps();
const survivors = freed.filter(([lo, hi]) => after.some((m) => m.lo < hi && lo < m.hi)).length;
const sealed = (maps) => String(maps.filter((m) => !m.perms.includes('w')).reduce((n, m) => n + (m.hi - m.lo), 0n));
process.stdout.write(
  `${JSON.stringify({ cycles, survivors, sealedBefore: sealed(before), sealedAfter: sealed(after), totalBefore: before.length, totalAfter: after.length })}\n`,
);
