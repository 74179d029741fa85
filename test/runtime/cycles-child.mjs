// Child process for code-region.native.test.ts: alloc/write/seal/call/free cycles, then a look
// at /proc/self/maps. It runs alone, with --expose-gc, after a warm-up of as many cycles, so
// the JS heap has settled. What it reports:
// - survivors: regions freed by the measured cycles that any mapping still covers (must be 0;
//   counted per region, because adjacent leaked regions merge into one mapping line);
// - sealed: bytes in non-writable mappings (where sealed code regions live), before/after;
// - mappings: lines of /proc/self/maps other than RWX ones, before/after (must be equal). Code
//   regions are never writable and executable at once on Linux; V8's own code space is RWX
//   and re-splits as it compiles, so it is left out of the count;
// - total: all lines before/after, for the record.
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

// Freed ranges go into a typed array allocated up front, so that recording them does not
// grow the JS heap (and its mappings) while the cycles are measured.
const freed = new BigUint64Array(2 * cycles);

function cycle(i, record) {
  const region = CodeRegion.allocate(code.length);
  region.write(0, code);
  region.seal();
  const f = new NativeFunction(region.address, 'int64_t (void)', region);
  if (f.call() !== 42n) throw new Error(`cycle ${i} returned a wrong value`);
  if (record) {
    freed[2 * i] = region.address;
    freed[2 * i + 1] = region.address + BigInt(region.size);
  }
  region.free();
}

for (let i = 0; i < cycles; i++) cycle(i, false);
globalThis.gc();
const before = readMaps();
for (let i = 0; i < cycles; i++) cycle(i, true);
globalThis.gc();
const after = readMaps();
let survivors = 0;
for (let i = 0; i < cycles; i++) {
  const lo = freed[2 * i];
  const hi = freed[2 * i + 1];
  if (after.some((m) => m.lo < hi && lo < m.hi)) survivors++;
}
const nonRwx = (maps) => maps.filter((m) => m.perms !== 'rwxp').length;
const sealed = (maps) => String(maps.filter((m) => !m.perms.includes('w')).reduce((n, m) => n + (m.hi - m.lo), 0n));
process.stdout.write(
  `${JSON.stringify({ cycles, survivors, mappingsBefore: nonRwx(before), mappingsAfter: nonRwx(after), sealedBefore: sealed(before), sealedAfter: sealed(after), totalBefore: before.length, totalAfter: after.length })}\n`,
);
