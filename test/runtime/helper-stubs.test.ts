import { describe, expect, it } from 'vitest';
import { HELPER_STUBS, helperStubCode } from '../../src/runtime/helper-dispatch.js';
import { LLVM_MC, hasTool, llvmMcEncode, wordHex } from '../arm64/llvm-oracle.js';

/** The hand-encoded helper stubs (helper-dispatch.ts) against llvm-mc-22's encodings. */
const have = hasTool(LLVM_MC);
if (!have) console.warn(`helper-stubs.test.ts: ${LLVM_MC} is missing; the helper stub encodings are NOT checked (npm run setup installs it)`);

describe.skipIf(!have)('helper stubs', () => {
  it('each stub puts its id in x5 and goes to the common tail, which adds x27 and x30 and jumps to the dispatcher', () => {
    const code = helperStubCode(0x1122_3344_5566_7788n);
    const view = new DataView(code.buffer);
    const word = (offset: number) => wordHex(view.getUint32(offset, true));
    const common = 8 * HELPER_STUBS;
    for (const id of [0, 1, 5, 1023]) {
      expect([word(8 * id), word(8 * id + 4)], `stub ${id}`).toEqual(llvmMcEncode([`movz x5, #${id}`, `b #${common - (8 * id + 4)}`]));
    }
    expect([0, 4, 8, 12].map((o) => word(common + o))).toEqual(llvmMcEncode(['mov x6, x27', 'mov x7, x30', 'ldr x16, #8', 'br x16']));
    expect(view.getBigUint64(common + 16, true)).toBe(0x1122_3344_5566_7788n);
    expect(code.length).toBe(common + 24);
  });
});
