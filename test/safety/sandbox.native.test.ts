import { describe, expect, it } from 'vitest';
import {
  BpfRuntimeError,
  BpfSandboxError,
  MEM_BASE,
  Memory,
  assembleUbpf,
  interpret,
  type Region,
} from '../../src/bpf/index.js';
import { JitProgram } from '../../src/jit/index.js';
import { bufferAddress } from '../../src/runtime/index.js';
import { caught } from '../support/caught.js';

/**
 * The sandbox (issue 10, point 3): under `sandbox: true` every load, store and atomic is
 * checked in the machine code against the regions the run may touch, and a miss stops the
 * program with the same error the interpreter gives: same type, pc, access, size and nearest
 * region (addresses differ: the interpreter's are virtual, the JIT's real).
 */
interface Case {
  readonly name: string;
  readonly source: string;
  readonly mem?: number;
  /** the messages must agree once addresses are taken out (false when distances are to far-apart stacks) */
  readonly sameText: boolean;
}

/**
 * Unsafe programs of the shapes a verifier rejects, run unverified. (R10 + constant outside the
 * frame never gets here: the structural validator refuses it at load.)
 */
const UNSAFE: readonly Case[] = [
  { name: 'read past the end of the memory', source: 'ldxdw %r0, [%r1+12]\nexit', mem: 16, sameText: true },
  { name: 'read straddling the end', source: 'ldxw %r0, [%r1+14]\nexit', mem: 16, sameText: true },
  { name: 'write below the memory', source: 'stxb [%r1-1], %r1\nexit', mem: 16, sameText: true },
  // (not thousands of bytes past: under the JIT, real addresses, the shadow stack may be nearer)
  { name: 'store of an immediate past the end', source: 'stdw [%r1+56], 1\nexit', mem: 8, sameText: true },
  { name: 'read through a null pointer', source: 'mov %r1, 0\nldxw %r0, [%r1+0]\nexit', sameText: false },
  { name: "the issue's attack: a store over the saved return address", source: 'mov %r3, %r10\nstxdw [%r3+24], %r1\nexit', sameText: true },
  { name: 'a store below the stack frame through a pointer', source: 'mov %r2, %r10\nstxdw [%r2-520], %r1\nexit', sameText: true },
  { name: 'a wrapping address', source: 'lddw %r1, 0xfffffffffffffffc\nldxdw %r0, [%r1+0]\nexit', sameText: false },
  { name: 'an atomic past the end', source: 'mov %r2, 1\nlock add [%r1+16], %r2\nexit', mem: 16, sameText: true },
  { name: 'a fetching atomic below the memory', source: 'mov %r2, 1\nlock fetch add32 [%r1-4], %r2\nexit', mem: 16, sameText: true },
  { name: 'load-acquire past the end', source: 'ldacqdw %r0, [%r1+16]\nexit', mem: 16, sameText: true },
  { name: 'store-release past the end', source: 'strelw [%r1+13], %r1\nexit', mem: 16, sameText: true },
  { name: 'a pointer walked out of the memory in a loop', source: 'mov %r0, 0\nloop:\nldxb %r3, [%r1+0]\nadd %r1, 1\nadd %r0, 1\nja loop\nexit', mem: 32, sameText: true },
  {
    name: "a subprogram writing past its caller's frame",
    source: 'mov %r1, %r10\ncall local f\nexit\nf:\nstxdw [%r1+0], %r1\nexit',
    sameText: false, // the interpreter's frames are 64 KiB apart, the shadow stack's adjacent
  },
];

/** Interpreter and JIT messages with addresses taken out, stack names unified. */
const text = (e: Error): string => e.message.replace(/0x[0-9a-f]+/g, 'A').replace(/stack frame \d+/g, 'stack');

