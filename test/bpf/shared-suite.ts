import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the shared bpf_conformance suite is: $A64JIT_SHARED (a directory containing
 * `bpf-conformance/`) or `../shared` next to the repository. Tests that need it skip, loudly,
 * when it is absent; CI always has it.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = process.env.A64JIT_SHARED ?? join(repoRoot, '..', 'shared');
export const conformanceDir = join(sharedDir, 'bpf-conformance');
export const suiteTestsDir = join(conformanceDir, 'tests');
export const suiteNegativeDir = join(conformanceDir, 'negative');
export const haveSuite = existsSync(suiteTestsDir) && existsSync(suiteNegativeDir);

export function warnIfNoSuite(what: string): void {
  if (!haveSuite) {
    console.warn(
      `\n*** SKIPPING ${what}: the bpf_conformance suite is not at ${conformanceDir} ***\n` +
        '*** set A64JIT_SHARED to a directory containing bpf-conformance/ (CI always has it) ***\n',
    );
  }
}
