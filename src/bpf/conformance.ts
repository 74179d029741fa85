import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConformanceTest } from './conformance-file.js';
import { ConformanceFileError, parseConformanceFile } from './conformance-file.js';
import type { HelperRegistry } from './helpers.js';
import { conformanceHelpers } from './helpers.js';
import type { BpfInsn } from './instruction.js';
import { decodeProgram } from './instruction.js';
import { interpret } from './interpreter.js';
import { assembleUbpf } from './ubpf-assembler.js';
import { validateProgram } from './validate.js';
import type { HelperProto } from './helper-protos.js';
import { verifyProgram } from './verifier/verify.js';

/**
 * Engine-agnostic bpf_conformance runner. An executor runs one already validated program on a
 * copy of the test's memory (null when the test has none) with the suite's helpers and
 * returns R0; it throws when the program fails at run time. The interpreter is one executor,
 * the JIT another.
 */
export type BpfExecutor = (program: readonly BpfInsn[], mem: Uint8Array | null, helpers: HelperRegistry) => bigint | Promise<bigint>;

export interface ConformanceOutcome {
  /** file path, or the name given */
  name: string;
  passed: boolean;
  /** why it failed (empty when passed) */
  message: string;
  /** R0, when the program ran to the end */
  actual?: bigint;
}

/**
 * The suite's helper 5 for the verifier: one number in, one number out (it may also end the
 * program, which needs no proof: the run simply stops). Not Linux's helper 5.
 */
export const CONFORMANCE_HELPER_PROTOS: ReadonlyMap<number, HelperProto> = new Map([
  [
    5,
    {
      id: 5,
      name: 'conformance_unwind',
      args: [{ name: 'value', kind: 'ARG_ANYTHING' }],
      ret: { kind: 'RET_INTEGER' },
      gplOnly: false,
      pktAccess: false,
      changesPacketData: false,
      programTypes: new Set(['plain']),
    },
  ],
]);

export interface ConformanceOptions {
  /**
   * Prove each program safe with the verifier before running it (default true), with the
   * test's memory as the plain buffer. A program the verifier rejects fails the test unless
   * the test expects an error with those words.
   */
  readonly verify?: boolean;
}

/** The reference interpreter as an executor. */
export const interpreterExecutor: BpfExecutor = (program, mem, helpers) =>
  interpret(program, { mem, helpers, validate: false }).value;

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * The program of a test: `-- raw` when present (it is the exact bytecode), else `-- asm`.
 * Throws BpfAsmError / BpfDecodeError when it does not assemble or decode, ConformanceFileError
 * when there is none (at line 1: the file as a whole).
 */
export function conformanceProgram(test: ConformanceTest): BpfInsn[] {
  if (test.raw) return decodeProgram(test.raw);
  if (test.asm) {
    const program = assembleUbpf(test.asm.source, { firstLine: test.asm.firstLine });
    if (program.length === 0) throw new ConformanceFileError("the '-- asm' section holds no instructions", test.asm.firstLine);
    return program;
  }
  throw new ConformanceFileError("the test has neither '-- asm' nor '-- raw'", 1);
}

/**
 * Run one parsed test. A test passes only if it has a program and an expectation, and either
 * it expects an error (non-empty `-- error`) and loading or running fails with a message
 * containing that text, or it expects a result and the program returns exactly it.
 * Malformed tests (nothing to run, no expectation, bad assembly) always fail.
 */
export async function runConformanceTest(name: string, test: ConformanceTest, executor: BpfExecutor, options: ConformanceOptions = {}): Promise<ConformanceOutcome> {
  const failed = (message: string, actual?: bigint): ConformanceOutcome => ({ name, passed: false, message, ...(actual === undefined ? {} : { actual }) });
  let program: BpfInsn[];
  try {
    program = conformanceProgram(test);
  } catch (e) {
    return failed(`malformed test: ${describe(e)}`);
  }
  const expectsError = test.error !== undefined && test.error !== '';
  const matchesExpectedError = (message: string): boolean => expectsError && message.includes(test.error as string);
  try {
    validateProgram(program);
  } catch (e) {
    const message = describe(e);
    if (matchesExpectedError(message)) return { name, passed: true, message: '' };
    return failed(expectsError ? `expected error '${test.error as string}', got ${message}` : `rejected at load time: ${message}`);
  }
  if (options.verify !== false) {
    try {
      verifyProgram(program, { memSize: test.mem?.length ?? 0, helpers: CONFORMANCE_HELPER_PROTOS });
    } catch (e) {
      const message = describe(e);
      if (matchesExpectedError(message)) return { name, passed: true, message: '' };
      return failed(expectsError ? `expected error '${test.error as string}', got ${message}` : `rejected by the verifier: ${message}`);
    }
  }
  if (test.result === undefined && !expectsError) {
    return failed("malformed test: no '-- result' and no '-- error' to compare with");
  }
  let actual: bigint;
  try {
    actual = await executor(program, test.mem ? Uint8Array.from(test.mem) : null, conformanceHelpers());
  } catch (e) {
    const message = describe(e);
    if (matchesExpectedError(message)) return { name, passed: true, message: '' };
    return failed(expectsError ? `expected error '${test.error as string}', got ${message}` : message);
  }
  actual = BigInt.asUintN(64, actual);
  if (expectsError) return failed(`expected error '${test.error as string}', but the program returned ${hex(actual)}`, actual);
  if (actual !== test.result) return failed(`expected ${hex(test.result as bigint)}, got ${hex(actual)}`, actual);
  return { name, passed: true, message: '', actual };
}

/** Read, parse and run one `.data` file. Never throws for a bad file: that is a failure. */
export async function runConformanceFile(path: string, executor: BpfExecutor, options: ConformanceOptions = {}): Promise<ConformanceOutcome> {
  let test: ConformanceTest;
  try {
    test = parseConformanceFile(readFileSync(path, 'utf8'));
  } catch (e) {
    return { name: path, passed: false, message: `malformed test: ${describe(e)}` };
  }
  return runConformanceTest(path, test, executor, options);
}

/** `.data` files named directly or found (recursively, sorted) in the directories given. */
export function collectConformanceFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const entry of readdirSync(p).sort()) {
        const child = join(p, entry);
        if (statSync(child).isDirectory() || entry.endsWith('.data')) walk(child);
      }
    } else {
      out.push(p);
    }
  };
  for (const p of paths) walk(p);
  return out;
}
