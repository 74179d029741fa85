import { describe, expect, it } from 'vitest';
import { programType } from '../../src/bpf/program-types/index.js';
import type { VerifyOptions } from '../../src/bpf/verifier/index.js';
import { accepts, arrayMap, asm, hashMap, rejection, ringbufMap } from './support.js';

/**
 * The verifier's sandbox mode (VerifyOptions.sandbox): what it refuses (exactly as normal mode,
 * with the same message) and what it leaves to the sandbox's run-time checks and budget
 * (accepted, each such pc in facts.leftToRunTime with the message normal mode gives).
 */
const XDP = { programType: programType('xdp') };
const lookup = '*(u32 *)(r10 - 4) = 0; r2 = r10; r2 += -4; r1 = map_fd(0x0) ll; call 1;';
/** r0 = a map value (16 bytes) or the program returns 0 */
const value = `${lookup} if r0 != 0 goto +2; r0 = 0; exit;`;
const MAP = { maps: [hashMap(4, 16)] };

interface Case {
  readonly name: string;
  readonly src: string;
  readonly options?: VerifyOptions;
}

/** Left to run time: normal mode refuses with `reason`, sandbox mode accepts with `reason` recorded at that pc. */
const LEFT: readonly (Case & { readonly reason: string })[] = [
  // packet
  {
    name: 'packet read past the proven range through a variable offset',
    src: 'r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 14; if r4 > r3 goto +4; r5 = *(u8 *)(r2 + 0); r5 &= 7; r2 += r5; r0 = *(u8 *)(r2 + 14); r0 = 2; exit',
    options: XDP,
    reason: 'invalid access to packet, off=14 size=1, R2(id=2,off=0,r=0)',
  },
  {
    name: 'variable-offset packet access',
    src: 'r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 1; if r4 > r3 goto +5; r5 = *(u8 *)(r2 + 0); r2 += r5; r0 = *(u8 *)(r2 + 0); r0 = 2; exit; r0 = 2; exit',
    options: XDP,
    reason: 'invalid access to packet, off=0 size=1, R2(id=2,off=0,r=0)',
  },
  // map values
  {
    name: 'map value: unbounded index',
    src: `${value} r1 = *(u64 *)(r0 + 0); r1 <<= 2; r0 += r1; r0 = *(u32 *)(r0 + 0); r0 = 0; exit`,
    options: MAP,
    reason: 'math between map_value pointer and register with unbounded min value is not allowed',
  },
  {
    name: 'map value: index too wide',
    src: `${value} r1 = *(u64 *)(r0 + 0); r1 &= 31; r0 += r1; r0 = *(u32 *)(r0 + 0); r0 = 0; exit`,
    options: MAP,
    reason: 'invalid access to map value, value_size=16 off=31 size=4',
  },
  {
    name: 'map value: signed index',
    src: `${value} r1 = *(u64 *)(r0 + 0); r1 s>>= 60; r0 += r1; r0 = *(u8 *)(r0 + 0); r0 = 0; exit`,
    options: MAP,
    reason: 'R0 min value is negative, either use unsigned index or do a if (index >=0) check.',
  },
  // plain memory
  { name: 'memory: variable offset of unbounded minimum', src: 'r3 = r1; r3 += r2; r0 = *(u8 *)(r3 - 1); exit', reason: 'math between mem pointer and register with unbounded min value is not allowed' },
  {
    name: 'map value: unbounded variable offset',
    src: `${value} r1 = *(u32 *)(r0 + 0); r0 += r1; r0 = *(u32 *)(r0 + 0); r0 = 0; exit`,
    options: MAP,
    reason: 'R0 unbounded memory access, make sure to bounds check any such access',
  },
  { name: 'memory: past a given size by a variable offset', src: 'r2 = *(u8 *)(r1 + 0); r2 &= 15; r1 += r2; r0 = *(u8 *)(r1 + 0); exit', options: { memSize: 8 }, reason: 'invalid access to memory, mem_size=8 off=15 size=1' },
  // stack
  {
    name: 'stack: variable-offset write that may leave the frame',
    src: 'r2 = *(u32 *)(r1 + 0); r3 = r10; r3 += -64; r3 += r2; *(u8 *)(r3 + 0) = 0; r0 = 0; exit',
    options: { memSize: 4 },
    reason: 'invalid variable-offset write to stack R3 var_off=(0x0; 0xffffffff) off=-64 size=1',
  },
  {
    name: 'stack: variable-offset read of initialized bytes that may leave the frame',
    src: '*(u64 *)(r10 - 8) = 0; r2 = *(u8 *)(r1 + 0); r2 &= 8; r3 = r10; r3 += -8; r3 += r2; r0 = *(u8 *)(r3 + 0); exit',
    options: { memSize: 4 },
    reason: 'invalid variable-offset read from stack R3 var_off=(0x0; 0x8) off=-8 size=1',
  },
];

