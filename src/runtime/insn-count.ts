import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { INSN_COUNT_DIR_ENV } from './emulation.js';
import type { CodeRange } from './code-ranges.js';
import { loadFunction, type NativeFunction } from './native-function.js';

/**
 * Exact executed-instruction counts of address ranges, under qemu-aarch64 with the project's
 * TCG plugin (native/qemu-plugin/insn-count.c; protocol described at its top).
 *
 * Usage (any arm64 process started by `npm test` or by the CLI's qemu re-exec):
 *
 *   import { InsnCounter, insnCountStatus, insnsPerRun } from 'a64jit/runtime';
 *
 *   const status = insnCountStatus();          // { available: false, reason } natively on arm64,
 *   if (!status.available) throw new Error(status.reason); // or when the plugin is not loaded
 *
 *   // a JIT program's code (JitProgram.address / .code.length), or a native function:
 *   //   NativeLibrary.open('libx.so').symbolRange('fn')  (start and size from its ELF symbol)
 *   const counter = InsnCounter.open({ start: prog.address, size: prog.code.length, name: 'prog' });
 *   const before = counter.read();
 *   prog.run(buf);
 *   const executed = counter.read() - before;   // instructions executed inside the range
 *   counter.close();
 *
 *   // per run, with setup and compilation cancelled out (runs N times, then 2N times):
 *   const { perRun } = insnsPerRun(range, (n) => { for (let i = 0; i < n; i++) prog.run(buf); }, 100);
 *
 * Register a range before the runs you count; registering flushes qemu's translation cache,
 * so code that already ran is counted from then on. Only instructions inside the range count:
 * helpers, koffi and JavaScript called from it do not. Each counter is its own, so threads
 * counting their own code do not mix; threads running the same registered code at the same
 * time would (give each its own copy, e.g. its own .so file).
 */

// The range shape lives with the code-range model (a registered program range is one).
export type { CodeRange } from './code-ranges.js';

/** Counting is not possible in this process; `reason` says why and what to do. */
export class InsnCountUnavailableError extends Error {
  override readonly name = 'InsnCountUnavailableError';
}

/** A count request that cannot be met (bad range, full table, counts that are not linear). */
export class InsnCountError extends Error {
  override readonly name = 'InsnCountError';
}

export type InsnCountStatus = { readonly available: true; readonly file: string } | { readonly available: false; readonly reason: string };

// The counts file layout (insn-count.c): header of 8 u64, then slots of 4 u64.
const MAGIC = 0x4e534e494a343641n;
const LAYOUT_VERSION = 1n;
const HEADER_BYTES = 64;
const SLOT_BYTES = 32;
const H = { magic: 0, version: 8, pid: 16, capacity: 24, hypercall: 32, flushes: 40, generation: 48, refused: 56 } as const;
const S = { start: 0, end: 8, owner: 16, count: 24 } as const;
const OP_REGISTER = 1n;
const OP_UNREGISTER = 2n;
/** How long a registration may take to be applied (a flush of qemu's translation cache). */
const REGISTER_TIMEOUT_MS = 10_000;

interface CountsFile {
  readonly path: string;
  readonly fd: number;
  readonly capacity: number;
  readonly hypercall: NativeFunction;
}

let opened: CountsFile | undefined;

function why(): string | CountsFile {
  if (opened) return opened;
  if (process.arch !== 'arm64') return `instruction counts are taken in the arm64 process under qemu-aarch64; this process is ${process.arch}`;
  const dir = process.env[INSN_COUNT_DIR_ENV];
  if (!dir) {
    return process.env.A64JIT_EMULATOR
      ? `this process runs under ${process.env.A64JIT_EMULATOR} without the instruction-count plugin (${INSN_COUNT_DIR_ENV} is not set): ` +
          'build it with `npm run setup` (native/qemu-plugin/insn-count.c, compiled with the host cc); `npm test` and the CLI load it when it is built'
      : 'exact instruction counts come from the qemu-aarch64 plugin; this arm64 process is not emulated (use the hardware counters instead)';
  }
  const path = join(dir, `${process.pid}.insn`);
  if (!existsSync(path)) {
    return `the instruction-count plugin is not loaded in this process (pid ${process.pid}): no ${path}; was it started by qemu-aarch64 with QEMU_PLUGIN set by the launcher?`;
  }
  const fd = openSync(path, 'r');
  const header = Buffer.alloc(HEADER_BYTES);
  readSync(fd, header, 0, HEADER_BYTES, 0);
  const problem =
    header.readBigUInt64LE(H.magic) !== MAGIC
      ? `${path} is not an a64jit counts file`
      : header.readBigUInt64LE(H.version) !== LAYOUT_VERSION
        ? `${path} has layout ${header.readBigUInt64LE(H.version)}, this runtime reads ${LAYOUT_VERSION}: rebuild the plugin (npm run setup)`
        : header.readBigUInt64LE(H.pid) !== BigInt(process.pid)
          ? `${path} belongs to process ${header.readBigUInt64LE(H.pid)}, not ${process.pid}`
          : undefined;
  if (problem) {
    closeSync(fd);
    return problem;
  }
  const nr = Number(header.readBigUInt64LE(H.hypercall));
  // movz x8, #nr ; svc #0 ; ret  (ARM ARM C6.2.249 MOVZ, C6.2.365 SVC, C6.2.254 RET)
  const code = new Uint8Array(12);
  const view = new DataView(code.buffer);
  view.setUint32(0, (0xd2800000 | (nr << 5) | 8) >>> 0, true);
  view.setUint32(4, 0xd4000001, true);
  view.setUint32(8, 0xd65f03c0, true);
  opened = { path, fd, capacity: Number(header.readBigUInt64LE(H.capacity)), hypercall: loadFunction(code, 'uint64_t (uint64_t, uint64_t, uint64_t, uint64_t)') };
  return opened;
}

