import { describe, expect, it } from 'vitest';
import { assembleUbpf, interpret } from '../../src/bpf/index.js';
import { JitProgram, compileProgram } from '../../src/jit/index.js';
import { WrongHostError, loadFunction, requireArm64Host, setupCommandLine } from '../../src/runtime/index.js';

/**
 * The wrong host (issue 10, point 6): on a non-arm64 Node, importing, compiling, listing and
 * interpreting work; calling generated code throws a WrongHostError naming the host and how
 * to run under emulation, instead of executing AArch64 bytes as x86 code.
 */
const PROGRAM = assembleUbpf('ldxb %r0, [%r1+2]\nadd %r0, 40\nexit');

describe('the wrong host', () => {
  it('the guard names the host and the way to emulation', () => {
    const e = (() => {
      try {
        requireArm64Host('x64');
      } catch (err) {
        return err as WrongHostError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(WrongHostError);
    expect(e.arch).toBe('x64');
    expect(e.message).toMatch(new RegExp(`on this ${process.platform}-x64 host`));
    expect(e.message).toMatch(/JIT code runs only on arm64/);
    // the set-up command that exists where the package is (a checkout: npm run setup)
    expect(e.message).toMatch(/`(npm run setup|npx a64jit setup)` provisions qemu-aarch64 and an arm64 Node/);
    expect(e.message).toMatch(/`npx a64jit node app\.mjs` runs your app\.mjs in that Node under qemu-aarch64/);
    expect(e.message).toContain(`\`${setupCommandLine()}\``);
    expect(() => requireArm64Host('arm64')).not.toThrow();
  });

  it(`on this ${process.arch} host: compiling, listing and interpreting work, calls ${process.arch === 'arm64' ? 'run' : 'throw WrongHostError'}`, () => {
    expect(interpret(PROGRAM, { mem: Uint8Array.from([0, 0, 2]) }).value).toBe(42n);
    expect(compileProgram(PROGRAM, { contextAddress: 0n, helperIds: new Set(), atomics: 'llsc' }).code.length).toBeGreaterThan(0);
    const prog = JitProgram.compile(PROGRAM);
    expect(prog.formatListing()).toMatch(/ldrb/);
    const add = loadFunction(new Uint8Array([0x00, 0x00, 0x01, 0x8b, 0xc0, 0x03, 0x5f, 0xd6]), 'int64_t (int64_t, int64_t)');
    if (process.arch === 'arm64') {
      expect(prog.run(Uint8Array.from([0, 0, 2]))).toBe(42n);
      expect(add.call(40n, 2n)).toBe(42n);
    } else {
      expect(() => prog.run(Uint8Array.from([0, 0, 2]))).toThrow(WrongHostError);
      expect(() => add.call(40n, 2n)).toThrow(WrongHostError);
    }
    add.free();
    prog.free();
  });
});