describe('sandbox: unsafe programs stop with the same error in the JIT and the interpreter', () => {
  for (const c of UNSAFE) {
    it(c.name, () => {
      const insns = assembleUbpf(c.source);
      const mem = c.mem === undefined ? null : new Uint8Array(c.mem);
      const i = caught(() => interpret(insns, { mem })) as BpfSandboxError;
      const jit = JitProgram.compile(insns, { sandbox: true, sandboxAnalysis: false });
      const j = caught(() => jit.run(mem)) as BpfSandboxError;
      jit.free();
      expect(i).toBeInstanceOf(BpfSandboxError);
      expect(j).toBeInstanceOf(BpfSandboxError);
      expect([j.pc, j.access, j.size, j.nearest?.kind]).toEqual([i.pc, i.access, i.size, i.nearest?.kind]);
      if (c.sameText) expect(text(j)).toBe(text(i));
      expect(j.message).toMatch(new RegExp(`^pc ${i.pc}: out-of-bounds ${i.access} of ${i.size} bytes at address 0x`));
    });
  }

  it('a store into a read-only region is refused by both, naming the region', () => {
    const ro = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const insns = assembleUbpf('stw [%r2+4], 9\nldxb %r0, [%r2+0]\nexit');
    const jit = JitProgram.compile(insns, { sandbox: true, sandboxAnalysis: false, regions: [{ kind: 'data', name: '.rodata', base: bufferAddress(ro), size: 8, writable: false }] });
    const j = caught(() => jit.call(null, bufferAddress(ro))) as BpfSandboxError;
    expect(j).toBeInstanceOf(BpfSandboxError);
    expect([j.pc, j.access, j.size, j.why, j.nearest?.name]).toEqual([0, 'write', 4, 'read-only', '.rodata']);
    expect([...ro]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // reading it is fine
    const reader = JitProgram.compile(assembleUbpf('ldxb %r0, [%r2+7]\nexit'), { sandbox: true, sandboxAnalysis: false, regions: [{ kind: 'data', name: '.rodata', base: bufferAddress(ro), size: 8, writable: false }] });
    expect(reader.call(null, bufferAddress(ro))).toBe(8n);
    reader.free();
    jit.free();
    const memory = new Memory();
    const r = memory.addRegion('.rodata', Uint8Array.from(ro), { writable: false, kind: 'data' });
    const i = caught(() => interpret(insns, { memory, args: [0n, r.base] })) as BpfSandboxError;
    expect(text(j)).toBe(text(i));
  });

  it('endless callx recursion stops at the frame limit, as in the interpreter', () => {
    const insns = assembleUbpf('lddw %r2, func f\ncall %r2\nexit\nf:\nstdw [%r10-8], 1\nlddw %r2, func f\ncall %r2\nexit');
    const jit = JitProgram.compile(insns, { sandbox: true, sandboxAnalysis: false });
    const j = caught(() => jit.run()) as BpfRuntimeError;
    const i = caught(() => interpret(insns)) as BpfRuntimeError;
    expect(j.message).toBe(i.message);
    expect(j.message).toBe('pc 7: call stack exceeds 8 frames');
    jit.free();
  });
});

describe('sandbox: what the program may touch', () => {
  it('its stack frames (also through pointers, also the caller frames), its memory and the regions given', () => {
    // f reads the caller's stack through R1 and the extra buffer through R3
    const source =
      'stdw [%r10-8], 40\nmov %r6, %r1\nmov %r1, %r10\nadd %r1, -8\nmov %r3, %r2\ncall local f\nldxb %r1, [%r6+3]\nadd %r0, %r1\nexit\n' +
      'f:\nldxdw %r0, [%r1+0]\nldxb %r4, [%r3+1]\nadd %r0, %r4\nstxdw [%r10-16], %r0\nldxdw %r0, [%r10-16]\nexit';
    const extra = Buffer.from([0, 2]);
    const region: Region = { kind: 'other', name: 'extra', base: bufferAddress(extra), size: 2, writable: false };
    const jit = JitProgram.compile(assembleUbpf(source), { sandbox: true, sandboxAnalysis: false });
    const mem = Uint8Array.from([0, 0, 0, 1]);
    expect(jit.call(mem, bufferAddress(extra), { regions: [region] })).toBe(43n);
    // without the region, the read of the extra buffer stops the program
    const e = caught(() => jit.call(mem, bufferAddress(extra))) as BpfSandboxError;
    expect([e.pc, e.access, e.size]).toEqual([10, 'read', 1]);
    jit.free();
  });

  it('the regions of a run end with it: the next run sees only its own', () => {
    const a = new Uint8Array(8);
    const b = new Uint8Array(8);
    const jit = JitProgram.compile(assembleUbpf('stb [%r2+0], 1\nexit'), { sandbox: true, sandboxAnalysis: false });
    jit.call(a, bufferAddress(a)); // the memory given is a region
    expect(a[0]).toBe(1);
    expect(caught(() => jit.call(b, bufferAddress(a)))).toBeInstanceOf(BpfSandboxError);
    jit.free();
  });

  it('a nested run (started by a helper) has its own regions and shadow stack; the outer run keeps its own', () => {
    const outerMem = new Uint8Array(8);
    const innerMem = new Uint8Array(4);
    let inner: unknown;
    let started = false;
    const p2 = JitProgram.compile(assembleUbpf('mov %r6, %r1\nstdw [%r10-8], 77\ncall 1\nldxdw %r0, [%r10-8]\nstxb [%r6+7], %r0\nexit'), {
      sandbox: true,
      sandboxAnalysis: false,
      helpers: new Map([
        [
          1,
          () => {
            if (!started) {
              started = true;
              inner = caught(() => p2.run(innerMem));
            }
            return 0n;
          },
        ],
      ]),
    });
    expect(p2.run(outerMem)).toBe(77n);
    expect(outerMem[7]).toBe(77);
    expect(inner).toBeInstanceOf(BpfSandboxError);
    expect((inner as BpfSandboxError).pc).toBe(4);
    p2.free();
  });

  it('correct programs give the same results with and without the sandbox (memory, stack, subprograms, atomics)', () => {
    const source =
      'mov %r6, %r1\nmov %r7, %r2\nmov %r0, 0\nmov %r3, 0\nloop:\njge %r3, %r7, done\nmov %r4, %r6\nadd %r4, %r3\nldxb %r5, [%r4+0]\n' +
      'add %r0, %r5\nstxdw [%r10-8], %r0\nadd %r3, 1\nja loop\ndone:\nmov %r1, %r10\nadd %r1, -8\ncall local f\nmov %r2, 3\nlock add [%r6+0], %r2\nexit\n' +
      'f:\nldxdw %r0, [%r1+0]\nmul %r0, 3\nexit';
    const insns = assembleUbpf(source);
    const plain = JitProgram.compile(insns, { verify: false });
    const boxed = JitProgram.compile(insns, { sandbox: true, sandboxAnalysis: false });
    const m1 = Uint8Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff);
    const m2 = Uint8Array.from(m1);
    const m3 = Uint8Array.from(m1);
    expect(boxed.run(m2)).toBe(plain.run(m1));
    expect(m2).toEqual(m1);
    expect(interpret(insns, { mem: m3 }).value).toBe(plain.run(m3));
    plain.free();
    boxed.free();
  });

  it('the interpreter is always sandboxed: MEM_BASE regions only', () => {
    expect(caught(() => interpret(assembleUbpf('ldxb %r0, [%r1+0]\nexit'), { args: [MEM_BASE - 1n] }))).toBeInstanceOf(BpfSandboxError);
  });
});

