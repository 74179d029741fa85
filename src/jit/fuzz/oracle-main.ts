/**
 * `node dist/jit/fuzz/oracle-main.js plain|maps FIRST COUNT [STRIDE]`: writes the oracle
 * batch of the seeds FIRST, FIRST + STRIDE, ... (COUNT of them) to stdout (format in
 * oracle.ts). Spawned by host-oracle.ts in the host's own Node while the JIT side runs under
 * qemu.
 */
import { writeSync } from 'node:fs';
import { computeBatch } from './host-oracle.js';
import { encodeOracleBatch } from './oracle.js';

const [kind, ...rest] = process.argv.slice(2);
const [first, count, stride = 1] = rest.map(Number);
if ((kind !== 'plain' && kind !== 'maps') || ![first, count, stride].every((v) => Number.isSafeInteger(v) && (v as number) >= 0) || (stride as number) < 1) {
  process.stderr.write('usage: oracle-main.js plain|maps FIRST COUNT [STRIDE] (non-negative integers, STRIDE >= 1)\n');
  process.exit(2);
}
const bytes = encodeOracleBatch(computeBatch(kind, first as number, count as number, stride));
// one synchronous write loop: the pipe may take it in pieces, and the process must not exit early
for (let at = 0; at < bytes.length; ) {
  try {
    at += writeSync(1, bytes, at, bytes.length - at);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  }
}
