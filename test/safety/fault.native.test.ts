import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Assembler, Cond, SP, X0, X1, X10, X11, X16, X2, X29, X30, X9, cmpReg, cset, ldp, mov, orrReg, postIndex, preIndex, ret, stp, subImm, xreg, blr } from '../../src/arm64/index.js';
import { assembleUbpf, type HelperFn } from '../../src/bpf/index.js';
import { BpfFaultError, JitProgram, JitRuntimeError } from '../../src/jit/index.js';
import { NativeFunction, faultState, loadFunction, packageRoot, sameArchNode } from '../../src/runtime/index.js';
import { caught } from '../support/caught.js';

/**
 * Fault containment (issue 10, point 5): a SIGSEGV/SIGBUS in JIT code becomes a BpfFaultError
 * naming the BPF pc, the address and the access, the program is unwound to its entry frame
 * and the process goes on. Faults elsewhere go to the handler that was there before.
 */
function child(args: string[], nodeFlags: string[] = []) {
  if (!existsSync(join(packageRoot, 'dist', 'jit', 'index.js'))) throw new Error('dist/ is missing: run the tests through `npm test`, which compiles first');
  const node = sameArchNode();
  return spawnSync(node.command, [...node.args, ...nodeFlags, join(packageRoot, 'test', 'safety', 'fault-child.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...node.env },
    timeout: 900_000,
  });
}

describe('fault containment in this process', () => {
  it('the handler is installed, and this thread has an alternate signal stack', () => {
    const s = faultState();
    expect(s.installed).toBe(true);
    expect(s.altStack).toBe(true);
  });

  it('a wild read and a wild write become BpfFaultErrors with the BPF pc, the address and the access', () => {
    const read = JitProgram.compile(assembleUbpf('mov %r0, 1\nlddw %r1, 0x10\nldxdw %r0, [%r1+0]\nexit'), { verify: false });
    const before = faultState().contained;
    const e = caught(() => read.run()) as BpfFaultError;
    expect(e).toBeInstanceOf(BpfFaultError);
    expect([e.pc, e.signal, e.address, e.access, e.size]).toEqual([3, 'SIGSEGV', 0x10n, 'read', 8]);
    expect(e.message).toMatch(/^pc 3: SIGSEGV on a read of 8 bytes at address 0x10 .*the fault was contained$/);
    expect(e.nativePc >= read.address && e.nativePc < read.address + BigInt(read.code.length)).toBe(true);
    expect(faultState().contained).toBe(before + 1);
    read.free();

    const write = JitProgram.compile(assembleUbpf('mov %r2, 0\nstw [%r2+12], 7\nexit'), { verify: false });
    const w = caught(() => write.run(new Uint8Array(8))) as BpfFaultError;
    expect([w.pc, w.signal, w.address, w.access, w.size]).toEqual([1, 'SIGSEGV', 12n, 'write', 4]);
    expect(w.message).toMatch(/bytes below mem 'mem'/); // the nearest region the run had
    write.free();
  });

  it('a misaligned exclusive atomic is a SIGBUS on a read-write', () => {
    const prog = JitProgram.compile(assembleUbpf('add %r1, 1\nlock add [%r1+0], %r2\nexit'), { verify: false, atomics: 'llsc' });
    const e = caught(() => prog.run(new Uint8Array(32))) as BpfFaultError;
    expect([e.pc, e.signal, e.access, e.size]).toEqual([1, 'SIGBUS', 'read-write', 8]);
    prog.free();
  });

  it('the program and the process go on: the same program runs again, correctly, after faulting', () => {
    // reads [r1 + r2]: in bounds it returns the byte, with a huge r2 it faults
    const prog = JitProgram.compile(assembleUbpf('add %r1, %r2\nldxb %r0, [%r1+0]\nexit'), { verify: false });
    const mem = Uint8Array.from([9, 8, 7, 6]);
    for (let i = 0; i < 50; i++) {
      expect(prog.call(mem, 2n)).toBe(7n);
      expect(caught(() => prog.call(mem, 1n << 40n))).toBeInstanceOf(BpfFaultError);
    }
    prog.free();
  });

  it('unwinds from a subprogram to the entry frame: every callee-saved register and sp are as the caller left them', () => {
    // R6-R9 and R10 live in x19-x22 and x25; the subprogram faults three frames down
    const prog = JitProgram.compile(
      assembleUbpf(
        'mov %r6, 6\nmov %r7, 7\nmov %r8, 8\nmov %r9, 9\nstdw [%r10-8], 1\ncall local f\nexit\n' +
          'f:\nmov %r6, 60\nmov %r9, 90\nstdw [%r10-16], 2\ncall local g\nexit\n' +
          'g:\nmov %r7, 70\nmov %r8, 80\nlddw %r1, 0x18\nldxdw %r0, [%r1+0]\nexit',
      ),
      { verify: false },
    );
    // A native caller sets x19-x28 to patterns, calls the program through blr and returns a
    // bit per register (and bit 10 for sp) that came back changed.
    const pattern = (r: number) => 0x0101_0101_0101_0101n * BigInt(r) + 0x77n;
    const a = new Assembler();
    a.emit(stp(X29, X30, preIndex(SP, -16)));
    a.emit(mov(X29, SP));
    for (let r = 19; r < 29; r += 2) a.emit(stp(xreg(r), xreg(r + 1), preIndex(SP, -16)));
    for (let r = 19; r < 29; r++) a.materialize(xreg(r), pattern(r));
    a.emit(mov(X16, X0));
    a.emit(mov(X0, X1));
    a.emit(mov(X1, X2));
    a.emit(blr(X16));
    a.materialize(X9, 0n);
    for (let r = 19; r < 29; r++) {
      a.materialize(X10, pattern(r));
      a.emit(cmpReg(xreg(r), X10));
      a.emit(cset(X11, Cond.NE));
      a.emit(orrReg(X9, X9, X11, 'lsl', r - 19));
    }
    a.emit(subImm(X10, X29, 80));
    a.emit(mov(X11, SP));
    a.emit(cmpReg(X10, X11));
    a.emit(cset(X11, Cond.NE));
    a.emit(orrReg(X9, X9, X11, 'lsl', 10));
    a.emit(mov(X0, X9));
    for (let r = 27; r >= 19; r -= 2) a.emit(ldp(xreg(r), xreg(r + 1), postIndex(SP, 16)));
    a.emit(ldp(X29, X30, postIndex(SP, 16)));
    a.emit(ret());
    const caller = loadFunction(a.finish(), 'uint64_t (uint64_t, void *, uint64_t)');
    const contained = faultState().contained;
    expect(caller.call(prog.address, null, 0n)).toBe(0n);
    expect(faultState().contained).toBe(contained + 1);
    // and through JitProgram: the fault names the pc in g
    const e = caught(() => prog.run()) as BpfFaultError;
    expect([e.pc, e.address, e.access]).toEqual([16, 0x18n, 'read']);
    caller.free();
    prog.free();
  });

  it('re-entrant: a fault in a run that a helper started stops that run only', () => {
    let inner: unknown;
    let depth = 0;
    const helper: HelperFn = () => {
      if (depth > 0) return 0n;
      depth++;
      try {
        prog.run(null); // R1 = 0: the load at pc 2 faults
      } catch (e) {
        inner = e;
      } finally {
        depth--;
      }
      return 0n;
    };
    const prog = JitProgram.compile(assembleUbpf('mov %r6, %r1\ncall 1\nldxb %r0, [%r6+1]\nexit'), { verify: false, helpers: new Map([[1, helper]]) });
    expect(prog.run(Uint8Array.from([5, 42]))).toBe(42n);
    expect(inner).toBeInstanceOf(BpfFaultError);
    expect([(inner as BpfFaultError).pc, (inner as BpfFaultError).address]).toEqual([2, 1n]);
    prog.free();
  });

  it('a NativeFunction cannot be made of a program: its faults, budget and helpers need its JitProgram', () => {
    const prog = JitProgram.compile(assembleUbpf('mov %r0, 1\nexit'), { verify: false });
    expect(() => new NativeFunction(prog.address, 'uint64_t (void *, uint64_t)')).toThrow(/is the code of an a64jit BPF program: call it through its JitProgram/);
    prog.free();
  });

  it('a callx to a number that is no helper and no function stops the program with the pc of the callx', () => {
    // the JIT never jumps to such a target (it compares with every function's address first)
    const prog = JitProgram.compile(assembleUbpf('mov %r0, 1\nlddw %r2, 0x1234\ncall %r2\nexit'), { verify: false });
    const e = caught(() => prog.run()) as JitRuntimeError;
    expect(e).toBeInstanceOf(JitRuntimeError);
    expect([e.pc, e.message]).toEqual([3, 'pc 3: callx to 0x1234: not a registered helper id or a function of this program']);
    expect(prog.run.bind(prog)).toThrow(/pc 3: callx to 0x1234/);
    prog.free();
  });
});

describe('fault containment, in child processes', () => {
  it('10,000 faulting runs in a row: each a BpfFaultError, no leaked mappings, correct programs still correct', () => {
    const r = child(['runs', '10000'], ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = JSON.parse(r.stdout) as { faults: number; contained: number; mappingsBefore: number; mappingsAfter: number; correct: number; liveRanges: number };
    console.log(`10,000 faulting runs: ${m.contained} contained, mappings ${m.mappingsBefore} -> ${m.mappingsAfter}, ${m.liveRanges} code ranges left`);
    expect(m.faults).toBe(10_000);
    expect(m.contained).toBe(10_000);
    // a leak per run would add thousands; V8's heap may move by a mapping or two
    expect(Math.abs(m.mappingsAfter - m.mappingsBefore)).toBeLessThanOrEqual(4);
    expect(m.liveRanges).toBe(0);
    expect(m.correct).toBe(7200);
  });

  it('a fault outside JIT code still kills the process with SIGSEGV, as without a64jit', () => {
    const r = child(['outside']);
    expect(r.stdout).toContain('"installed":true');
    expect(r.stdout).not.toContain('survived');
    expect(r.signal).toBe('SIGSEGV');
  });

  it("WebAssembly's out-of-bounds trap still works with the handler installed (the previous handler gets the signal)", () => {
    const r = child(['wasm']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ installed: true, inBounds: 0, message: 'RuntimeError: memory access out of bounds', contained: 0, live: true });
  });

  it('endless callx recursion without a sandbox runs out of native stack: contained on the alternate stack', () => {
    const r = child(['overflow']);
    expect(r.stderr).toBe('');
    const m = JSON.parse(r.stdout) as { error: { name: string; signal: string; pc: number; message: string }; correct: number };
    expect(m.error.name).toBe('BpfFaultError');
    expect(m.error.signal).toBe('SIGSEGV');
    expect(m.error.pc).toBe(4); // the function at slot 4
    expect(m.error.message).toMatch(/native stack may be exhausted/);
    expect(m.correct).toBe(7200);
  });

  it('two worker threads and the main thread fault at the same time, 400 times each', () => {
    const r = child(['threads', '100']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      main: 400,
      workers: [
        { faults: 400, correct: 7200 },
        { faults: 400, correct: 7200 },
      ],
      contained: 1200,
      correct: 7200,
    });
  });
});
