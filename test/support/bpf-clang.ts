import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * clang-22 -target bpf for tests, with the include paths a BPF program needs on Debian:
 * linux/bpf.h includes asm/types.h, which lives in the multiarch directory of the host
 * (/usr/include/x86_64-linux-gnu or /usr/include/aarch64-linux-gnu); libbpf's headers are in
 * /usr/include/bpf (libbpf-dev). A missing tool fails loudly: CI has every one.
 */
export const CLANG = 'clang-22';

let cachedIncludes: string[] | undefined;
export function bpfIncludeFlags(): string[] {
  if (cachedIncludes) return cachedIncludes;
  const candidates = [`/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu'];
  const dir = candidates.find((d) => existsSync(join(d, 'asm', 'types.h')));
  if (dir === undefined) throw new Error(`no asm/types.h in ${candidates.join(', ')}: install linux-libc-dev (npm run setup)`);
  cachedIncludes = ['-I', dir];
  return cachedIncludes;
}

/** Compile C source text to a BPF object; returns its bytes. */
export function compileBpfSource(source: string, options: { readonly flags?: readonly string[]; readonly name?: string; readonly includes?: readonly string[] } = {}): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-clang-'));
  const src = join(dir, `${options.name ?? 'prog'}.c`);
  const out = join(dir, `${options.name ?? 'prog'}.o`);
  writeFileSync(src, source);
  const includes = (options.includes ?? []).flatMap((i) => ['-I', i]);
  try {
    execFileSync(CLANG, ['-target', 'bpf', '-O2', '-g', ...includes, ...bpfIncludeFlags(), ...(options.flags ?? []), '-c', src, '-o', out], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; code?: string };
    if (err.code === 'ENOENT') throw new Error(`${CLANG} is not installed: run npm run setup (CI has it)`);
    throw new Error(`${CLANG} failed on ${src}:\n${err.stderr?.toString() ?? String(e)}`);
  }
  const bytes = new Uint8Array(readFileSync(out));
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}
