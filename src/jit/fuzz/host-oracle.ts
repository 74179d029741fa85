import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** A batch of either kind, computed here. */
export function computeBatch(kind: OracleKind, first: number, count: number, stride = 1): OracleBatch {
  return kind === 'maps' ? computeMapOracleBatch(first, count, stride) : computeOracleBatch(first, count, stride);
}

export interface OracleSource {
  /** how batches are made, for logs: "host Node /usr/bin/node" or "in process" */
  readonly where: string;
  batch(first: number, count: number, stride?: number): Promise<OracleBatch>;
}

export function oracleSource(kind: OracleKind = 'plain', env: NodeJS.ProcessEnv = process.env): OracleSource {
  const node = env[HOST_NODE_ENV];
  if (!node) return { where: 'in process', batch: async (first, count, stride = 1) => computeBatch(kind, first, count, stride) };
  const main = oracleMain();
  if (!existsSync(main)) throw new Error(`fuzz oracle: ${main} is missing; run \`npm run compile\` (npm test compiles first)`);
  return {
    where: `host Node ${node}`,
    // spawnSync, not spawn: an asynchronous child's SIGCHLD inside vitest's worker threads
    // crashed qemu-user 7.2 (target signal 11) here; the host computes a batch in about a
    // second while the JIT side needs a minute for it, so nothing is lost by waiting
    batch: async (first, count, stride = 1) => {
      const r = spawnSync(node, [main, kind, String(first), String(count), String(stride)], { maxBuffer: 1 << 30 });
      if (r.error) throw new Error(`fuzz oracle: cannot run ${node}: ${r.error.message}`);
      if (r.status !== 0) {
        throw new Error(`fuzz oracle (${node} ${main} ${kind} ${first} ${count} ${stride}) ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.status}`}: ${r.stderr.toString('utf8').trim()}`);
      }
      return decodeOracleBatch(r.stdout);
    },
  };
}
