import { BpfPseudo } from '../../bpf/index.js';
import { decodeJitImage, encodeJitImage, prepareImage, type ImageOptions, type JitImage } from '../image.js';
import { modeForSeed } from './differential.js';
import type { OracleCase, OracleKind } from './oracle.js';

/**
 * The differential fuzz's JIT images (src/jit/image.ts): under qemu, compiling is most of the
 * arm64 side's time, so the oracle process (the host's own Node) also compiles each case, for
 * the arm64 process's addresses and CPU (an ImageTarget), with the options the arm64 side
 * would use; the arm64 side loads the image, runs it and compares. The machine code that runs
 * is what the same compiler makes for that program, mode and addresses; checkImage makes the
 * arm64 side compile cases itself and compare bytes, so host and arm64 compilers that ever
 * disagree fail the run.
 */
export interface ImageTarget {
  /** the arm64 process's context block for fuzz programs (one, reused: cases run one by one) */
  readonly contextAddress: bigint;
  /** whether its CPU has FEAT_LSE (what atomics 'auto' becomes there) */
  readonly lse: boolean;
  /** the map fuzz: native helpers by id (their addresses go in the context block, not the code) */
  readonly nativeHelpers?: readonly (readonly [number, bigint])[];
  /** the map fuzz: the maps' addresses, by LDDW map-fd immediate (embedded in the code) */
  readonly maps?: readonly bigint[];
}

/** An LDDW map-fd resolver over map addresses by index. */
export function mapFdResolver(maps: readonly bigint[]): (pseudo: number, imm: number) => bigint {
  return (pseudo, imm) => {
    if (pseudo !== BpfPseudo.MAP_FD || maps[imm] === undefined) throw new Error(`lddw pseudo ${pseudo} imm ${imm}`);
    return maps[imm]!;
  };
}

/**
 * The options the arm64 side compiles a case with, as ImageOptions: plain cases with their
 * seed's mode (atomics and blinding; 'auto' becomes what the target's CPU has), no helper
 * argument checks (trusted code, like the executor's), map cases with the native map helpers
 * and the maps' addresses (and the helper argument checks unverified code gets by default;
 * the regions they check against are the loading side's, given at load). Unverified, no
 * budget (generated programs terminate; a budget would compile 1:1), no sandbox.
 */
export function fuzzImageOptions(kind: OracleKind, seed: number, target: ImageTarget): ImageOptions {
  const base = { verify: false, budget: false, contextAddress: target.contextAddress } as const;
  const auto = target.lse ? 'lse' : 'llsc';
  if (kind === 'maps') {
    return { ...base, atomics: auto, blind: false, nativeHelpers: new Map(target.nativeHelpers ?? []), resolvePseudo: mapFdResolver(target.maps ?? []) };
  }
  const mode = modeForSeed(seed);
  return { ...base, atomics: mode.atomics === 'auto' ? auto : mode.atomics, blind: mode.blind, sandbox: false, sandboxAnalysis: false, helperArgChecks: false };
}

/** A case's program compiled for the target, encoded; undefined when the JIT refuses it (the arm64 side then compiles it itself and reports the error). */
export function fuzzImage(kind: OracleKind, c: OracleCase, target: ImageTarget): Uint8Array | undefined {
  if (!c.program || !c.expected) return undefined;
  try {
    return encodeJitImage(prepareImage(c.program.insns, fuzzImageOptions(kind, c.seed, target)).image);
  } catch {
    return undefined;
  }
}

/** The case's image, decoded (undefined when it has none). */
export function caseImage(c: OracleCase): JitImage | undefined {
  return c.image ? decodeJitImage(c.image) : undefined;
}

/**
 * The cross-check: this process compiles the case for the same target and compares the
 * encoded image with the one that came with the case. Returns what differs, or undefined.
 */
export function checkImage(kind: OracleKind, c: OracleCase, target: ImageTarget): string | undefined {
  const here = fuzzImage(kind, c, target);
  if (!here && !c.image) return undefined;
  if (!here || !c.image) return `seed ${c.seed}: ${here ? 'only this process' : 'only the oracle process'} could compile the program`;
  if (Buffer.from(here).equals(Buffer.from(c.image))) return undefined;
  const a = decodeJitImage(here).compiled.code;
  const b = decodeJitImage(c.image).compiled.code;
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  return `seed ${c.seed}: the oracle process's JIT image differs from this process's (${b.length} vs ${a.length} code bytes${at < Math.max(a.length, b.length) ? `, first different code byte ${at}` : ', same code, other metadata'})`;
}

/** ImageTarget as one command-line argument (JSON, bigints as decimal strings). */
export function encodeImageTarget(t: ImageTarget): string {
  return JSON.stringify({
    contextAddress: t.contextAddress.toString(),
    lse: t.lse,
    ...(t.nativeHelpers ? { nativeHelpers: t.nativeHelpers.map(([id, a]) => [id, a.toString()]) } : {}),
    ...(t.maps ? { maps: t.maps.map(String) } : {}),
  });
}

export function decodeImageTarget(text: string): ImageTarget {
  const j = JSON.parse(text) as { contextAddress: string; lse: boolean; nativeHelpers?: [number, string][]; maps?: string[] };
  return {
    contextAddress: BigInt(j.contextAddress),
    lse: j.lse === true,
    ...(j.nativeHelpers ? { nativeHelpers: j.nativeHelpers.map(([id, a]) => [id, BigInt(a)] as const) } : {}),
    ...(j.maps ? { maps: j.maps.map((a) => BigInt(a)) } : {}),
  };
}
