import { disassemble, formatDisassembly, type BpfInsn } from '../../bpf/index.js';
import { FUZZ_DUMP_OFFSET, type GeneratedProgram } from '../../bpf/program-generator.js';
import type { PassCounts } from '../opt/index.js';
import { computeOracleCase, type OracleCase } from './oracle.js';

/**
 * One differential case: the program of a seed runs in the reference interpreter and in an
 * executor (the JIT), and R0 and the whole final buffer must agree. Everything here is plain
 * JavaScript, so the host tests can drive it with a deliberately wrong executor to prove that
 * a difference is caught and reported; the JIT executor lives in jit-executor.ts.
 */

/** How the JIT compiles a case: varied by seed so every code-generation path sees programs. */
export interface FuzzMode {
  readonly atomics: 'auto' | 'llsc';
  readonly blind: false | { readonly seed: number };
}

/** 5 in 8 seeds: default atomics (LSE where present); 2 in 8 LL/SC forced; 1 in 8 blinded. */
export function modeForSeed(seed: number): FuzzMode {
  const r = seed % 8;
  if (r === 7) return { atomics: 'auto', blind: { seed: (seed * 2654435761) >>> 0 } };
  if (r === 3 || r === 5) return { atomics: 'llsc', blind: false };
  return { atomics: 'auto', blind: false };
}

export function describeMode(mode: FuzzMode): string {
  return `atomics=${mode.atomics}${mode.blind ? `, blinding seed ${mode.blind.seed}` : ''}`;
}

export interface Execution {
  readonly value: bigint;
  /** the buffer after the run */
  readonly mem: Uint8Array;
  /** when the optimization tier compiled the program: how often each of its passes fired */
  readonly passes?: PassCounts;
}

/**
 * Runs a generated program (its insns on a copy of its mem) in the implementation under test;
 * `image`: the program already compiled for this executor (images.ts), to load instead.
 */
export type Executor = (program: GeneratedProgram, mode: FuzzMode, image?: Uint8Array) => Execution;

export interface FuzzCaseResult {
  readonly seed: number;
  readonly ok: boolean;
  /** program slots */
  readonly slots: number;
  /** instructions the interpreter executed */
  readonly executed: number;
  /** present when !ok: everything needed to understand and reproduce the failure */
  readonly report?: string;
  /** the optimizer's pass counts for this program (absent when it compiled 1:1) */
  readonly passes?: PassCounts;
}

/** Sums pass counts into `into` (a fuzz run reports how often each pass fired). */
export function addPassCounts(into: Record<string, number>, passes: PassCounts | undefined): void {
  if (!passes) return;
  for (const [k, v] of Object.entries(passes)) into[k] = (into[k] ?? 0) + (v ?? 0);
}

export interface FuzzCaseOptions {
  /** forms of the program are added here */
  readonly forms?: Set<string>;
  /** validate in the interpreter too (default false: the JIT executor validates) */
  readonly validate?: boolean;
  /** how to reproduce a seed, for the report */
  readonly reproduce?: (seed: number) => string;
}

export const defaultReproduce = (seed: number): string => `npm run fuzz:jit -- --start ${seed} --count 1 --verbose`;

export function runFuzzCase(seed: number, executor: Executor, options: FuzzCaseOptions = {}): FuzzCaseResult {
  const oracle = computeOracleCase(seed, options.forms, options.validate ?? false);
  return checkFuzzCase(oracle, executor, options);
}

/**
 * Runs the JIT side of one case whose program and interpreter result are already known (an
 * oracle batch, possibly made in another process: host-oracle.ts) and compares. The forms of
 * a precomputed case were counted where it was made.
 */
export function checkFuzzCase(oracle: OracleCase, executor: Executor, options: FuzzCaseOptions = {}): FuzzCaseResult {
  const { seed, program } = oracle;
  const reproduce = options.reproduce ?? defaultReproduce;
  if (!program) return { seed, ok: false, slots: 0, executed: 0, report: `fuzz-jit: seed ${seed}: ${oracle.error ?? 'no program'}\nreproduce: ${reproduce(seed)}` };
  const mode = modeForSeed(seed);
  const fail = (what: string, executed = 0): FuzzCaseResult => ({
    seed,
    ok: false,
    slots: program.insns.length,
    executed,
    report: formatReport(program, mode, what, reproduce),
  });
  if (!oracle.expected) return fail(oracle.error ?? 'the interpreter gave no result');
  const expected = oracle.expected;

  let actual: Execution;
  try {
    actual = executor(program, mode, oracle.image);
  } catch (e) {
    return fail(`the implementation under test failed: ${errorText(e)}`);
  }
  const diff = firstDifference(expected.mem, actual.mem);
  if (expected.value === actual.value && diff === undefined) {
    return { seed, ok: true, slots: program.insns.length, executed: expected.instructions, ...(actual.passes ? { passes: actual.passes } : {}) };
  }
  const lines: string[] = [];
  lines.push(`R0: interpreter 0x${hex64(expected.value)}, JIT 0x${hex64(actual.value)}${expected.value === actual.value ? ' (equal)' : ' (DIFFERENT)'}`);
  if (diff === undefined) lines.push('memory: equal');
  else {
    const differing = countDifferences(expected.mem, actual.mem);
    lines.push(
      `memory: first difference at byte ${diff} (${describeOffset(diff)}): interpreter 0x${hex8(expected.mem[diff])}, JIT 0x${hex8(actual.mem[diff])}; ${differing} byte(s) differ`,
    );
    const word = diff - (diff % 8);
    lines.push(`  the 8 bytes at ${word}: interpreter ${bytesHex(expected.mem, word)}, JIT ${bytesHex(actual.mem, word)}`);
  }
  return fail(`MISMATCH\n${lines.join('\n')}`, expected.instructions);
}

function formatReport(program: GeneratedProgram, mode: FuzzMode, what: string, reproduce: (seed: number) => string): string {
  return [
    `fuzz-jit: seed ${program.seed} (${describeMode(mode)}, ${program.insns.length} slots, ${program.functions} function(s))`,
    what,
    `reproduce: ${reproduce(program.seed)}`,
    'program:',
    programText(program.insns),
  ].join('\n');
}

export function programText(insns: readonly BpfInsn[]): string {
  return formatDisassembly(disassemble(insns, { labels: true }), { pcs: true });
}

/** What the entry epilogue stored at a buffer offset (registers, then its stack window). */
function describeOffset(offset: number): string {
  const rel = offset - FUZZ_DUMP_OFFSET;
  if (rel >= 0 && rel < 72) return `final R${Math.floor(rel / 8)} of the entry function, byte ${rel % 8}`;
  if (rel >= 80 && rel < 144) return `entry stack window word ${Math.floor((rel - 80) / 8)}, byte ${(rel - 80) % 8}`;
  return 'data written by the program';
}

function firstDifference(a: Uint8Array, b: Uint8Array): number | undefined {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) return undefined;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return undefined;
}

function countDifferences(a: Uint8Array, b: Uint8Array): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

const hex64 = (v: bigint): string => BigInt.asUintN(64, v).toString(16).padStart(16, '0');
const hex8 = (v: number | undefined): string => (v ?? 0).toString(16).padStart(2, '0');
const bytesHex = (m: Uint8Array, at: number): string => [...m.subarray(at, at + 8)].map((b) => hex8(b)).join(' ');
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