/** Refused in sandbox mode with the message normal mode gives. */
const REFUSED: readonly (Case & { readonly reason: string })[] = [
  // certainly out of bounds
  // a fixed offset past what the path compared with data_end: the length was never checked
  { name: 'packet: fixed offset past the proven range', src: 'r2 = *(u32 *)(r1 + 0); r0 = *(u8 *)(r2 + 20); r0 = 2; exit', options: XDP, reason: 'invalid access to packet, off=20 size=1, R2(id=0,off=0,r=0)' },
  {
    name: 'packet: fixed offset one past the checked bytes',
    src: 'r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 13; if r4 > r3 goto +2; r0 = *(u8 *)(r2 + 13); exit; r0 = 1; exit',
    options: XDP,
    reason: 'invalid access to packet, off=13 size=1, R2(id=0,off=0,r=13)',
  },
  { name: 'packet metadata: no check', src: 'r2 = *(u32 *)(r1 + 8); r0 = *(u32 *)(r2 + 0); r0 &= 3; exit', options: XDP, reason: 'invalid access to packet, off=0 size=4, R2(id=0,off=0,r=0)' },
  { name: 'packet: fixed offset before the start', src: 'r2 = *(u32 *)(r1 + 0); r0 = *(u8 *)(r2 - 1); r0 = 2; exit', options: XDP, reason: 'invalid access to packet, off=-1 size=1, R2(id=0,off=0,r=0)' },
  { name: 'map value: fixed offset past the value', src: `${value} r0 = *(u64 *)(r0 + 16); r0 = 0; exit`, options: MAP, reason: 'invalid access to map value, value_size=16 off=16 size=8' },
  {
    name: 'map value: every variable offset past the value',
    src: `${value} r1 = *(u8 *)(r0 + 0); r1 &= 7; r0 += r1; r0 = *(u64 *)(r0 + 16); r0 = 0; exit`,
    options: MAP,
    reason: 'invalid access to map value, value_size=16 off=23 size=8',
  },
  { name: 'stack: fixed offset outside the frame', src: 'r0 = 0; *(u64 *)(r10 + 8) = r0; exit', reason: 'invalid write to stack R10 off=8 size=8' },
  {
    name: 'stack: every variable offset outside the frame',
    src: 'r2 = *(u8 *)(r1 + 0); r2 &= 7; r3 = r10; r3 += r2; *(u8 *)(r3 + 0) = 0; r0 = 0; exit',
    options: { memSize: 4 },
    reason: 'invalid variable-offset write to stack R3 var_off=(0x0; 0x7) off=0 size=1',
  },
  {
    name: 'memory: every variable offset before the start',
    src: 'r2 = *(u8 *)(r1 + 0); r2 &= 7; r1 -= r2; r0 = *(u8 *)(r1 - 1); exit',
    options: { memSize: 8 },
    reason: 'R1 min value is negative, either use unsigned index or do a if (index >=0) check.',
  },
  { name: 'memory: fixed offset past a given size', src: 'r0 = *(u32 *)(r1 + 6); exit', options: { memSize: 8 }, reason: 'invalid access to memory, mem_size=8 off=6 size=4' },
  // what no run-time check sees
  { name: 'uninitialized register', src: 'r0 = r6; exit', reason: 'R6 !read_ok' },
  { name: 'uninitialized stack', src: 'r0 = *(u64 *)(r10 - 8); exit', reason: 'invalid read from stack R10 off -8+0 size 8' },
  {
    name: 'variable-offset stack read that may touch uninitialized bytes',
    src: '*(u32 *)(r10 - 8) = 0; r2 = *(u8 *)(r1 + 0); r2 &= 7; r3 = r10; r3 += -8; r3 += r2; r0 = *(u8 *)(r3 + 0); exit',
    options: { memSize: 4 },
    reason: 'invalid variable-offset read from stack R3 var_off=(0x0; 0x7) off=-8 size=1',
  },
  { name: 'pointer returned', src: 'r0 = r10; exit', reason: 'R0 leaks addr as return value' },
  { name: 'pointer stored into memory', src: '*(u64 *)(r1 + 0) = r10; r0 = 0; exit', options: { memSize: 8 }, reason: 'R10 leaks addr into mem' },
  { name: 'pointer stored into a map value', src: `${value} *(u64 *)(r0 + 0) = r10; r0 = 0; exit`, options: MAP, reason: 'R10 leaks addr into map' },
  { name: 'pointer compared with a number', src: 'r0 = 0; if r1 > 7 goto +0; exit', reason: 'R1 pointer comparison prohibited' },
  { name: 'pointer masked', src: 'r1 &= 2; r0 = 0; exit', reason: 'R1 bitwise operator &= on pointer prohibited' },
  { name: 'null map value', src: `${lookup} r0 = *(u64 *)(r0 + 0); exit`, options: MAP, reason: "R0 invalid mem access 'map_value_or_null'" },
  { name: 'helper argument kind', src: 'r1 = 0; r2 = 0; call 1; r0 = 0; exit', options: MAP, reason: 'R1 type=scalar expected=map_ptr' },
  { name: 'helper reads uninitialized stack', src: 'r2 = r10; r2 += -4; r1 = map_fd(0x0) ll; call 1; r0 = 0; exit', options: MAP, reason: 'invalid indirect read from stack R2 off -4+0 size 4' },
  {
    name: 'ringbuf record never submitted',
    src: 'r1 = map_fd(0x0) ll; r2 = 8; r3 = 0; call 131; r0 = 0; exit',
    options: { maps: [ringbufMap()] },
    reason: 'Unreleased reference id=1 alloc_insn=4',
  },
  { name: 'context offset', src: 'r0 = *(u32 *)(r1 + 64); r0 = 2; exit', options: XDP, reason: 'invalid bpf_context access off=64 size=4' },
  { name: 'read-only map', src: `${value} *(u64 *)(r0 + 0) = 0; r0 = 0; exit`, options: { maps: [{ ...hashMap(4, 16), flags: 1 << 7 }] }, reason: 'write into map forbidden, value_size=16 off=0 size=8' },
  { name: 'misaligned atomic', src: 'r2 = 1; lock *(u64 *)(r10 - 12) += r2; r0 = 0; exit', reason: 'misaligned stack access off (0x0; 0x0)+0+-12 size 8' },
  { name: 'back-edge without loops allowed', src: 'r0 = 0; r0 += 1; if r0 < 4 goto -2; exit', options: { allowLoops: false }, reason: 'back-edge from insn 2 to 1' },
];

