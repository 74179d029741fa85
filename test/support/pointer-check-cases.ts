import { expect } from 'vitest';
import { BpfPointerError } from '../../src/bpf/index.js';
import { openObject, type Engine } from '../../src/object/index.js';
import { compileBpfSource } from './bpf-clang.js';

/**
 * The sandbox's pointer-arithmetic checks (src/bpf/pointer-checks.ts): a map value's index
 * masked wider than the value reads the NEXT element of an array map, memory the program may
 * touch, so only a check at the arithmetic, where the element is still known, stops it.
 * Shared by the host test (interpreter) and the native test (JIT under qemu). Each program
 * reads element 0 at an index from the first byte of its buffer; element 0 holds 10, 11, ...
 * (as u32s), the next element 90, 91, ... .
 */
export const POINTER_SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct four { __u32 a[4]; };
struct headed { __u64 tag; __u32 a[4]; };

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, struct four); } plain SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32); __type(value, struct headed); } headed SEC(".maps");

/* a[i & 7] of a 4-element array: i >= 4 is past the value (the verifier's corpus, map-index-mask-too-wide.c) */
SEC("a64jit/plain") long masked(unsigned char *mem, __u64 len) {
  __u32 k = 0;
  struct four *r = bpf_map_lookup_elem(&plain, &k);
  if (!r) return -1;
  __u32 i = mem[0] & 7;
  return r->a[i];
}

/* the same behind an 8-byte header: clang adds i * 4 and loads at +8, so the offset after the
   arithmetic is still inside the value for i = 4 and 5; the access is what leaves it */
SEC("a64jit/plain") long behind_header(unsigned char *mem, __u64 len) {
  __u32 k = 0;
  struct headed *r = bpf_map_lookup_elem(&headed, &k);
  if (!r) return -1;
  __u32 i = mem[0] & 7;
  return r->a[i];
}

/* correct: the index is checked */
SEC("a64jit/plain") long checked(unsigned char *mem, __u64 len) {
  __u32 k = 0;
  struct four *r = bpf_map_lookup_elem(&plain, &k);
  if (!r) return -1;
  __u32 i = mem[0];
  if (i >= 4) return -2;
  return r->a[i];
}
`;

export interface PointerCase {
  readonly program: string;
  readonly index: number;
  /** R0, or the message of the BpfPointerError */
  readonly expect: bigint | RegExp;
}

const past = (offset: number, what: string): RegExp => new RegExp(`^pc \\d+: R\\d pointer arithmetic of map value goes out of range: offset ${offset} is ${what}`);

export const POINTER_CASES: readonly PointerCase[] = [
  ...[0, 1, 2, 3].map((i) => ({ program: 'masked', index: i, expect: BigInt(10 + i) })),
  ...[4, 5, 6, 7].map((i) => ({ program: 'masked', index: i, expect: past(4 * i, "outside 0..12, what the accesses through the pointer allow in value_size=16 of map 'plain'") })),
  ...[0, 3].map((i) => ({ program: 'behind_header', index: i, expect: BigInt(10 + i) })),
  ...[4, 5, 6, 7].map((i) => ({ program: 'behind_header', index: i, expect: past(4 * i, "outside 0..12, what the accesses through the pointer allow in value_size=24 of map 'headed'") })),
  ...[0, 3].map((i) => ({ program: 'checked', index: i, expect: BigInt(10 + i) })),
  { program: 'checked', index: 4, expect: BigInt.asUintN(64, -2n) },
  { program: 'checked', index: 200, expect: BigInt.asUintN(64, -2n) },
];

let compiled: Uint8Array | undefined;

function fill(obj: ReturnType<typeof openObject>): void {
  for (const [name, size] of [['plain', 16], ['headed', 24]] as const) {
    const map = obj.maps.get(name)!;
    for (let k = 0; k < 2; k++) {
      const v = new Uint8Array(size);
      const view = new DataView(v.buffer);
      const start = name === 'headed' ? 8 : 0;
      for (let j = 0; j * 4 + start < size; j++) view.setUint32(start + 4 * j, (k === 0 ? 10 : 90) + j, true);
      const key = new Uint8Array(4);
      key[0] = k;
      map.update(key, v);
    }
  }
}

/** Run one case under the sandbox (its analysis on) in `engine`; sandboxAnalysis: false shows what the region checks alone do. */
export function runPointerCase(c: PointerCase, engine: Engine, sandboxAnalysis = true): bigint | BpfPointerError {
  compiled ??= compileBpfSource(POINTER_SOURCE, { name: 'pointers' });
  const obj = openObject(compiled, { name: 'pointers.o', sandbox: true, sandboxAnalysis });
  try {
    fill(obj);
    try {
      return obj.program(c.program).testRun({ dataIn: Uint8Array.of(c.index, 0, 0, 0, 0, 0, 0, 0), engine }).retval;
    } catch (e) {
      if (e instanceof BpfPointerError) return e;
      throw e;
    }
  } finally {
    obj.close();
  }
}

export function checkPointerCase(c: PointerCase, engine: Engine): bigint | BpfPointerError {
  const result = runPointerCase(c, engine);
  const what = `${c.program}(${c.index}) in the ${engine}`;
  if (typeof c.expect === 'bigint') expect(result, what).toBe(c.expect);
  else {
    expect(result, what).toBeInstanceOf(BpfPointerError);
    expect((result as BpfPointerError).message, what).toMatch(c.expect);
  }
  return result;
}
