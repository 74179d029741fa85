import { describe, expect, it } from 'vitest';
import { MapFlag, MapType, type MapDescription } from '../../src/bpf/index.js';
import { addon } from '../../src/runtime/addon.js';
import {
  ArrayMap,
  BpfMapOpError,
  HashMap,
  LpmTrieMap,
  MapOfMaps,
  PerfEventArrayMap,
  ProgArrayMap,
  QueueStackMap,
  RingbufMap,
  createMap,
  indexKey,
} from '../../src/runtime/maps/index.js';

/**
 * Map semantics of the native storage, from JavaScript and through the native BPF helpers
 * (the very functions JIT code calls): the kernel's flags, error codes, LRU eviction, per-CPU
 * slots, LPM matching, queue/stack order, ring buffer records. Runs on the host's build of the
 * addon; the JIT tests run the same helpers from arm64 code.
 */
const d = (over: Partial<MapDescription>): MapDescription => ({ name: 'm', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, ...over });
const u32 = (n: number) => indexKey(n);
const u64 = (n: bigint | number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
const num = (b: Uint8Array | undefined) => (b === undefined ? undefined : new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
const helper = (name: string) => addon().helperTable()[name]!;
const call = (name: string, ...args: bigint[]) => BigInt.asIntN(64, addon().callHelper(helper(name), ...([...args, 0n, 0n, 0n, 0n, 0n].slice(0, 5) as [bigint, bigint, bigint, bigint, bigint])));
/** a native scratch buffer (its address) for helper arguments */
const scratch = (bytes: Uint8Array) => {
  const b = Buffer.from(bytes);
  return { buf: b, addr: addon().bufferAddress(b) };
};

describe('hash maps', () => {
  it('BPF_ANY / BPF_NOEXIST / BPF_EXIST, -ENOENT, -EEXIST, -E2BIG when full', () => {
    const m = createMap(d({ name: 'flows' })) as HashMap;
    m.update(u32(1), u64(10));
    expect(num(m.lookup(u32(1)))).toBe(10n);
    expect(() => m.update(u32(1), u64(11), 1)).toThrow(/map 'flows': update: -EEXIST/);
    expect(() => m.update(u32(2), u64(11), 2)).toThrow(/-ENOENT/);
    m.update(u32(1), u64(12), 2);
    for (const k of [2, 3, 4]) m.update(u32(k), u64(k));
    const full = (() => {
      try {
        m.update(u32(5), u64(5));
      } catch (e) {
        return e as BpfMapOpError;
      }
    })();
    expect(full?.code).toBe('E2BIG');
    m.update(u32(4), u64(40)); // replacing an existing key in a full map works
    expect(m.delete(u32(9))).toBe(false);
    expect(m.delete(u32(2))).toBe(true);
    expect([...m.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort()).toEqual([1, 3, 4]);
    expect(m.size).toBe(3);
    m.close();
  });

  it('the native helpers see the same storage (map_lookup_elem returns a pointer into it)', () => {
    const m = createMap(d({})) as HashMap;
    const key = scratch(u32(7));
    const value = scratch(u64(0x1234));
    expect(call('map_update_elem', m.address, key.addr, value.addr, 0n)).toBe(0n);
    const p = call('map_lookup_elem', m.address, key.addr);
    expect(p).not.toBe(0n);
    expect(p >= m.storeAddress && p < m.storeAddress + 32n).toBe(true);
    expect(num(m.lookup(u32(7)))).toBe(0x1234n);
    expect(call('map_update_elem', m.address, key.addr, value.addr, 1n)).toBe(-17n); // -EEXIST
    expect(call('map_delete_elem', m.address, key.addr)).toBe(0n);
    expect(call('map_delete_elem', m.address, key.addr)).toBe(-2n);
    expect(call('map_lookup_elem', m.address, key.addr)).toBe(0n);
    m.close();
  });

  it('LRU: a full map evicts the least recently used element; BPF lookups refresh, user lookups do not', () => {
    const m = createMap(d({ type: MapType.LRU_HASH, maxEntries: 3 })) as HashMap;
    for (const k of [1, 2, 3]) m.update(u32(k), u64(k));
    const key1 = scratch(u32(1));
    expect(call('map_lookup_elem', m.address, key1.addr)).not.toBe(0n); // 1 is now most recent
    m.lookup(u32(2)); // user space: no refresh
    m.update(u32(4), u64(4)); // evicts 2
    expect(m.lookup(u32(2))).toBeUndefined();
    expect([1, 3, 4].every((k) => m.lookup(u32(k)) !== undefined)).toBe(true);
    m.close();
  });

  it('per-CPU: a program sees its CPU slot; user space sees every slot', () => {
    const m = createMap(d({ type: MapType.PERCPU_HASH, valueSize: 4 }), { cpus: 3 }) as HashMap;
    expect(m.userValueSize).toBe(24);
    const key = scratch(u32(1));
    const v = scratch(new Uint8Array([9, 0, 0, 0]));
    addon().setCpu(2);
    expect(call('map_update_elem', m.address, key.addr, v.addr, 0n)).toBe(0n);
    addon().setCpu(0);
    expect(m.lookupPerCpu(u32(1))!.map((s) => s[0])).toEqual([0, 0, 9]);
    m.update(u32(1), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]));
    addon().setCpu(1);
    const p = call('map_lookup_elem', m.address, key.addr);
    expect(addon().safeRead(p, 1)![0]).toBe(2);
    addon().setCpu(0);
    m.close();
  });
});

describe('arrays', () => {
  it('every element exists: -EEXIST for NOEXIST, -E2BIG past max_entries, delete -EINVAL', () => {
    const m = createMap(d({ type: MapType.ARRAY, maxEntries: 3, valueSize: 12 })) as ArrayMap;
    expect(m.at(2)).toEqual(new Uint8Array(12));
    m.set(1, new Uint8Array(12).fill(7));
    expect(() => m.update(u32(1), new Uint8Array(12), 1)).toThrow(/EEXIST/);
    expect(() => m.update(u32(3), new Uint8Array(12))).toThrow(/E2BIG/);
    expect(() => m.delete(u32(1))).toThrow(/EINVAL/);
    expect([...m.keys()].length).toBe(3);
    expect(m.inlineLayout()).toEqual({ valuesOffset: 64, elemSize: 16, maxEntries: 3 });
    // values are inline after the 64-byte header, 16 bytes apart
    expect(m.storeAddress).toBe(m.address + 64n);
    const key = scratch(u32(1));
    expect(call('map_lookup_elem', m.address, key.addr)).toBe(m.address + 64n + 16n);
    m.close();
  });

  it('per-CPU arrays keep round_up(value_size, 8) bytes per CPU', () => {
    const m = createMap(d({ type: MapType.PERCPU_ARRAY, maxEntries: 2, valueSize: 4 }), { cpus: 4 }) as ArrayMap;
    addon().setCpu(3);
    const key = scratch(u32(1));
    const p = call('map_lookup_elem', m.address, key.addr);
    expect(p).toBe(m.address + 64n + 32n + 24n);
    addon().setCpu(0);
    expect(m.inlineLayout()).toBeUndefined();
    m.close();
  });
});

describe('LPM trie', () => {
  it('longest prefix wins; exact identity for update/delete; -ENOSPC when full', () => {
    const m = createMap(d({ type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 3, flags: MapFlag.NO_PREALLOC })) as LpmTrieMap;
    const k = (len: number, ip: number[]) => LpmTrieMap.key(len, ip, 8);
    m.update(k(8, [10, 0, 0, 0]), u32(1));
    m.update(k(16, [10, 1, 0, 0]), u32(2));
    m.update(k(0, [0, 0, 0, 0]), u32(3));
    const route = (ip: number[]) => new DataView(m.lookup(k(32, ip))!.buffer).getUint32(0, true);
    expect(route([10, 1, 2, 3])).toBe(2);
    expect(route([10, 2, 2, 3])).toBe(1);
    expect(route([192, 168, 0, 1])).toBe(3);
    expect(() => m.update(k(24, [10, 1, 2, 0]), u32(4))).toThrow(/ENOSPC/);
    m.update(k(16, [10, 1, 99, 99]), u32(5)); // same /16 prefix: replaces
    expect(route([10, 1, 7, 7])).toBe(5);
    expect(m.delete(k(16, [10, 1, 0, 0]))).toBe(true);
    expect(route([10, 1, 7, 7])).toBe(1);
    expect(() => m.update(k(33, [0, 0, 0, 0]), u32(1))).toThrow(/EINVAL/);
    m.close();
  });
});

describe('queue and stack', () => {
  it('FIFO and LIFO order, -E2BIG when full unless BPF_EXIST drops the oldest', () => {
    const q = createMap(d({ type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 })) as QueueStackMap;
    q.push(u32(1));
    q.push(u32(2));
    expect(() => q.push(u32(3))).toThrow(/E2BIG/);
    q.push(u32(3), 2);
    expect(q.values().map((v) => v[0])).toEqual([2, 3]);
    expect(q.pop()![0]).toBe(2);
    const s = createMap(d({ type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 3 })) as QueueStackMap;
    for (const n of [1, 2, 3]) s.push(u32(n));
    const out = scratch(new Uint8Array(4));
    expect(call('map_peek_elem', s.address, out.addr)).toBe(0n);
    expect(out.buf[0]).toBe(3);
    expect(call('map_pop_elem', s.address, out.addr)).toBe(0n);
    expect(s.values().map((v) => v[0])).toEqual([2, 1]);
    expect(s.values().map((v) => v[0])).toEqual([2, 1]); // values() does not consume
    q.close();
    s.close();
  });
});

describe('ring buffer and perf event array', () => {
  it('reserve/submit/discard/output records reach JavaScript in order; full -> NULL / -EAGAIN', async () => {
    const rb = createMap(d({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 })) as RingbufMap;
    const got: number[][] = [];
    rb.onRecord((r) => got.push([...r]));
    const iter = rb.records();
    const p1 = call('ringbuf_reserve', rb.address, 3n, 0n);
    const p2 = call('ringbuf_reserve', rb.address, 5n, 0n);
    expect(p2 - p1).toBe(16n); // 8-byte header + 3 bytes rounded to 8
    expect(call('ringbuf_query', rb.address, 0n)).toBe(32n); // AVAIL_DATA
    const data = scratch(new Uint8Array([7, 7]));
    expect(call('ringbuf_output', rb.address, data.addr, 2n, 0n)).toBe(0n);
    call('ringbuf_discard', p2);
    expect(rb.poll()).toBe(0); // the first record is still busy
    call('ringbuf_submit', p1);
    expect(rb.poll()).toBe(2);
    expect(got.map((r) => r.length)).toEqual([3, 2]);
    expect((await iter.next()).value!.length).toBe(3);
    expect(call('ringbuf_reserve', rb.address, 1n, 1n)).toBe(0n); // flags must be 0
    expect(call('ringbuf_reserve', rb.address, 4090n, 0n)).toBe(0n); // 4098 > size - 1
    expect(call('ringbuf_query', rb.address, 1n)).toBe(4096n);
    // fill, wrap around: records are contiguous in the data area
    for (let i = 0; i < 20; i++) {
      const rec = call('ringbuf_reserve', rb.address, 1000n, 0n);
      expect(rec).not.toBe(0n);
      call('ringbuf_submit', rec);
      expect(rb.consume().map((r) => r.length)).toEqual([1000]);
    }
    const big = scratch(new Uint8Array(3000));
    expect(call('ringbuf_output', rb.address, big.addr, 3000n, 0n)).toBe(0n);
    expect(call('ringbuf_output', rb.address, big.addr, 3000n, 0n)).toBe(-11n); // -EAGAIN
    expect(call('ringbuf_output', rb.address, big.addr, 1n, 4n)).toBe(-22n);
    rb.close();
  });

  it('perf_event_output: records per CPU index, BPF_F_CURRENT_CPU, -E2BIG past max_entries', () => {
    const pe = createMap(d({ type: MapType.PERF_EVENT_ARRAY, valueSize: 4, maxEntries: 2 })) as PerfEventArrayMap;
    const data = scratch(new Uint8Array([1, 2, 3]));
    addon().setCpu(1);
    expect(call('perf_event_output', 0n, pe.address, 0xffff_ffffn, data.addr, 3n)).toBe(0n);
    addon().setCpu(0);
    expect(call('perf_event_output', 0n, pe.address, 0n, data.addr, 2n)).toBe(0n);
    expect(call('perf_event_output', 0n, pe.address, 5n, data.addr, 2n)).toBe(-7n);
    expect(pe.consume()).toEqual([{ cpu: 1, data: new Uint8Array([1, 2, 3]) }, { cpu: 0, data: new Uint8Array([1, 2]) }]);
    pe.close();
  });
});

describe('references', () => {
  it('prog arrays and maps of maps hold addresses; a BPF lookup of a map of maps gives the inner map', () => {
    const inner = d({ name: 'inner', type: MapType.ARRAY, maxEntries: 1 });
    const outer = createMap(d({ name: 'outer', type: MapType.ARRAY_OF_MAPS, valueSize: 4, maxEntries: 2, inner })) as MapOfMaps;
    const a = createMap(inner);
    outer.setMap(u32(1), a);
    const key = scratch(u32(1));
    expect(call('map_lookup_elem', outer.address, key.addr)).toBe(a.address);
    const key0 = scratch(u32(0));
    expect(call('map_lookup_elem', outer.address, key0.addr)).toBe(0n);
    expect(() => outer.setMap(u32(0), createMap({ ...inner, maxEntries: 2 }))).toThrow(/max_entries differs/);
    const pa = createMap(d({ name: 'jumps', type: MapType.PROG_ARRAY, valueSize: 4, maxEntries: 4 })) as ProgArrayMap;
    pa.set(2, { descriptor: 0x1000n, name: 'p', programType: 'sched_cls' });
    expect(addon().safeRead(pa.address + 64n + 16n, 8)!.readBigUInt64LE(0)).toBe(0x1000n);
    expect(addon().safeRead(pa.address + 12n, 4)!.readUInt32LE(0)).toBe(4); // max_entries
  });

  it('refuses bad definitions with the map named', () => {
    expect(() => createMap(d({ name: 'bad', keySize: 0 }))).toThrow(/map 'bad': key_size is 0/);
    expect(() => createMap(d({ name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 5000 }))).toThrow(/map 'rb'.*power-of-2/);
  });
});
