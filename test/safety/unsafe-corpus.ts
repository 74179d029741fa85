import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCorpusProgram, corpusPrograms, type CorpusProgram } from '../verifier/corpus.js';
import { packageRoot, sameArchNode } from '../../src/runtime/index.js';

/**
 * The verifier's corpus (test/fixtures/verifier) run WITHOUT the verifier, as
 * `a64jit run --no-verify [--sandbox]` does, in a child process (corpus-child.mjs: without the
 * sandbox an unsafe program may corrupt the memory of the process it runs in). Shared by the
 * sandbox test (every unsafe program stops with a typed error in both engines) and the
 * fault-containment test without the sandbox (every fault a BpfFaultError, 10,000 in a row,
 * then the safe corpus as the correct programs).
 */

/** How one run ended: 'ran' (with R0) or the class and message of the error it stopped with. */
export interface Outcome {
  readonly kind: string;
  readonly message: string;
}

/**
 * a64jit's typed errors a run or a load can end with (by class name: the child reports names).
 * BpfVerifierError is the sandbox's own load-time analysis.
 */
export const TYPED_ERRORS: ReadonlySet<string> = new Set([
  'BpfSandboxError',
  'BpfHelperArgError',
  'BpfPointerError',
  'BpfBudgetError',
  'BpfFaultError',
  'BpfRuntimeError',
  'BpfVerifierError',
  'BpfLoadError',
  'BpfLinkError',
  'BpfValidationError',
  'BpfContextError',
  'BpfPatchError',
  'BpfMapError',
  'BpfMapOpError',
  'BpfRunInputError',
  'JitCompileError',
  'JitRuntimeError',
]);

/** The corpus (unsafe and safe) as the child reads it: C programs compiled (clang-22), assembly assembled. */
export function writeCorpus(work: string): { file: string; programs: CorpusProgram[] } {
  const programs = corpusPrograms();
  const entries = programs.map((p) => {
    const { insns } = loadCorpusProgram(p, work);
    const common = { file: p.file, kind: p.kind, category: p.category, type: p.type, loops: p.loops, ...(p.mem !== undefined ? { mem: p.mem } : {}) };
    if (p.language === 'c') return { ...common, elf: join(work, p.file.replace(/[/.]/g, '_') + '.o') };
    return { ...common, insns, maps: p.maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags })) };
  });
  const file = join(work, 'corpus.json');
  writeFileSync(file, JSON.stringify(entries));
  return { file, programs };
}

/** Runs corpus-child.mjs under the arm64 Node; returns its JSON lines, or throws with its output. */
export function corpusChild(args: readonly string[]): unknown[] {
  if (!existsSync(join(packageRoot, 'dist', 'object', 'index.js'))) throw new Error('dist/ is missing: run the tests through `npm test`, which compiles first');
  const node = sameArchNode();
  const r = spawnSync(node.command, [...node.args, '--expose-gc', join(packageRoot, 'test', 'safety', 'corpus-child.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...node.env },
    timeout: 900_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`corpus-child ${args.join(' ')} did not survive: status ${r.status}, signal ${r.signal}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown);
}
