import { emulationCacheDir, emulationLayout, setupCommandLine, type EmulationLayout } from '../runtime/emulation.js';
import { packageRoot } from '../runtime/addon.js';

/** Set-up cannot go on: the message says what is missing and the exact command that fixes it. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

/** What every set-up step sees. */
export interface SetupContext {
  /** the package being set up (an installed node_modules/a64jit, or a checkout) */
  readonly root: string;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** arm64 hosts run JIT code natively and need no emulation */
  readonly nativeArm64: boolean;
  /** a development checkout: also its oracles, dev packages and the vitest overlay */
  readonly checkout: boolean;
  /** report what is missing, change nothing */
  readonly check: boolean;
  readonly layout: EmulationLayout;
  /** how the user re-runs set-up here ('npx a64jit setup' or 'npm run setup') */
  readonly setupCommand: string;
  log(text: string): void;
}

export interface ContextOptions {
  readonly root?: string;
  readonly checkout?: boolean;
  readonly check?: boolean;
  readonly log?: (text: string) => void;
}

export function setupContext(options: ContextOptions = {}): SetupContext {
  const root = options.root ?? packageRoot;
  return {
    root,
    platform: process.platform,
    arch: process.arch,
    nativeArm64: process.arch === 'arm64',
    checkout: options.checkout ?? false,
    check: options.check ?? false,
    layout: emulationLayout(emulationCacheDir(root)),
    setupCommand: setupCommandLine(root),
    log: options.log ?? ((text) => console.log(text)),
  };
}
