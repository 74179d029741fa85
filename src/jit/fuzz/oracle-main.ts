/**
 * `node dist/jit/fuzz/oracle-main.js plain|maps FIRST COUNT [STRIDE] [--target JSON]`: writes
 * the oracle batch of the seeds FIRST, FIRST + STRIDE, ... (COUNT of them) to stdout (format
 * in oracle.ts); with --target, each case also compiled for that arm64 process (images.ts).
 *
 * `... --out DIR --chunk N [--parts P]`: computes the same seeds in batches of N in the
 * background, in P processes (default 1) that detach (their starter returns at once); process
 * i computes the batches k with k % P = i, writes batch k to DIR/k.bin (renamed into place
 * when complete), its pid to DIR/pid.i, any failure to DIR/error (host-oracle.ts, stream).
 *
 * Spawned by host-oracle.ts in the host's own Node while the JIT side runs under qemu.
 */
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { computeBatch } from './host-oracle.js';
import { decodeImageTarget } from './images.js';
import { encodeOracleBatch } from './oracle.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const targetText = option('--target');
const out = option('--out');
const chunkText = option('--chunk');
const parts = Number(option('--parts') ?? 1);
const partText = option('--part');
const part = partText === undefined ? undefined : Number(partText);
const [kind, ...rest] = args;
const [first, count, stride = 1] = rest.map(Number);
const chunk = chunkText === undefined ? undefined : Number(chunkText);
if (
  (kind !== 'plain' && kind !== 'maps') ||
  ![first, count, stride].every((v) => Number.isSafeInteger(v) && (v as number) >= 0) ||
  (stride as number) < 1 ||
  (out === undefined) !== (chunk === undefined) ||
  (chunk !== undefined && !(Number.isSafeInteger(chunk) && chunk >= 1)) ||
  !(Number.isSafeInteger(parts) && parts >= 1) ||
  (part !== undefined && !(Number.isSafeInteger(part) && part >= 0 && part < parts))
) {
  process.stderr.write('usage: oracle-main.js plain|maps FIRST COUNT [STRIDE] [--target JSON] [--out DIR --chunk N [--parts P]] (non-negative integers, STRIDE >= 1, N >= 1, P >= 1)\n');
  process.exit(2);
}
const target = targetText !== undefined ? decodeImageTarget(targetText) : undefined;

if (out !== undefined && part === undefined) {
  // The starter: children that outlive it, so the caller (spawnSync under qemu) returns at
  // once and never gets a SIGCHLD from the long-running ones.
  for (let i = 0; i < parts; i++) {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), '--part', String(i)], { detached: true, stdio: 'ignore' });
    writeFileSync(join(out, `pid.${i}`), String(child.pid));
    child.unref();
  }
} else if (out !== undefined) {
  try {
    for (let k = part!; k * chunk! < count!; k += parts) {
      const bytes = encodeOracleBatch(computeBatch(kind, first! + k * chunk! * stride, Math.min(chunk!, count! - k * chunk!), stride, target));
      writeFileSync(join(out, `${k}.tmp`), bytes);
      renameSync(join(out, `${k}.tmp`), join(out, `${k}.bin`));
    }
  } catch (e) {
    writeFileSync(join(out, 'error'), e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  }
} else {
  const bytes = encodeOracleBatch(computeBatch(kind, first!, count!, stride, target));
  // one synchronous write loop: the pipe may take it in pieces, and the process must not exit early
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(1, bytes, at, bytes.length - at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}
