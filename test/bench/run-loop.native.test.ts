import { describe, expect, it } from 'vitest';
import { RunLoop, runLoopCode, seededBytes, jitVariant } from '../../src/bench/index.js';
import { assembleUbpf } from '../../src/bpf/index.js';
import { JitProgram } from '../../src/jit/index.js';
import { bufferAddress, countInsns, insnCountStatus } from '../../src/runtime/index.js';

// The native run loop (src/bench/run-loop.ts), executed. Under qemu the instruction counts
// prove it runs its target exactly N times; everywhere, R0 and the buffers prove the restores.
const emulated = process.env.A64JIT_EMULATED === '1';

/** r0 = ++mem[0]: each run sees what the previous one left unless the loop restores it. */
const INCREMENT = assembleUbpf('ldxb %r0, [%r1]\nadd %r0, 1\nstxb [%r1], %r0\nexit');

describe('the run loop', () => {
  it('restores the input before every run (BPF_PROG_TEST_RUN repeat), and without restores the runs see each other', () => {
    const prog = JitProgram.compile(INCREMENT);
    const work = Buffer.from([40]);
    const pristine = Buffer.from([40]);
    const target = { address: prog.address, r1: bufferAddress(work), r2: 1n };
    const restoring = RunLoop.create({ ...target, restores: [{ dst: bufferAddress(work), src: bufferAddress(pristine), size: 1 }] }, [work, pristine]);
    const plain = RunLoop.create(target, [work]);
    try {
      expect(restoring.run(1000).r0).toBe(41n);
      expect(work[0]).toBe(41);
      expect(plain.run(1000).r0).toBe(BigInt((41 + 1000) % 256));
      expect(restoring.run(0)).toMatchObject({ runs: 0, r0: 0n });
    } finally {
      restoring.free();
      plain.free();
      prog.free();
    }
  });

  it('copies restores of every size exactly, and nothing past them', () => {
    for (const size of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 255, 256, 257, 1000, 4099]) {
      const src = Buffer.from(seededBytes(size, size));
      const dst = Buffer.alloc(size + 16, 0xee);
      const loop = RunLoop.overhead({ address: 0n, r1: 0n, r2: 0n, restores: [{ dst: bufferAddress(dst), src: bufferAddress(src), size }] }, [src, dst]);
      try {
        expect(loop.run(1).r0).toBe(0n); // the empty target: mov x0, #0; ret
        expect(Buffer.compare(dst.subarray(0, size), src), `size ${size}`).toBe(0);
        expect([...dst.subarray(size)], `size ${size}: bytes after the restore`).toEqual(Array(16).fill(0xee));
      } finally {
        loop.free();
      }
    }
  });

  it('reads the generic timer around the whole loop: a positive frequency, more ticks for more runs', () => {
    const prog = JitProgram.compile(assembleUbpf('mov %r0, %r2\nloop:\nsub %r2, 1\njne %r2, 0, loop\nexit'), { verify: false }); // R2 runs: no bound to prove
    const loop = RunLoop.create({ address: prog.address, r1: 0n, r2: 1000n });
    try {
      const short = loop.run(1);
      const long = loop.run(20_000);
      expect(short.frequency).toBeGreaterThan(0n);
      expect(long.ticks).toBeGreaterThan(short.ticks);
      expect(long.ns).toBeCloseTo((Number(long.ticks) * 1e9) / Number(long.frequency), 6);
      expect(long.r0).toBe(1000n);
    } finally {
      loop.free();
      prog.free();
    }
  });

  it('opens with a frame record (so profilers unwind through it) and ends with ret', () => {
    const code = runLoopCode({ address: 0x1000n, r1: 0n, r2: 0n }, 0x2000n);
    // stp x29, x30, [sp, #-64]! first, ret last
    expect(new DataView(code.buffer, code.byteOffset).getUint32(0, true)).toBe(0xa9bc7bfd);
    expect(new DataView(code.buffer, code.byteOffset).getUint32(code.length - 4, true)).toBe(0xd65f03c0);
  });
});

describe.runIf(emulated)('the run loop under qemu: exact instruction counts', () => {
  it('is available', () => {
    const s = insnCountStatus();
    expect(s, s.available ? '' : s.reason).toMatchObject({ available: true });
  });

  it('runs its target exactly N times: the program count is N x one run, the loop count a + bN', () => {
    const prog = JitProgram.compile(INCREMENT);
    const work = Buffer.from([7]);
    const pristine = Buffer.from([7]);
    const loop = RunLoop.create({ address: prog.address, r1: bufferAddress(work), r2: 1n, restores: [{ dst: bufferAddress(work), src: bufferAddress(pristine), size: 1 }] }, [work, pristine]);
    const progRange = { start: prog.address, size: prog.code.length, name: 'program' };
    try {
      const one = countInsns(progRange, () => prog.run(work));
      expect(one).toBeGreaterThan(0n);
      const loopCounts: bigint[] = [];
      for (const n of [1, 2, 3, 10, 100, 1000]) {
        expect(countInsns(progRange, () => expect(loop.run(n).r0).toBe(8n))).toBe(BigInt(n) * one);
        loopCounts.push(countInsns(loop.range, () => loop.run(n)));
      }
      const b = loopCounts[1]! - loopCounts[0]!; // per run
      const a = loopCounts[0]! - b;
      expect(b).toBeGreaterThan(0n);
      expect(loopCounts).toEqual([1n, 2n, 3n, 10n, 100n, 1000n].map((n) => a + b * n));
    } finally {
      loop.free();
      prog.free();
    }
  });

  it('the variants count the program alone: jitVariant per-run counts equal one JS-called run', () => {
    // 64 iterations, fixed: the bench compiles with the verifier, which needs a bound it can see
    const program = assembleUbpf('mov %r0, 0\nmov %r2, 64\nloop:\nldxb %r3, [%r1]\nadd %r0, %r3\nadd %r1, 1\nsub %r2, 1\njne %r2, 0, loop\nexit');
    const data = seededBytes(64, 3);
    const v = jitVariant('jit', 'jit', { kind: 'insns', insns: program, file: 'loop' }, { data });
    const prog = JitProgram.compile(program);
    try {
      const one = countInsns({ start: prog.address, size: prog.code.length }, () => prog.run(Buffer.from(data)));
      expect(countInsns(v.range!, () => v.batch(50))).toBe(50n * one);
      expect(v.batch(3).r0).toBe(BigInt(data.reduce((s, x) => s + x, 0)));
      expect(v.compile).toMatchObject({ bpfInsns: program.length, codeBytes: prog.code.length, verifyMs: null });
    } finally {
      v.free();
      prog.free();
    }
  });
});
