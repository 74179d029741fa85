import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elfFunctionSymbol } from '../../src/runtime/elf-symbols.js';
import { insnCountStatus, packageRoot, provisionedArm64Node } from '../../src/runtime/index.js';
import { buildQemuPlugin, insnCountLaunch } from '../../src/runtime/qemu-plugin.js';

// The host side of instruction counting: building the plugin, launching qemu with it, and
// what the API says in a process that cannot count. The counting itself is tested in
// insn-count.native.test.ts, under qemu.
const onX64 = process.arch !== 'arm64';

describe.runIf(onX64)('the qemu instruction-count plugin, from the host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-plugin-'));
  const plugin = join(dir, 'insn-count.so');

  it('builds with the host C compiler against no QEMU headers, once', () => {
    expect(buildQemuPlugin(plugin)).toEqual({ path: plugin, built: true });
    expect(buildQemuPlugin(plugin)).toEqual({ path: plugin, built: false });
    const symbols = execFileSync('nm', ['-D', '--defined-only', plugin], { encoding: 'utf8' });
    expect(symbols).toMatch(/ T qemu_plugin_install\n/);
    expect(symbols).toMatch(/ D qemu_plugin_version\n/);
  });

  it('refuses to start qemu with bad arguments, saying which', () => {
    const node = provisionedArm64Node();
    if (!node) throw new Error('no arm64 Node: run `npm run setup`');
    const start = (args: string) => spawnSync('qemu-aarch64', ['-plugin', `${plugin}${args}`, ...node.args, '-e', '0'], { encoding: 'utf8' });
    const missing = start('');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/missing dir=DIR/);
    const unknown = start(`,dir=${dir},colour=blue`);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown argument 'colour=blue'/);
  });

  it('launches with QEMU_PLUGIN and a counts directory that cleanup removes', () => {
    const launch = insnCountLaunch(plugin);
    expect(launch).toBeDefined();
    expect(launch!.env).toEqual({ QEMU_PLUGIN: `${plugin},dir=${launch!.dir}`, A64JIT_INSN_COUNT_DIR: launch!.dir });
    expect(existsSync(launch!.dir)).toBe(true);
    launch!.cleanup();
    expect(existsSync(launch!.dir)).toBe(false);
    expect(insnCountLaunch(join(dir, 'not-built.so'))).toBeUndefined();
  });

  it('says why counting is unavailable in a process that is not the emulated arm64 one', () => {
    expect(insnCountStatus()).toEqual({ available: false, reason: `instruction counts are taken in the arm64 process under qemu-aarch64; this process is ${process.arch}` });
  });
});

describe('function symbols of a native shared object', () => {
  it('give the same value and size as nm -S, and undefined for what is not a function there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'a64jit-elfsym-'));
    const lib = join(dir, 'count-loops.so');
    const cc = onX64 ? 'aarch64-linux-gnu-gcc' : 'gcc';
    execFileSync(cc, ['-shared', '-fPIC', '-o', lib, join(packageRoot, 'test', 'fixtures', 'natives', 'count-loops.S')]);
    const bytes = new Uint8Array(readFileSync(lib));
    const nm = execFileSync(onX64 ? 'aarch64-linux-gnu-nm' : 'nm', ['-S', lib], { encoding: 'utf8' });
    for (const name of ['count_down', 'sum_to']) {
      const [value, size] = new RegExp(`^([0-9a-f]+) ([0-9a-f]+) T ${name}$`, 'm').exec(nm)!.slice(1);
      expect(elfFunctionSymbol(bytes, name)).toEqual({ name, value: BigInt(`0x${value}`), size: parseInt(size!, 16) });
    }
    expect(elfFunctionSymbol(bytes, 'count')).toBeUndefined();
    expect(elfFunctionSymbol(bytes, 'no_such_function')).toBeUndefined();
    expect(elfFunctionSymbol(bytes.subarray(0, 100), 'sum_to')).toBeUndefined();
    expect(elfFunctionSymbol(new Uint8Array(64), 'sum_to')).toBeUndefined();
  });
});
