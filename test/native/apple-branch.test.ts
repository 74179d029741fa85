import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/runtime/index.js';

/**
 * The addon's macOS arm64 branch (MAP_JIT, pthread_jit_write_protect_np, sys_icache_invalidate,
 * sysctl FEAT_LSE; the fault handler's ucontext access) cannot be built or run here. This
 * type-checks it: the arm64 cross compiler with __APPLE__ defined instead of __linux__, against
 * stub declarations of those Apple APIs (test/native/apple-stubs). It catches typos and wrong
 * signatures in that branch, nothing more.
 */
const CXX = 'aarch64-linux-gnu-g++';
const have = spawnSync(CXX, ['--version'], { stdio: 'ignore' }).status === 0;
if (!have) console.warn(`apple-branch.test.ts: ${CXX} is missing; the macOS branch is NOT checked (npm run setup installs it)`);

describe.skipIf(!have)('native/*.cc, macOS arm64 branch', () => {
  it.each(['a64jit.cc', 'maps.cc', 'output-maps.cc', 'helpers.cc', 'fault.cc'])('%s type-checks with __APPLE__ and the Apple API declarations', (file) => {
    const stubs = join(packageRoot, 'test', 'native', 'apple-stubs');
    const addonApi = createRequire(join(packageRoot, 'package.json'))('node-addon-api').include_dir as string;
    const r = spawnSync(
      CXX,
      [
        '-fsyntax-only',
        '-std=c++17',
        '-Wall',
        '-Werror',
        '-U__linux__',
        '-D__APPLE__',
        '-DNAPI_DISABLE_CPP_EXCEPTIONS',
        '-include',
        join(stubs, 'apple-prelude.h'),
        '-I',
        stubs,
        '-I',
        join(packageRoot, addonApi),
        '-I',
        join(packageRoot, 'node_modules', 'node-api-headers', 'include'),
        join(packageRoot, 'native', file),
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
