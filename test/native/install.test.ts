import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/runtime/index.js';

/**
 * The npm install step (scripts/install-native.mjs) uses a shipped prebuild when one loads here,
 * and builds native/ with cmake-js only when none fits. Both paths, in scratch copies of the
 * package that share this checkout's node_modules.
 */
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copyPackage(withPrebuilds: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-install-'));
  scratch.push(dir);
  for (const name of ['package.json', 'CMakeLists.txt', 'binding.gyp', 'native', 'scripts', ...(withPrebuilds ? ['prebuilds'] : [])]) {
    cpSync(join(packageRoot, name), join(dir, name), { recursive: true });
  }
  symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const install = (dir: string) => spawnSync(process.execPath, [join(dir, 'scripts', 'install-native.mjs')], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
const hostFacts = (dir: string) =>
  spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require('node-gyp-build')(${JSON.stringify(dir)}).hostInfo()))`], {
    cwd: dir,
    encoding: 'utf8',
  });

describe('installing the native addon', () => {
  it('uses the prebuild for this platform and builds nothing', () => {
    const dir = copyPackage(true);
    const r = install(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`using prebuild prebuilds/${process.platform}-${process.arch}/a64jit.node`);
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });

  it('builds native/ with cmake-js when no prebuild fits, and the build loads', () => {
    const dir = copyPackage(false);
    const r = install(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('no prebuild for');
    expect(existsSync(join(dir, 'build', 'Release', 'a64jit.node'))).toBe(true);
    const facts = hostFacts(dir);
    expect(facts.status, facts.stderr).toBe(0);
    expect(JSON.parse(facts.stdout)).toMatchObject({ os: process.platform === 'darwin' ? 'darwin' : 'linux', arch: process.arch });
  });
});