describe('verifier sandbox mode: left to the run-time checks', () => {
  for (const c of LEFT) {
    it(c.name, () => {
      expect(rejection(c.src, c.options).reason).toBe(c.reason);
      const r = accepts(c.src, { ...c.options, sandbox: true });
      expect([...r.facts.leftToRunTime.values()]).toContain(c.reason);
      expect(r.leftToRunTime).toBe(r.facts.leftToRunTime.size);
      // nothing is claimed proven about an access left to run time
      for (const pc of r.facts.leftToRunTime.keys()) expect(r.facts.accesses.has(pc)).toBe(false);
    });
  }
});

describe('verifier sandbox mode: refused as in normal mode', () => {
  for (const c of REFUSED) {
    it(c.name, () => {
      const normal = rejection(c.src, c.options);
      expect(normal.reason).toBe(c.reason);
      expect(normal.sandbox).toBe(false);
      const e = rejection(c.src, { ...c.options, sandbox: true });
      expect([e.reason, e.pc, e.insn, e.sandbox]).toEqual([normal.reason, normal.pc, normal.insn, true]);
      expect(e.message).toBe(`the sandbox's analysis refused the program: ${normal.message}`);
    });
  }
});

describe('verifier sandbox mode: loops', () => {
  // the trip count comes from the map value: nothing bounds it
  const loop = `${value} r1 = *(u64 *)(r0 + 0); r2 = 0; r3 = 0; r3 += r2; r2 += 1; if r2 < r1 goto -3; r0 = r3; exit`;

  it('a loop whose trip count comes from a map value: refused in normal mode, accepted quickly in sandbox mode', () => {
    expect(rejection(loop, { ...MAP, maxProcessed: 20_000 }).reason).toBe('BPF program is too large. Processed 20001 insn');
    const r = accepts(loop, { ...MAP, sandbox: true });
    expect(r.processed).toBeLessThan(500);
    expect([...r.facts.loopsLeftToBudget.values()]).toEqual([`loop at insn ${[...r.facts.loopsLeftToBudget.keys()][0]} not proven to end: left to the instruction budget`]);
    expect(r.loopsLeftToBudget).toBe(1);
  });

  it('a loop that never ends (infinite in normal mode) is left to the budget', () => {
    expect(rejection('r0 = 0; goto -1').reason).toBe('infinite loop detected at insn 1');
    expect([...accepts('r0 = 0; goto -1', { sandbox: true }).facts.loopsLeftToBudget.values()]).toEqual(['loop at insn 1 not proven to end: left to the instruction budget']);
  });

  it('a pointer walked by an unbounded loop gets a variable offset: its accesses are left to run time', () => {
    const walk = `${value} r1 = *(u64 *)(r0 + 0); r2 = 0; r4 = *(u8 *)(r0 + 0); r0 += 1; r2 += 1; if r2 < r1 goto -4; r0 = 0; exit`;
    const r = accepts(walk, { ...MAP, sandbox: true });
    expect(r.processed).toBeLessThan(500);
    // the pointer's offset grows each time round: after widening it may be anything
    expect([...r.facts.leftToRunTime.values()]).toEqual(['R0 min value is negative, either use unsigned index or do a if (index >=0) check.']);
    expect(r.loopsLeftToBudget).toBe(1);
  });

  it('widening keeps what is checked in the loop body: a leak inside an unbounded loop is still refused', () => {
    const leaky = `${value} r1 = *(u64 *)(r0 + 0); r2 = 0; r2 += 1; if r2 < r1 goto +2; *(u64 *)(r0 + 0) = r10; exit; goto -5`;
    expect(rejection(leaky, { ...MAP, sandbox: true }).reason).toBe('R10 leaks addr into map');
  });

  it('the complexity limit stays the last resort', () => {
    expect(rejection(loop, { ...MAP, sandbox: true, maxProcessed: 30 }).reason).toBe('BPF program is too large. Processed 31 insn');
  });

  it('a bounded loop normal mode proves is accepted with nothing left to run time', () => {
    const bounded = asm('r0 = 0; r0 += 1; if r0 < 4 goto -2; exit');
    const r = accepts(bounded, { sandbox: true });
    expect([r.leftToRunTime, r.loopsLeftToBudget]).toEqual([0, 0]);
  });
});

