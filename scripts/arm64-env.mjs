// The development checkout's view of the arm64 side, for the test, bench and fuzz runners.
// Everything here comes from the package's set-up code (src/setup/, src/runtime/emulation.ts,
// compiled to dist/ by `npm ci` / `npm run compile`): one layout, one home. In a checkout the
// emulation cache is .arm64/ unless $A64JIT_CACHE moves it.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const nativeArm64 = process.arch === 'arm64';

async function load(file) {
  try {
    return await import(pathToFileURL(join(root, 'dist', file)).href);
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    console.error(`a64jit: dist/${file} is missing; run \`npm run setup\` (or \`npm run compile\`) first`);
    process.exit(1);
  }
}

const emulation = await load('runtime/emulation.js');
const setup = await load('setup/index.js');

export const { QEMU, LD_PREFIX } = emulation;

/** The set-up context of this checkout (checkout extras on). */
export const checkoutContext = (options = {}) => setup.setupContext({ checkout: true, root, ...options });

/** What is missing for the emulated suite, as sentences; empty when all is in place. */
export const emulationProblems = () => setup.emulationProblems(checkoutContext());

/** The arm64 packages copied into node_modules (vitest's bundler needs its binding there). */
export const ensureOverlay = () => nativeArm64 || setup.ensureOverlay(checkoutContext());

/** The command line that starts the arm64 Node: natively, or under qemu-user. */
export function arm64NodeCommand() {
  if (nativeArm64) return { command: process.execPath, args: [], env: {} };
  const node = emulation.provisionedArm64Node(checkoutContext().layout);
  if (!node) throw new Error(`no arm64 Node is set up in ${checkoutContext().layout.dir}; run \`npm run setup\``);
  return node;
}
