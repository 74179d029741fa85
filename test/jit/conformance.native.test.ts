import { describe, expect, it } from 'vitest';
import { CONFORMANCE_HELPER_PROTOS, collectConformanceFiles, runConformanceFile, type BpfExecutor } from '../../src/bpf/index.js';
import { JitProgram, type JitOptions } from '../../src/jit/index.js';
import { haveSuite, suiteNegativeDir, suiteTestsDir, warnIfNoSuite } from '../bpf/shared-suite.js';

/**
 * The bpf_conformance suite through the JIT, in each code-generation mode: the three with the
 * optimization tier (the default), where every program must really have been optimized, the
 * 1:1 path (-O0), which programs the tier declines still use, and the sandbox (1:1: the tier
 * does not implement its checks), where no correct program may trip a check.
 */
type Mode = Pick<JitOptions, 'atomics' | 'blind' | 'optimize' | 'sandbox' | 'sandboxAnalysis'>;
const modes: Record<string, Mode> = {
  'host atomics (LSE where present), optimized': { atomics: 'auto' },
  'LL/SC atomics forced, optimized': { atomics: 'llsc' },
  'constant blinding, optimized': { blind: { seed: 0x5eed } },
  '-O0 (the 1:1 path), host atomics': { atomics: 'auto', optimize: false },
  'sandbox (every access checked)': { atomics: 'auto', sandbox: true, sandboxAnalysis: false },
};

/** Programs the executor compiled 1:1 although optimization was on, with the reason. */
const declined: string[] = [];

function executor(options: Mode): BpfExecutor {
  return (program, mem, helpers) => {
    // the suite's helper 5 is not Linux's: the verifier gets its prototype. The sandbox is for
    // unverified code (it implies verify: false) and compiles 1:1, saying why.
    const sandbox = options.sandbox === true;
    const jit = JitProgram.compile(program, { ...options, helpers, ...(sandbox ? {} : { verify: { helpers: CONFORMANCE_HELPER_PROTOS } }) });
    if (sandbox) {
      if (jit.compiled.unoptimized === undefined || jit.compiled.budget === undefined || !jit.compiled.sandbox) declined.push('sandbox mode: not 1:1 with budget and checks');
    } else {
      if (jit.compiled.unoptimized !== undefined) declined.push(jit.compiled.unoptimized);
      if (options.optimize !== false && jit.compiled.optimizer === undefined && jit.compiled.unoptimized === undefined) declined.push('not optimized');
    }
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
      declined.length = 0;
      for (const file of files) {
        const outcome = await runConformanceFile(file, executor(options));
        if (!outcome.passed) failures.push(`${outcome.name}: ${outcome.message}`);
      }
      expect(failures).toEqual([]);
      // the tier compiles every conformance program (none needs the 1:1 fallback)
      expect(declined).toEqual([]);
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
