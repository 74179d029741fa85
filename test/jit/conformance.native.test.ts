import { describe, expect, it } from 'vitest';
import { collectConformanceFiles, runConformanceFile, type BpfExecutor } from '../../src/bpf/index.js';
import { JitProgram, type JitOptions } from '../../src/jit/index.js';
import { haveSuite, suiteNegativeDir, suiteTestsDir, warnIfNoSuite } from '../bpf/shared-suite.js';

/** The bpf_conformance suite through the JIT, in each code-generation mode. */
const modes: Record<string, Pick<JitOptions, 'atomics' | 'blind'>> = {
  'host atomics (LSE where present)': { atomics: 'auto' },
  'LL/SC atomics forced': { atomics: 'llsc' },
  'constant blinding': { blind: { seed: 0x5eed } },
};

function executor(options: Pick<JitOptions, 'atomics' | 'blind'>): BpfExecutor {
  return (program, mem, helpers) => {
    const jit = JitProgram.compile(program, { ...options, helpers });
    try {
      return jit.run(mem ? Buffer.from(mem) : null);
    } finally {
      jit.free();
    }
  };
}

warnIfNoSuite('the JIT conformance run');

describe.skipIf(!haveSuite)('bpf_conformance through the JIT', () => {
  for (const [mode, options] of Object.entries(modes)) {
    it(`${mode}: every test passes`, async () => {
      const files = collectConformanceFiles([suiteTestsDir]);
      expect(files.length).toBe(313);
      const failures: string[] = [];
      for (const file of files) {
        const outcome = await runConformanceFile(file, executor(options));
        if (!outcome.passed) failures.push(`${outcome.name}: ${outcome.message}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('reports every negative case as a failure, without crashing', async () => {
    const files = collectConformanceFiles([suiteNegativeDir]);
    expect(files.length).toBe(60);
    for (const file of files) {
      const outcome = await runConformanceFile(file, executor({ atomics: 'auto' }));
      expect(outcome.passed, outcome.name).toBe(false);
      expect(outcome.message.length, outcome.name).toBeGreaterThan(0);
    }
  });
});
