import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/runtime/index.js';

/**
 * prebuilds/darwin-arm64/a64jit.node is cross-built on Linux with zig (scripts/prebuild.mjs) and
 * has NOT run on Apple hardware. What can be checked here, is: it is an arm64 Mach-O dylib for
 * macOS 11+, ad-hoc signed (arm64 macOS runs no unsigned code), exporting Node-API's module
 * entry points; every symbol it imports is either an N-API function that Node declares (bound
 * by flat lookup at load, as node-gyp builds do) or was resolved against libSystem at link time
 * (zig links against Apple's libSystem symbol list), including the macOS JIT calls. Whether the
 * file equals a fresh build of native/ is `npm run prebuild -- --check` (CI).
 */
const FILE = join(packageRoot, 'prebuilds', 'darwin-arm64', 'a64jit.node');
const OBJDUMP = 'llvm-objdump-22';
const NM = 'llvm-nm-22';
const have = [OBJDUMP, NM].every((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status === 0);
if (!have) console.warn(`darwin-prebuild.test.ts: ${OBJDUMP}/${NM} missing; the darwin-arm64 prebuild is NOT checked (npm run setup installs llvm-22)`);

function tool(command: string, args: string[]): string {
  const r = spawnSync(command, [...args, FILE], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Every function Node-API declares, from the headers of the Node running the tests. */
function napiDeclarations(): Set<string> {
  const include = join(dirname(process.execPath), '..', 'include', 'node');
  const text = ['js_native_api.h', 'node_api.h'].map((h) => readFileSync(join(include, h), 'utf8')).join('\n');
  return new Set([...text.matchAll(/\b(napi_\w+|node_api_\w+)\s*\(/g)].map((m) => `_${m[1]}`));
}

describe.skipIf(!have)('prebuilds/darwin-arm64/a64jit.node (cross-built, not run on hardware)', () => {
  it('is a 64-bit arm64 Mach-O dylib', () => {
    const b = readFileSync(FILE);
    expect(b.readUInt32LE(0)).toBe(0xfeedfacf); // MH_MAGIC_64
    expect(b.readUInt32LE(4)).toBe(0x0100000c); // CPU_TYPE_ARM64
    expect(b.readUInt32LE(12)).toBe(6); // MH_DYLIB
  });

  it('targets macOS 11, is code-signed, and loads only libSystem', () => {
    const headers = tool(OBJDUMP, ['--macho', '--private-headers']);
    expect(headers).toMatch(/cmd LC_BUILD_VERSION\n\s+cmdsize \d+\n\s+platform macos\n\s+sdk [\d.]+\n\s+minos 11\.0/);
    expect(headers).toContain('cmd LC_CODE_SIGNATURE');
    expect([...headers.matchAll(/cmd LC_LOAD_DYLIB\n\s+cmdsize \d+\n\s+name (\S+)/g)].map((m) => m[1])).toEqual(['/usr/lib/libSystem.B.dylib']);
    expect(headers).toMatch(/cmd LC_ID_DYLIB\n\s+cmdsize \d+\n\s+name a64jit\.node /);
  });

  it("exports Node-API's module entry points", () => {
    const exported = tool(NM, ['-gU']).split('\n').map((l) => l.split(' ').at(-1));
    expect(exported).toContain('_napi_register_module_v1');
    expect(exported).toContain('_node_api_module_get_api_version_v1');
  });

  it('imports only declared N-API functions (flat lookup) and libSystem symbols (link-checked), the macOS JIT calls among them', () => {
    const binds = tool(OBJDUMP, ['--macho', '--bind', '--lazy-bind', '--weak-bind']);
    const imports = new Map<string, string>();
    for (const line of binds.split('\n')) {
      const m = /\s(\S+)\s+(_\w+)$/.exec(line.trim());
      if (m && /^(__DATA|__DATA_CONST)/.test(line.trim())) imports.set(m[2]!, m[1]!);
    }
    expect(imports.size).toBeGreaterThan(20);
    const napi = napiDeclarations();
    const flat = [...imports].filter(([, from]) => from === 'flat-namespace').map(([name]) => name);
    expect(flat.length).toBeGreaterThan(10);
    expect(flat.filter((name) => !napi.has(name)), 'resolved by flat lookup but not an N-API function Node declares').toEqual([]);
    expect([...imports].filter(([, from]) => from !== 'flat-namespace' && from !== 'libSystem'), 'bound to a library other than libSystem').toEqual([]);
    for (const name of ['_pthread_jit_write_protect_np', '_sys_icache_invalidate', '_sysctlbyname', '_mmap', '_munmap']) {
      expect(imports.get(name), name).toBe('libSystem');
    }
  });
});
