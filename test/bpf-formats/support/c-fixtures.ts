import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BpfObject, BpfProgram } from '../../../src/bpf/elf-loader.js';
import { interpret } from '../../../src/bpf/interpreter.js';
import { linkForInterpreter } from '../../../src/bpf/object-linker.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/c/', import.meta.url));
export const CLANG = 'clang-22';
export const CTX_SIZE = 64;

export interface Fixture {
  readonly file: string;
  readonly name: string;
  readonly entries: readonly string[];
}

/** Fixtures and their entry points (the `entries:` line at the top of each file). */
export function fixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.c') && f !== 'host-natives.c')
    .sort()
    .map((file) => {
      const m = /entries:([^*\n]*)/.exec(readFileSync(join(FIXTURE_DIR, file), 'utf8'));
      const entries = (m?.[1] ?? '').trim();
      return { file, name: file.slice(0, -2), entries: entries.startsWith('(') ? [] : entries.split(/\s+/).filter(Boolean) };
    });
}

export const ctxBytes = (): Uint8Array => Uint8Array.from({ length: CTX_SIZE }, (_, i) => (i * 7 + 3) & 0xff);

/** clang -target bpf; returns the object path. */
export function compileBpf(fx: Fixture, mcpu: string, debug: boolean, outDir: string): string {
  const out = join(outDir, `${fx.name}-${mcpu}${debug ? '-g' : ''}.o`);
  execFileSync(CLANG, ['-target', 'bpf', '-O2', `-mcpu=${mcpu}`, ...(debug ? ['-g'] : []), '-I', FIXTURE_DIR, '-c', join(FIXTURE_DIR, fx.file), '-o', out], { stdio: 'pipe' });
  return out;
}

/** The same source for the host with gcc, plus a driver that runs the entry named in argv[1]. */
export function compileHost(fx: Fixture, outDir: string): string {
  const driver = join(outDir, `${fx.name}-driver.c`);
  const exe = join(outDir, `${fx.name}-host`);
  const decls = fx.entries.map((e) => `u64 ${e}(void *ctx);`).join('\n');
  const calls = fx.entries.map((e) => `  if (!strcmp(argv[1], "${e}")) r = ${e}(ctx);`).join('\n');
  execFileSync('sh', ['-c', `cat > "$1"`, 'sh', driver], {
    input: `#include <stdio.h>\n#include <string.h>\n#include "bpf-compat.h"\n${decls}\n` +
      `int main(int argc, char **argv) {\n  u8 ctx[CTX_SIZE];\n  u64 r = 0;\n` +
      `  for (int i = 0; i < CTX_SIZE; i++) ctx[i] = (u8)(i * 7 + 3);\n  if (argc < 2) return 2;\n${calls}\n` +
      `  printf("%llu\\n", (unsigned long long)r);\n  return 0;\n}\n`,
  });
  execFileSync('gcc', ['-O2', '-w', '-I', FIXTURE_DIR, join(FIXTURE_DIR, fx.file), join(FIXTURE_DIR, 'host-natives.c'), driver, '-o', exe], { stdio: 'pipe' });
  return exe;
}

export function runHost(exe: string, entry: string): bigint {
  const r = spawnSync(exe, [entry], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${exe} ${entry} exited ${r.status}: ${r.stderr}`);
  return BigInt(r.stdout.trim());
}

/** The natives of host-natives.c, for CALL src 2 (bound to the object's externs by name). */
const NATIVES: Record<string, (a: readonly bigint[]) => bigint> = {
  native_mix: ([a, b, c]) => BigInt.asUintN(64, (a! * 31n + b! * 7n) ^ (c! << 3n) ^ (a! >> 5n)),
  native_twice: ([a]) => BigInt.asUintN(64, a! * 2n + 1n),
};
const ARITY: Record<string, number> = { native_mix: 3, native_twice: 1 };

/**
 * Run a loaded program in the reference interpreter, linked by src/bpf/object-linker.ts:
 * each global data image gets a fresh copy mapped in memory, LDDW src 2 resolves to its
 * address + offset, pointers stored inside data are patched, externs bind to natives by name.
 */
export function runInInterpreter(obj: BpfObject, program: BpfProgram): bigint {
  const natives = new Map(Object.entries(NATIVES).map(([name, fn]) => [name, { arity: ARITY[name]!, call: (args: readonly bigint[]) => fn(args) }]));
  const link = linkForInterpreter(obj, program, { natives });
  const result = interpret(program.insns, { mem: ctxBytes(), memory: link.memory, natives: link.natives, resolvePseudo: link.resolvePseudo });
  return result.value;
}
