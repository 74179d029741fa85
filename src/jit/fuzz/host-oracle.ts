import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImageTarget, fuzzImage, type ImageTarget } from './images.js';
import { computeMapOracleBatch } from './maps.js';
import { computeOracleBatch, decodeOracleBatch, type OracleBatch, type OracleKind } from './oracle.js';

/**
 * Where a fuzz run's oracle batches come from. Under emulation the arm64 process is told the
 * host's own Node (A64JIT_HOST_NODE, set by `npm test` and `npm run fuzz:jit` on non-arm64
 * hosts) and runs dist/jit/fuzz/oracle-main.js there; elsewhere (natively on arm64, or when
 * the variable is absent) the batch is computed in this process. Either way the same
 * generator and interpreter code makes it.
 */
export const HOST_NODE_ENV = 'A64JIT_HOST_NODE';

/** The compiled oracle entry point (dist/), from this module's place in src/ or in dist/. */
function oracleMain(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/jit/fuzz or dist/jit/fuzz: the checkout is three levels up either way
  return join(here, '..', '..', '..', 'dist', 'jit', 'fuzz', 'oracle-main.js');
}

/** A batch of either kind, computed here; with a target, each case also compiled for it (images.ts). */
export function computeBatch(kind: OracleKind, first: number, count: number, stride = 1, target?: ImageTarget): OracleBatch {
  const batch = kind === 'maps' ? computeMapOracleBatch(first, count, stride) : computeOracleBatch(first, count, stride);
  if (!target) return batch;
  return {
    ...batch,
    cases: batch.cases.map((c) => {
      const image = fuzzImage(kind, c, target);
      return image ? { ...c, image } : c;
    }),
  };
}

export interface OracleSource {
  /** how batches are made, for logs: "host Node /usr/bin/node" or "in process" */
  readonly where: string;
  /** with a target, the cases come compiled for it too (images.ts) */
  batch(first: number, count: number, stride?: number, target?: ImageTarget): Promise<OracleBatch>;
  /**
   * The seeds first..first + count - 1 in batches of `chunk`, computed ahead: from the host
   * Node, by `parts` background processes (default STREAM_PARTS) for the whole range, each
   * taking every parts-th batch (a warm process compiles several times faster than a fresh
   * one per batch, and they work while the JIT side runs).
   */
  stream(first: number, count: number, chunk: number, target?: ImageTarget, parts?: number): OracleStream;
}

export interface OracleStream {
  /** batch k: the seeds first + k * chunk, ... (each batch is read once) */
  batch(k: number): Promise<OracleBatch>;
  /** removes what the background process left (call when done) */
  close(): void;
}

/**
 * Background oracle processes per stream: two, for the two cores of our smallest machines;
 * the JIT side under qemu only loads and runs code and mostly waits for them.
 */
export const STREAM_PARTS = 2;

/** How long a stream's batch may take to appear before the run fails (the test timeout is longer). */
const STREAM_WAIT_MS = 150_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process is alive (signal 0: no signal sent, only checked). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function oracleSource(kind: OracleKind = 'plain', env: NodeJS.ProcessEnv = process.env): OracleSource {
  const node = env[HOST_NODE_ENV];
  if (!node) {
    const batch = async (first: number, count: number, stride = 1, target?: ImageTarget): Promise<OracleBatch> => computeBatch(kind, first, count, stride, target);
    return {
      where: 'in process',
      batch,
      stream: (first, count, chunk, target) => ({ batch: (k) => batch(first + k * chunk, Math.min(chunk, count - k * chunk), 1, target), close: () => undefined }),
    };
  }
  const main = oracleMain();
  if (!existsSync(main)) throw new Error(`fuzz oracle: ${main} is missing; run \`npm run compile\` (npm test compiles first)`);
  return {
    where: `host Node ${node}`,
    // spawnSync, not spawn: an asynchronous child's SIGCHLD inside vitest's worker threads
    // crashed qemu-user 7.2 (target signal 11) here; the host computes a batch in about a
    // second while the JIT side needs a minute for it, so nothing is lost by waiting
    batch: async (first, count, stride = 1, target) => {
      const r = spawnSync(node, [main, kind, String(first), String(count), String(stride), ...(target ? ['--target', encodeImageTarget(target)] : [])], { maxBuffer: 1 << 30 });
      if (r.error) throw new Error(`fuzz oracle: cannot run ${node}: ${r.error.message}`);
      if (r.status !== 0) {
        throw new Error(`fuzz oracle (${node} ${main} ${kind} ${first} ${count} ${stride}) ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.status}`}: ${r.stderr.toString('utf8').trim()}`);
      }
      return decodeOracleBatch(r.stdout);
    },
    stream: (first, count, chunk, target, parts = STREAM_PARTS) => {
      const dir = mkdtempSync(join(tmpdir(), `a64jit-oracle-${kind}-`));
      const command = [main, kind, String(first), String(count), '1', ...(target ? ['--target', encodeImageTarget(target)] : []), '--out', dir, '--chunk', String(chunk), '--parts', String(parts)];
      // the starter returns at once (spawnSync: see above); the process it leaves computes the batches
      const r = spawnSync(node, command, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.error || r.status !== 0) rmSync(dir, { recursive: true, force: true });
      if (r.error) throw new Error(`fuzz oracle: cannot run ${node}: ${r.error.message}`);
      if (r.status !== 0) throw new Error(`fuzz oracle (${node} ${main} ${kind} ${first} ${count} --out ${dir}) exited with code ${r.status}: ${r.stderr.toString('utf8').trim()}`);
      const pids = Array.from({ length: parts }, (_, i) => Number(readFileSync(join(dir, `pid.${i}`), 'utf8')));
      return {
        batch: async (k) => {
          const file = join(dir, `${k}.bin`);
          const pid = pids[k % parts]!;
          const started = Date.now();
          for (;;) {
            if (existsSync(file)) break;
            const error = join(dir, 'error');
            if (existsSync(error)) throw new Error(`fuzz oracle (${dir}) failed: ${readFileSync(error, 'utf8')}`);
            // (checked before a last look at the file: it may have finished just now)
            if (!alive(pid) && !existsSync(file)) throw new Error(`fuzz oracle (pid ${pid}, ${dir}) ended without writing batch ${k}`);
            if (Date.now() - started > STREAM_WAIT_MS) throw new Error(`fuzz oracle (pid ${pid}, ${dir}): batch ${k} not ready after ${STREAM_WAIT_MS / 1000} s`);
            await sleep(50);
          }
          const bytes = readFileSync(file);
          rmSync(file);
          return decodeOracleBatch(bytes);
        },
        close: () => {
          for (const pid of pids) if (alive(pid)) process.kill(pid);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
