/**
 * Set-up: provisions what this host lacks for the package where it is installed, as
 * `a64jit setup` (shipped) and, for a development checkout, `npm run setup` (scripts/setup.mjs,
 * which runs `npm ci` and then these same steps with `checkout: true`).
 *
 * On an arm64 host npm's own install is all there is (the addon's prebuild, koffi's arm64 build):
 * set-up only checks that the runtime loads. On other Linux hosts it provisions the emulation:
 * qemu-user and the arm64 C/C++ runtime (Debian packages, installed when root, otherwise the
 * exact command), an arm64 Node and the arm64 builds of the native dependencies, into the
 * emulation cache (src/runtime/emulation.ts: $A64JIT_CACHE, .arm64/ in a checkout, else
 * ~/.cache/a64jit).
 *
 * May import node:* and src/runtime/emulation.ts (the cache layout's home); nothing that loads
 * the addon or koffi (set-up must run where they do not load yet).
 *
 * A step that some host needs (a tool to build, a file to fetch) is one entry of SETUP_STEPS,
 * in the order it must run.
 */
import { emulationProblems, ensureOverlay, probeArm64, provisionArm64, provisionZig } from './arm64.js';
import { SetupError, setupContext, type ContextOptions, type SetupContext } from './context.js';
import { ensureDebianPackages } from './debian.js';
import { ensureQemuPlugin } from './qemu-plugin.js';

export { SetupError, setupContext, type SetupContext } from './context.js';
export { arm64Packages, emulationProblems, ensureOverlay, probeArm64, ZIG_PACKAGE } from './arm64.js';
export { aptCommand, ensureDebianPackages, wantedDebianPackages } from './debian.js';

export interface SetupStep {
  readonly id: string;
  /** one line for the log */
  readonly title: string;
  readonly applies: (ctx: SetupContext) => boolean;
  /** does the work (or with ctx.check only verifies); throws SetupError with the fix */
  readonly run: (ctx: SetupContext) => void;
}

const emulated = (ctx: SetupContext): boolean => !ctx.nativeArm64;

export const SETUP_STEPS: readonly SetupStep[] = [
  {
    id: 'host',
    title: 'host',
    applies: (ctx) => !ctx.nativeArm64 && ctx.platform !== 'linux',
    run: (ctx) => {
      throw new SetupError(
        `a64jit runs AArch64 code natively on arm64 hosts and under qemu-user on Linux; this is ${ctx.platform}-${ctx.arch}, ` +
          'where neither works. The host-independent parts (assembler, BPF toolkit, interpreter, compiler, listings) need no set-up.',
      );
    },
  },
  { id: 'debian', title: 'Debian packages', applies: (ctx) => ctx.platform === 'linux', run: (ctx) => ensureDebianPackages(ctx) },
  { id: 'arm64', title: 'arm64 Node and arm64 native packages', applies: emulated, run: provisionArm64 },
  {
    id: 'overlay',
    title: 'arm64 native packages in node_modules (vitest under the arm64 Node)',
    applies: (ctx) => emulated(ctx) && ctx.checkout,
    run: (ctx) => {
      if (ctx.check) return;
      if (!ensureOverlay(ctx)) throw new SetupError(`the arm64 packages are missing in ${ctx.layout.packages}`);
    },
  },
  { id: 'qemu-plugin', title: 'qemu instruction-count plugin (exact counts under emulation)', applies: emulated, run: ensureQemuPlugin },
  {
    id: 'zig',
    title: 'zig (the darwin-arm64 prebuild)',
    applies: (ctx) => ctx.checkout && ctx.platform === 'linux' && ctx.arch === 'x64',
    run: provisionZig,
  },
  // bench: the qemu instruction-count plugin (native/qemu-plugin/) is built here.
  {
    id: 'check',
    title: 'arm64 runtime',
    applies: () => true,
    run: (ctx) => {
      const problems = emulationProblems(ctx);
      if (problems.length > 0) throw new SetupError(`${problems.join('\n')}\nrun \`${ctx.setupCommand}\``);
      ctx.log(probeArm64(ctx));
    },
  },
];

export interface SetupResult {
  readonly ctx: SetupContext;
  /** ids of the steps that ran */
  readonly steps: readonly string[];
}

/** Runs every step that applies here, in order. Throws SetupError naming the fix. */
export function runSetup(options: ContextOptions = {}): SetupResult {
  const ctx = setupContext(options);
  const ran: string[] = [];
  ctx.log(`a64jit setup: ${ctx.platform}-${ctx.arch}, package at ${ctx.root}${ctx.nativeArm64 ? '' : `, emulation cache ${ctx.layout.dir}`}${ctx.check ? ' (check only)' : ''}`);
  for (const step of SETUP_STEPS) {
    if (!step.applies(ctx)) continue;
    ctx.log(`== ${step.title}`);
    step.run(ctx);
    ran.push(step.id);
  }
  return { ctx, steps: ran };
}
