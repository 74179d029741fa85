import { expect } from 'vitest';
import { BpfHelperArgError, MapType, assembleLlvm, type MapDescription } from '../../src/bpf/index.js';
import type { Engine } from '../../src/object/index.js';
import { runUnverified } from './unverified.js';

/**
 * Helpers' pointer arguments in code nobody proved safe, WITHOUT the sandbox (`verify:
 * false`, `run --no-verify`): a map argument must be a map of the program, memory must lie in
 * the run's regions, the context argument must be the context, before the helper (native
 * code: a wild pointer there would crash the process, where fault containment cannot help)
 * touches anything. Shared by the host test (interpreter) and the native test (JIT).
 */
const counts: MapDescription = { name: 'counts', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 64, flags: 0 };

export interface HelperArgCase {
  readonly name: string;
  readonly source: string;
  readonly type?: string;
  /** what the error must say, or R0 of a correct program */
  readonly expect: { helper: string; arg: number; problem: BpfHelperArgError['problem']; pc: number; address?: bigint; message: RegExp; interpreter?: { problem: BpfHelperArgError['problem']; address: bigint } } | bigint;
  readonly maps?: readonly MapDescription[];
}

const events: MapDescription = { name: 'events', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 };

export const HELPER_ARG_CASES: readonly HelperArgCase[] = [
  {
    // test/fixtures/verifier/unsafe/helper-map-arg-scalar.s: crashed the process in the native map helper
    name: 'a scalar 0 as the map',
    source: '*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0\ncall 1\nr0 = 0\nexit',
    expect: { helper: 'bpf_map_lookup_elem', arg: 1, problem: 'not-a-map', pc: 4, address: 0n, message: /bpf_map_lookup_elem argument 1 \(map\): 0x0 is not a map of this program/ },
  },
  {
    name: 'a wild address as the map',
    source: '*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = 0x7f0012345678 ll\ncall 1\nr0 = 0\nexit',
    expect: { helper: 'bpf_map_lookup_elem', arg: 1, problem: 'not-a-map', pc: 5, address: 0x7f0012345678n, message: /0x7f0012345678 is not a map of this program/ },
  },
  {
    name: 'a scalar as the key',
    source: 'r1 = map_fd(0x0) ll\nr2 = 4096\ncall 1\nr0 = 0\nexit',
    expect: { helper: 'bpf_map_lookup_elem', arg: 2, problem: 'memory', pc: 3, address: 4096n, message: /argument 2 \(key\): out-of-bounds read of 4 bytes at address 0x1000/ },
  },
  {
    name: 'a key of 2 bytes at the top of the stack (the map wants 4)',
    source: '*(u16 *)(r10 - 2) = 0\nr2 = r10\nr2 += -2\nr1 = map_fd(0x0) ll\ncall 1\nr0 = 0\nexit',
    expect: { helper: 'bpf_map_lookup_elem', arg: 2, problem: 'memory', pc: 5, message: /argument 2 \(key\): out-of-bounds read of 4 bytes .*2 of its bytes lie past the end/ },
  },
  {
    name: 'a scalar as the value to store',
    source: '*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = map_fd(0x0) ll\nr3 = 0x10000\nr4 = 0\ncall 2\nr0 = 0\nexit',
    expect: { helper: 'bpf_map_update_elem', arg: 3, problem: 'memory', pc: 7, address: 0x10000n, message: /argument 3 \(value\): out-of-bounds read of 8 bytes at address 0x10000/ },
  },
  {
    name: 'a scalar as the memory a helper writes',
    source: 'r1 = 0x20000\nr2 = 8\nr3 = 0\ncall 4\nr0 = 0\nexit',
    expect: { helper: 'bpf_probe_read', arg: 1, problem: 'memory', pc: 3, address: 0x20000n, message: /bpf_probe_read argument 1 \(dst\): out-of-bounds write of 8 bytes at address 0x20000/ },
  },
  {
    name: 'a scalar as the context',
    type: 'xdp',
    source: 'r1 = 0x30000\nr2 = 14\ncall 44\nr0 = 2\nexit',
    expect: { helper: 'bpf_xdp_adjust_head', arg: 1, problem: 'not-the-context', pc: 2, address: 0x30000n, message: /bpf_xdp_adjust_head argument 1 \(\w+\): 0x30000 is not the program's context/ },
  },
  {
    // the JIT checks the record's header is ring buffer memory, the interpreter that this run reserved it
    name: 'a scalar as a ring buffer record',
    source: 'r1 = 0x40000\nr2 = 0\ncall 132\nr0 = 0\nexit',
    maps: [events],
    expect: { helper: 'bpf_ringbuf_submit', arg: 1, problem: 'memory', pc: 2, address: 0x40000n - 8n, message: /bpf_ringbuf_submit argument 1 \(\w+\): /, interpreter: { problem: 'not-a-record', address: 0x40000n } },
  },
  {
    name: 'a correct lookup and update still work',
    source: [
      '*(u32 *)(r10 - 4) = 7',
      '*(u64 *)(r10 - 16) = 41',
      'r1 = map_fd(0x0) ll',
      'r2 = r10',
      'r2 += -4',
      'r3 = r10',
      'r3 += -16',
      'r4 = 0',
      'call 2',
      'r1 = map_fd(0x0) ll',
      'r2 = r10',
      'r2 += -4',
      'call 1',
      'if r0 == 0 goto +2',
      'r0 = *(u64 *)(r0 + 0)',
      'r0 += 1',
      'exit',
    ].join('\n'),
    expect: 42n,
  },
  {
    name: 'a correct bpf_xdp_adjust_head still works',
    type: 'xdp',
    source: 'r6 = r1\nr2 = -14\ncall 44\nr2 = *(u32 *)(r6 + 4)\nr1 = *(u32 *)(r6 + 0)\nr2 -= r1\nr0 = r2\nexit',
    expect: 78n,
  },
];

/** Run one case unverified, without the sandbox, in `engine`, and check what it must do. */
export function checkHelperArgCase(c: HelperArgCase, engine: Engine): unknown {
  const r = runUnverified({ insns: assembleLlvm(c.source), maps: c.maps ?? [counts], ...(c.type ? { type: c.type } : {}) }, { engine, dataIn: new Uint8Array(64).fill(1) });
  if (typeof c.expect === 'bigint') {
    expect('error' in r ? r.error : undefined, `${c.name} (${engine})`).toBeUndefined();
    expect('retval' in r && r.retval, `${c.name} (${engine})`).toBe(c.expect);
    return r;
  }
  expect('error' in r, `${c.name} (${engine}) stops`).toBe(true);
  const e = (r as { error: unknown }).error;
  expect(e, `${c.name} (${engine}): ${String(e)}`).toBeInstanceOf(BpfHelperArgError);
  const h = e as BpfHelperArgError;
  const own = engine === 'interpreter' && c.expect.interpreter ? c.expect.interpreter : c.expect;
  expect([h.helper, h.arg, h.problem, h.pc], `${c.name} (${engine})`).toEqual([c.expect.helper, c.expect.arg, own.problem, c.expect.pc]);
  if (own.address !== undefined) expect(h.address).toBe(own.address);
  expect(h.message, `${c.name} (${engine})`).toMatch(c.expect.message);
  return h;
}