/** Whether this process can count instructions, and if not, why. */
export function insnCountStatus(): InsnCountStatus {
  const f = why();
  return typeof f === 'string' ? { available: false, reason: f } : { available: true, file: f.path };
}

function countsFile(): CountsFile {
  const f = why();
  if (typeof f === 'string') throw new InsnCountUnavailableError(f);
  return f;
}

function readAt(f: CountsFile, position: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  if (readSync(f.fd, b, 0, length, position) !== length) throw new InsnCountError(`${f.path} is shorter than its header says`);
  return b;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

function findSlot(f: CountsFile, nonce: bigint): number | undefined {
  const table = readAt(f, HEADER_BYTES, f.capacity * SLOT_BYTES);
  for (let i = 0; i < f.capacity; i++) if (table.readBigUInt64LE(i * SLOT_BYTES + S.owner) === nonce) return i;
  return undefined;
}

/** Counts the instructions executed inside one range, from open() until close(). */
export class InsnCounter {
  readonly range: CodeRange;
  readonly #file: CountsFile;
  readonly #slot: number;
  readonly #nonce: bigint;
  #closed = false;

  private constructor(range: CodeRange, file: CountsFile, slot: number, nonce: bigint) {
    this.range = range;
    this.#file = file;
    this.#slot = slot;
    this.#nonce = nonce;
  }

  static open(range: CodeRange): InsnCounter {
    const f = countsFile();
    const label = range.name ?? `0x${range.start.toString(16)}`;
    if (!Number.isSafeInteger(range.size) || range.size <= 0 || range.start <= 0n || range.start + BigInt(range.size) > 2n ** 64n) {
      throw new InsnCountError(`range ${label}: start 0x${range.start.toString(16)} and size ${range.size} are not a range of code`);
    }
    const nonce = (crypto.getRandomValues(new BigUint64Array(1))[0]! & (2n ** 63n - 1n)) | 1n;
    const end = range.start + BigInt(range.size);
    const deadline = Date.now() + REGISTER_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      // Idempotent on the nonce: asking again only repeats the flush request.
      if (attempt % 100 === 0) f.hypercall.call(OP_REGISTER, range.start, end, nonce);
      const slot = findSlot(f, nonce);
      if (slot !== undefined) return new InsnCounter(range, f, slot, nonce);
      if (readAt(f, H.refused, 8).readBigUInt64LE(0) === nonce) {
        throw new InsnCountError(`range ${label}: the plugin's table of ${f.capacity} ranges is full (close counters that are done)`);
      }
      if (Date.now() > deadline) throw new InsnCountError(`range ${label}: the plugin did not take the range within ${REGISTER_TIMEOUT_MS} ms (${f.path})`);
      Atomics.wait(pause, 0, 0, 1);
    }
  }

  /** Instructions executed inside the range since open(). */
  read(): bigint {
    if (this.#closed) throw new InsnCountError(`range ${this.range.name ?? ''}: the counter was closed`);
    const s = readAt(this.#file, HEADER_BYTES + this.#slot * SLOT_BYTES, SLOT_BYTES);
    if (s.readBigUInt64LE(S.owner) !== this.#nonce) throw new InsnCountError(`range ${this.range.name ?? ''}: slot ${this.#slot} was taken from this counter`);
    return s.readBigUInt64LE(S.count);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.hypercall.call(OP_UNREGISTER, BigInt(this.#slot), this.#nonce, 0n);
  }
}

/** Instructions executed inside `range` while `fn` runs. */
export function countInsns(range: CodeRange, fn: () => void): bigint {
  const counter = InsnCounter.open(range);
  try {
    const before = counter.read();
    fn();
    return counter.read() - before;
  } finally {
    counter.close();
  }
}

export interface PerRunCount {
  /** instructions per run: (count(2N) - count(N)) / N */
  readonly perRun: bigint;
  /** what a batch costs besides its runs: 2 count(N) - count(2N) (a loop's set-up, ...) */
  readonly fixed: bigint;
  readonly n: number;
  readonly countN: bigint;
  readonly count2N: bigint;
}

/**
 * Instructions per run of code in `range`: `runs(n)` must execute the code n times; it is
 * called with N and then 2N, so whatever a batch costs once (setup, compilation, a run loop's
 * entry and exit) drops out. Counts that are not linear in N (count(2N) - count(N) not a
 * multiple of N) are an error: the runs do not all execute the same instructions.
 */
export function insnsPerRun(range: CodeRange, runs: (n: number) => void, n: number): PerRunCount {
  if (!Number.isSafeInteger(n) || n < 1) throw new InsnCountError(`insnsPerRun: n must be a positive integer, got ${n}`);
  const counter = InsnCounter.open(range);
  try {
    const c0 = counter.read();
    runs(n);
    const c1 = counter.read();
    runs(2 * n);
    const c2 = counter.read();
    const countN = c1 - c0;
    const count2N = c2 - c1;
    const diff = count2N - countN;
    if (diff < 0n || diff % BigInt(n) !== 0n) {
      throw new InsnCountError(`range ${range.name ?? ''}: ${countN} instructions for ${n} runs and ${count2N} for ${2 * n}: not linear, so the runs differ`);
    }
    return { perRun: diff / BigInt(n), fixed: countN - diff, n, countN, count2N };
  } finally {
    counter.close();
  }
}
