import { spawnSync } from 'node:child_process';
import { SetupError, type SetupContext } from './context.js';

/**
 * Debian/Ubuntu packages, as tables. What a non-arm64 host needs to run the package's JIT
 * code at all (qemu-user, the arm64 C and C++ runtime the arm64 Node links against), and what
 * only a development checkout needs on top (the cross compiler for the prebuilds, the LLVM
 * oracles, the BPF compiler and libbpf's headers for the C fixtures).
 */
export const EMULATION_PACKAGES = ['qemu-user', 'libc6-arm64-cross', 'libstdc++6-arm64-cross'] as const;
export const CHECKOUT_PACKAGES_X64 = ['g++-aarch64-linux-gnu', 'llvm-22', 'clang-22', 'libbpf-dev'] as const;
export const CHECKOUT_PACKAGES_ARM64 = ['llvm-22', 'clang-22', 'libbpf-dev', 'gcc'] as const;

export function wantedDebianPackages(ctx: SetupContext): string[] {
  if (ctx.platform !== 'linux') return [];
  const base = ctx.nativeArm64 ? [] : [...EMULATION_PACKAGES];
  if (!ctx.checkout) return base;
  return [...base, ...(ctx.nativeArm64 ? CHECKOUT_PACKAGES_ARM64 : CHECKOUT_PACKAGES_X64)];
}

export function installed(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.stdout?.includes('install ok installed') === true;
}

/** The exact command that installs `packages`, as root. */
export function aptCommand(packages: readonly string[]): string {
  return `apt-get update && apt-get install -y ${packages.join(' ')}`;
}

/**
 * Installs the missing packages when running as root; otherwise stops with the exact command
 * (nothing the later steps do works without them).
 */
export function ensureDebianPackages(ctx: SetupContext, wanted: readonly string[] = wantedDebianPackages(ctx), uid: number | undefined = process.getuid?.()): void {
  const missing = wanted.filter((p) => !installed(p));
  if (missing.length === 0) {
    ctx.log(wanted.length === 0 ? 'no Debian packages needed' : `Debian packages present: ${wanted.join(' ')}`);
    return;
  }
  const command = aptCommand(missing);
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new SetupError(`these Debian packages are needed and apt-get is not available: ${missing.join(', ')}`);
  }
  if (ctx.check) throw new SetupError(`missing Debian packages: ${missing.join(' ')} (install as root: ${command})`);
  if (uid !== 0) {
    throw new SetupError(`these Debian packages are missing; as root run:\n  sudo sh -c '${command}'\nthen run \`${ctx.setupCommand}\` again`);
  }
  ctx.log(`installing Debian packages: ${missing.join(' ')}`);
  const r = spawnSync('sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) throw new SetupError(`\`${command}\` failed (exit ${r.status ?? r.signal})`);
}
