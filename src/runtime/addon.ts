import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AddonLoadError } from './errors.js';


/** The native side (native/a64jit.cc): executable memory and host facts only. */
export interface NativeCodeRegion {
  write(offset: number, bytes: Uint8Array): void;
  read(offset: number, length: number): Buffer;
  seal(): void;
  unseal(): void;
  free(): void;
  readonly address: bigint;
  readonly size: number;
  readonly state: 'writable' | 'sealed' | 'freed';
}

export interface HostInfo {
  /** 'linux' | 'darwin' | 'unknown' as compiled */
  readonly os: string;
  /** 'arm64' | 'x64' | 'unknown' as compiled */
  readonly arch: string;
  readonly pageSize: number;
  /** FEAT_LSE (ARMv8.1 atomics) present */
  readonly lse: boolean;
  /** macOS MAP_JIT regions with per-thread write protection */
  readonly mapJit: boolean;
}

/** A native map (native/maps.cc): storage JIT code and the map helpers reach directly. */
export interface NativeMapHandle {
  readonly address: bigint;
  /** the values (arrays: all of them; hash-like maps: every element's slot) over native memory */
  storage(): ArrayBuffer;
  /** hash maps' key slots, null for other families */
  keyStorage(): ArrayBuffer | null;
  /** byte offset of the value in storage() (all CPUs' slots for per-CPU maps), or -1 */
  lookup(key: Uint8Array): number;
  /** 0 or a negative errno */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  delete(key: Uint8Array): number;
  nextKey(key: Uint8Array | null): Buffer | null;
  push(value: Uint8Array, flags: number): number;
  pop(peek: boolean): Buffer | null;
  count(): number;
  close(): void;
}

/** A ring buffer or perf event array (native/output-maps.cc). */
export interface NativeOutputMapHandle {
  readonly address: bigint;
  /** the ring's data area (twice its size), null for perf event arrays */
  data(): ArrayBuffer | null;
  consume(max?: number): (Buffer | { cpu: number; data: Buffer })[];
  positions(): { consumer: bigint; producer: bigint } | { pending: number };
  lost(): number;
  close(): void;
}

/** Offsets native code relies on (checked against the TypeScript models). */
export interface RuntimeLayout {
  readonly mapHeaderSize: number;
  readonly mapMaxEntries: number;
  readonly mapStore: number;
  readonly skbData: number;
  readonly skbDataEnd: number;
  readonly skbHead: number;
  readonly skbMacHeader: number;
  readonly skbLen: number;
  readonly skbHash: number;
  readonly xdpDataHardStart: number;
  readonly xdpDataHardEnd: number;
  readonly xdpFrameSize: number;
}

/** One thread's group of hardware counters (native/perf.cc). */
export interface NativePerfCounters {
  /** per name given: opened, or the errno perf_event_open gave and its text */
  readonly status: readonly { readonly name: string; readonly ok: boolean; readonly errno: number; readonly reason: string }[];
  /** reset and enable the group */
  start(): void;
  /** disable; the opened counters' values in the order given, and the group's enabled/running ns */
  stop(): { readonly values: readonly bigint[]; readonly enabled: bigint; readonly running: bigint };
  close(): void;
}

/** The fault handler's state (native/fault.cc), for tests and diagnostics. */
export interface FaultState {
  /** the SIGSEGV/SIGBUS/SIGILL/SIGFPE handler is installed (arm64 hosts only) */
  readonly installed: boolean;
  /** faults contained since the process started */
  readonly contained: number;
  /** the calling thread has an alternate signal stack */
  readonly altStack: boolean;
  /** code ranges registered with the addon, over all threads */
  readonly liveRanges: number;
}

interface AddonModule {
  CodeRegion: new (size: number) => NativeCodeRegion;
  PerfCounters: new (names: readonly string[]) => NativePerfCounters;
  hostInfo(): HostInfo;
  bufferAddress(bytes: Uint8Array): bigint;
  NativeMap: new (desc: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; cpus: number }) => NativeMapHandle;
  NativeOutputMap: new (desc: { type: number; maxEntries: number; perfCapacity?: number }) => NativeOutputMapHandle;
  /** native helper addresses by name (native/helpers.cc kHelpers) */
  helperTable(): Record<string, bigint>;
  /** call a native helper (an address of helperTable()) with R1..R5 */
  callHelper(address: bigint, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint;
  setCpu(cpu: number): void;
  currentCpu(): number;
  setPrandomSeed(seed: bigint): void;
  drainPrintk(): { lines: string[]; dropped: number };
  /** bytes of this process's memory, null where unmapped (never faults) */
  safeRead(address: bigint, length: number): Buffer | null;
  runtimeLayout(): RuntimeLayout;
  liveCodeAt(address: bigint): boolean;
  registerCodeRange(start: bigint, end: bigint, landing: bigint, excludes: bigint[], program: boolean): number;
  unregisterCodeRange(slot: number): void;
  codeRangeAt(address: bigint): { start: bigint; end: bigint; containable: boolean; program: boolean; sameThread: boolean } | null;
  faultState(): FaultState;
}

/** The package root: this file is src/runtime/addon.ts or dist/runtime/addon.js. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Whether a package root is a development checkout (a clone or worktree), not an installed package. */
export function isCheckout(root: string = packageRoot): boolean {
  return existsSync(join(root, '.git'));
}

let cached: { module: AddonModule; path: string } | undefined;

function load(): { module: AddonModule; path: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  let path: string;
  try {
    path = nodeGypBuild.resolve(packageRoot);
  } catch (e) {
    throw new AddonLoadError(
      `no a64jit native addon for ${process.platform}-${process.arch}: ${(e as Error).message}. ` +
        (isCheckout()
          ? 'Run `npm run prebuild` (or `npx cmake-js compile`) in this checkout.'
          : 'Reinstall the package: `npm rebuild a64jit` builds native/ with cmake-js (it needs cmake and a C++17 compiler) when no prebuild fits.'),
    );
  }
  try {
    cached = { module: require(path) as AddonModule, path };
  } catch (e) {
    throw new AddonLoadError(`loading the a64jit native addon ${path} failed: ${(e as Error).message}`);
  }
  return cached;
}

export function addon(): AddonModule {
  return load().module;
}

/** Which addon file was loaded, relative to the package root (e.g. prebuilds/linux-arm64/a64jit.node). */
export function addonPath(): string {
  return relative(packageRoot, load().path);
}

/** Open hardware counters for the calling thread (Linux perf_event_open; errnos elsewhere). */
export function openPerfCounters(names: readonly string[]): NativePerfCounters {
  return new (addon().PerfCounters)(names);
}

export function hostInfo(): HostInfo {
  return addon().hostInfo();
}

/** Whether an address lies in a live (allocated, not freed or collected) code region of any thread. */
export function liveCodeAt(address: bigint): boolean {
  return addon().liveCodeAt(address);
}

/** Address of a buffer's first byte; keep the buffer alive while the address is in use. */
export function bufferAddress(bytes: Uint8Array): bigint {
  return addon().bufferAddress(bytes);
}
