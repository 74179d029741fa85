import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBpfObject } from '../../src/bpf/elf-loader.js';
import type { BpfInsn } from '../../src/bpf/instruction.js';
import { assembleLlvm } from '../../src/bpf/llvm-asm.js';
import { parseProgramType, programType } from '../../src/bpf/program-types/index.js';
import type { VerifierMap, VerifyOptions } from '../../src/bpf/verifier/index.js';
import { objectMaps } from '../../src/bpf/verifier/index.js';

/**
 * The verifier corpus (test/fixtures/verifier, see its README): each program with the options
 * its header gives and what must happen. Shared by the corpus test and whoever runs the same
 * programs unverified (sandbox, fault containment).
 */
export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/verifier/', import.meta.url));
export const CLANG = 'clang-22';

export interface CorpusProgram {
  readonly file: string;
  readonly kind: 'safe' | 'unsafe';
  readonly category: string;
  /** 'ok' or the kernel-worded reason */
  readonly expect: string;
  readonly pc?: number;
  /** program type name ('plain' when the header gives none) */
  readonly type: string;
  /** exact memory size for plain programs */
  readonly mem?: number;
  readonly limit?: number;
  readonly loops: boolean;
  /** assembly maps by LDDW map_fd index */
  readonly maps: readonly VerifierMap[];
  readonly source: string;
  readonly language: 'c' | 'asm';
}

function header(source: string, key: string): string | undefined {
  return new RegExp(`^// ${key}: (.*)$`, 'm').exec(source)?.[1]?.trim();
}

export function corpusPrograms(): CorpusProgram[] {
  const out: CorpusProgram[] = [];
  for (const kind of ['unsafe', 'safe'] as const) {
    for (const name of readdirSync(join(CORPUS_DIR, kind)).sort()) {
      if (!name.endsWith('.c') && !name.endsWith('.s')) continue;
      const file = join(kind, name);
      const source = readFileSync(join(CORPUS_DIR, file), 'utf8');
      const maps = [...source.matchAll(/^\/\/ map: (\S+) (\d+) (\d+) (\d+) (\d+)$/gm)].map((m) => ({
        name: m[1]!,
        type: Number(m[2]),
        keySize: Number(m[3]),
        valueSize: Number(m[4]),
        maxEntries: Number(m[5]),
        flags: 0,
      }));
      const mem = header(source, 'mem');
      const pc = header(source, 'pc');
      const limit = header(source, 'limit');
      out.push({
        file,
        kind,
        category: header(source, 'category') ?? '?',
        expect: header(source, 'expect') ?? '?',
        ...(pc === undefined ? {} : { pc: Number(pc) }),
        type: header(source, 'type') ?? 'plain',
        ...(mem === undefined ? {} : { mem: Number(mem) }),
        ...(limit === undefined ? {} : { limit: Number(limit) }),
        loops: header(source, 'loops') !== 'no',
        maps,
        source,
        language: name.endsWith('.c') ? 'c' : 'asm',
      });
    }
  }
  return out;
}

/** The multiarch include directory for <asm/types.h> (the host's, as libbpf builds do). */
function multiarchInclude(): string[] {
  try {
    const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    return triple ? ['-I', `/usr/include/${triple}`] : [];
  } catch {
    return [];
  }
}

/** The program's instructions and the verifier options its header asks for. */
export function loadCorpusProgram(p: CorpusProgram, workDir: string): { insns: readonly BpfInsn[]; options: VerifyOptions } {
  const named = parseProgramType(p.type);
  if (!named) throw new Error(`${p.file}: unknown program type ${p.type}`);
  const base: VerifyOptions = {
    programType: programType(named.type),
    ...(named.attach !== undefined ? { attach: named.attach } : {}),
    ...(p.mem !== undefined ? { memSize: p.mem } : {}),
    ...(p.limit !== undefined ? { maxProcessed: p.limit } : {}),
    ...(p.loops ? {} : { allowLoops: false }),
  };
  if (p.language === 'asm') return { insns: assembleLlvm(p.source), options: { ...base, maps: p.maps } };
  const out = join(workDir, p.file.replace(/[/.]/g, '_') + '.o');
  execFileSync(CLANG, ['-target', 'bpf', '-O2', '-g', '-mcpu=v3', ...multiarchInclude(), '-c', join(CORPUS_DIR, p.file), '-o', out], { stdio: 'pipe' });
  const obj = loadBpfObject(new Uint8Array(readFileSync(out)));
  const program = obj.programs[0];
  if (!program) throw new Error(`${p.file}: no program`);
  return { insns: program.insns, options: { ...base, ...objectMaps(obj) } };
}
