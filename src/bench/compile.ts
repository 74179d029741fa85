import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The C compilers a benchmark uses: clang-22 for BPF (`-target bpf -O2`, as the corpus is
 * built), and the host's arm64 C compiler at -O2 for the native references (on an x86_64 host
 * the cross compilers: aarch64-linux-gnu-gcc, clang-22 --target=aarch64-linux-gnu).
 */

export class BenchCompileError extends Error {
  override readonly name = 'BenchCompileError';
}

export const BPF_CLANG = 'clang-22';

export type NativeCompiler = 'gcc' | 'clang';

/** The command line that builds `source` into a shared library for this arm64 process. */
export function nativeCommand(compiler: NativeCompiler, source: string, out: string, hostArch: string = process.arch): { command: string; args: string[]; label: string } {
  const common = ['-O2', '-shared', '-fPIC', '-I', dirname(source), '-o', out, source];
  // This process is arm64 (natively, or under qemu on an x86_64 host): on a non-arm64 host
  // machine the host's compilers are cross compilers.
  const crossHost = hostArch === 'arm64' && process.env.A64JIT_EMULATOR !== undefined;
  if (compiler === 'gcc') {
    const command = crossHost ? 'aarch64-linux-gnu-gcc' : 'gcc';
    return { command, args: common, label: `${command} -O2` };
  }
  return { command: BPF_CLANG, args: crossHost || process.platform === 'linux' ? ['--target=aarch64-linux-gnu', ...common] : common, label: `${BPF_CLANG} -O2` };
}

function run(command: string, args: readonly string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) throw new BenchCompileError(`${what}: cannot run ${command}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : r.error.message}`);
  if (r.status !== 0) throw new BenchCompileError(`${what}: ${command} failed (exit ${r.status}):\n${`${r.stdout}${r.stderr}`.trim()}`);
}

/**
 * linux/bpf.h includes asm/types.h, which Debian keeps in the host's multiarch directory
 * (/usr/include/x86_64-linux-gnu or aarch64-linux-gnu): BPF programs need it on the path.
 */
function multiarchInclude(): string[] {
  const dir = ['aarch64', 'x86_64'].map((a) => `/usr/include/${a}-linux-gnu`).find((d) => existsSync(join(d, 'asm', 'types.h')));
  return dir === undefined ? [] : ['-I', dir];
}

/** C -> BPF object, `clang-22 -target bpf -O2 -g -c` (-g: the BTF that .maps definitions need). */
export function compileBpf(source: string, out: string): void {
  run(BPF_CLANG, ['-target', 'bpf', '-O2', '-g', '-I', dirname(source), ...multiarchInclude(), '-c', source, '-o', out], `${source}: compiling to BPF`);
}

/** C -> arm64 shared library at -O2; returns how it was built, for reports. */
export function compileNative(source: string, out: string, compiler: NativeCompiler): string {
  const c = nativeCommand(compiler, source, out);
  run(c.command, c.args, `${source}: compiling natively`);
  return c.label;
}
