import { describe, expect, it } from 'vitest';
import { assembleLlvm } from '../../src/bpf/index.js';
import { BpfVerifierError } from '../../src/bpf/verifier/index.js';
import { objectFromInstructions, type OpenOptions } from '../../src/object/index.js';
import { caught } from '../support/caught.js';

/**
 * OpenOptions.allowLoops: false refuses every back-edge, as the kernel does for programs
 * loaded without CAP_BPF, in verification and in the sandbox's analysis alike.
 */
const LOOP = assembleLlvm(['r0 = 0', 'r1 = 0', 'LBB0_1:', 'r1 += 1', 'if r1 < 4 goto LBB0_1', 'r0 = r1', 'exit'].join('\n'));

function run(options: OpenOptions): bigint {
  const obj = objectFromInstructions(LOOP, options);
  try {
    return obj.program('prog').testRun({ engine: 'interpreter', dataIn: new Uint8Array(8) }).retval;
  } finally {
    obj.close();
  }
}

describe('OpenOptions.allowLoops', () => {
  it('a bounded loop is proven by default, verified or under the sandbox', () => {
    expect(run({})).toBe(4n);
    expect(run({ sandbox: true })).toBe(4n);
  });

  it('false: the back-edge is refused before the program runs, by the verifier and by the sandbox', () => {
    for (const options of [{ allowLoops: false }, { allowLoops: false, sandbox: true }] satisfies OpenOptions[]) {
      const e = caught(() => run(options)) as BpfVerifierError;
      expect(e, JSON.stringify(options)).toBeInstanceOf(BpfVerifierError);
      expect(e.message).toMatch(/back-edge from insn 3 to 2/);
    }
    // trusted code is not verified at all: the policy is the verifier's
    expect(run({ allowLoops: false, verify: false })).toBe(4n);
  });
});