describe('verifier sandbox mode: normal mode records nothing', () => {
  it('leftToRunTime is 0 and empty for an accepted program', () => {
    const r = accepts(`${value} r0 = *(u64 *)(r0 + 8); r0 = 0; exit`, { maps: [arrayMap(16)] });
    expect([r.leftToRunTime, r.loopsLeftToBudget, r.facts.leftToRunTime.size]).toEqual([0, 0, 0]);
  });
});

describe('verifier sandbox mode: pointer-arithmetic checks (src/bpf/pointer-checks.ts)', () => {
  // the value prelude is 9 slots: the first instruction after it is pc 9
  const checks = (src: string): unknown[] => [...accepts(`${value} ${src}`, { ...MAP, sandbox: true }).facts.pointerChecks].map(([pc, c]) => ({ pc, ...c }));
  const check = { scalarReg: 1, dst: 0, negate: false, base: 0, limit: 16, map: 'm' };

  it('an index masked wider than the value: checked at the arithmetic, the window from the access', () => {
    expect(checks('r1 = *(u8 *)(r0 + 0); r1 &= 31; r0 += r1; r0 = *(u32 *)(r0 + 0); r0 = 0; exit')).toEqual([{ pc: 11, ...check, min: 0, max: 12 }]);
  });

  it('a constant before and an offset in the access move the window', () => {
    expect(checks('r1 = *(u8 *)(r0 + 0); r1 &= 31; r0 += 4; r0 += r1; r0 = *(u32 *)(r0 + 8); r0 = 0; exit')).toEqual([{ pc: 12, ...check, base: 4, min: 0, max: 4 }]);
    expect(checks('r1 = *(u8 *)(r0 + 0); r1 &= 31; r0 += r1; r0 += 2; r0 = *(u16 *)(r0 + 0); r0 = 0; exit')).toEqual([{ pc: 11, ...check, min: 0, max: 12 }]);
  });

  it('subtraction', () => {
    expect(checks('r1 = *(u8 *)(r0 + 0); r1 &= 15; r0 += 8; r0 -= r1; r0 = *(u32 *)(r0 + 0); r0 = 0; exit')).toEqual([{ pc: 12, ...check, negate: true, base: 8, min: 0, max: 12 }]);
  });

  it('an index the analysis keeps inside needs none', () => {
    expect(checks('r1 = *(u8 *)(r0 + 0); r1 &= 3; r1 <<= 2; r0 += r1; r0 = *(u32 *)(r0 + 0); r0 = 0; exit')).toEqual([]);
  });

  it('paths that reach the arithmetic from different offsets: no check (the region checks remain)', () => {
    expect(checks('r1 = *(u8 *)(r0 + 0); r1 &= 31; if r1 > 3 goto +1; r0 += 4; r0 += r1; r0 = *(u8 *)(r0 + 0); r0 = 0; exit')).toEqual([]);
  });

  it('normal mode makes none', () => {
    expect([...accepts(`${value} r1 = *(u8 *)(r0 + 0); r1 &= 3; r0 += r1; r0 = *(u32 *)(r0 + 0); r0 = 0; exit`, MAP).facts.pointerChecks]).toEqual([]);
  });
});
