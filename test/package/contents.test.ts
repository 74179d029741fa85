import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/runtime/index.js';

/**
 * What `npm pack` puts in the tarball: the public API and what it needs, nothing else. Read
 * from npm itself (a dry run), so the package.json "files" rules are what is tested.
 */
if (!existsSync(join(packageRoot, 'dist', 'index.js'))) throw new Error('dist/ is missing: run the tests through `npm test`, which compiles first');

const pack = spawnSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: packageRoot, encoding: 'utf8' });
if (pack.status !== 0) throw new Error(`npm pack --dry-run failed: ${pack.stderr}`);
const files = new Set((JSON.parse(pack.stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path));
const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
  license: string;
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  dependencies: Record<string, string>;
};

/** Entry points: every exports target and the bin. */
const entries = [
  ...Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : [e.default, e.types])),
  ...Object.values(manifest.bin),
].map((p) => normalize(p));

/** dist/ .js files reachable from the entries through relative static and dynamic imports. */
function reachable(): Set<string> {
  const seen = new Set<string>();
  const queue = entries.filter((e) => e.endsWith('.js'));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(packageRoot, file), 'utf8');
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      queue.push(normalize(join(dirname(file), m[1]!)));
    }
  }
  return seen;
}

describe('the package tarball', () => {
  it('has the MIT LICENSE that package.json names', () => {
    expect(manifest.license).toBe('MIT');
    expect(files.has('LICENSE')).toBe(true);
    expect(readFileSync(join(packageRoot, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('ships no source maps and no sources (the maps would point at files that are not there)', () => {
    expect([...files].filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('ships every entry point and everything they import', () => {
    const missing = [...entries, ...reachable()].filter((f) => !files.has(f));
    expect(missing, 'imported by the public API but left out of the tarball').toEqual([]);
  });

  it('keeps code that is not part of the API out: the fuzz generators and harnesses', () => {
    const nonApi = [...files].filter((f) => /^dist\/(bpf\/program-generator\.|jit\/fuzz\/)/.test(f));
    expect(nonApi).toEqual([]);
  });

  it('every dist/ module in the tarball is reachable from an entry point (or excluded in package.json "files")', () => {
    const used = reachable();
    // Only modules that still have a source (a checkout's dist/ may hold stale files).
    const stray = [...files].filter((f) => f.startsWith('dist/') && f.endsWith('.js') && existsSync(join(packageRoot, 'src', f.slice(5).replace(/\.js$/, '.ts'))) && !used.has(f));
    expect(stray, 'not reachable from exports or bin: exclude it with a "!dist/..." line in package.json "files"').toEqual([]);
  });

  it('every native/*.cc is built by both build descriptions (binding.gyp: prebuilds; CMakeLists.txt: source builds)', () => {
    const sources = readdirSync(join(packageRoot, 'native')).filter((f) => f.endsWith('.cc')).map((f) => `native/${f}`);
    const gyp = (JSON.parse(readFileSync(join(packageRoot, 'binding.gyp'), 'utf8')) as { targets: { sources: string[] }[] }).targets[0]!.sources;
    const cmake = readFileSync(join(packageRoot, 'CMakeLists.txt'), 'utf8');
    expect(sources.filter((f) => !gyp.includes(f)), 'missing from binding.gyp "sources"').toEqual([]);
    expect(sources.filter((f) => !cmake.includes(f)), 'missing from CMakeLists.txt add_library').toEqual([]);
    for (const f of sources) expect(files.has(f), f).toBe(true);
  });

  it('has prebuilds for linux-x64, linux-arm64 and darwin-arm64, the native sources for a source build, and no build tools as dependencies', () => {
    for (const f of ['prebuilds/linux-x64/a64jit.node', 'prebuilds/linux-arm64/a64jit.node', 'prebuilds/darwin-arm64/a64jit.node', 'native/a64jit.cc', 'CMakeLists.txt', 'binding.gyp', 'scripts/install-native.mjs']) {
      expect(files.has(f), f).toBe(true);
    }
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['koffi', 'node-addon-api', 'node-gyp-build']);
  });
});