describe("sandbox: helpers' memory arguments (by their prototypes, src/bpf/helper-protos.ts)", () => {
  // bpf_probe_read(void *dst, u32 size, const void *unsafe_ptr): dst is written, size bytes
  const source = 'mov %r6, %r1\nadd %r1, 8\ncall 4\nexit';
  const compile = (calls: number[], sandbox: boolean) =>
    JitProgram.compile(assembleUbpf(source), { sandbox, sandboxAnalysis: false, verify: false, helpers: new Map([[4, (_d: bigint, size: bigint) => BigInt(calls.push(Number(size)))]]) });

  it('a destination that does not fit stops the program before the helper runs', () => {
    const calls: number[] = [];
    const prog = compile(calls, true);
    const e = caught(() => prog.call(new Uint8Array(16), 16n)) as BpfSandboxError;
    expect(e).toBeInstanceOf(BpfSandboxError);
    expect([e.pc, e.access, e.size, e.nearest?.name]).toEqual([2, 'write', 16, 'mem']);
    expect(e.message).toMatch(/offset 8 of mem 'mem' .*: 8 of its bytes lie past the end/);
    expect(calls).toEqual([]);
    // one that fits, and 0 bytes anywhere, reach the helper
    expect(prog.call(new Uint8Array(16), 8n)).toBe(1n);
    expect(prog.call(null, 0n)).toBe(2n);
    expect(calls).toEqual([8, 0]);
    prog.free();
  });

  it('without the sandbox your JavaScript helpers get the values as they are (the runtime checks its native ones: helper-args tests)', () => {
    const calls: number[] = [];
    const prog = compile(calls, false);
    expect(prog.call(new Uint8Array(16), 16n)).toBe(1n);
    expect(calls).toEqual([16]);
    prog.free();
  });
});
