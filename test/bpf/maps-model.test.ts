import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BpfMapError, MAP_TYPES, MapFlag, MapType, checkMapDescription, mapTypeByName, mapTypeName, withLibbpfDefaults, type MapDescription } from '../../src/bpf/maps.js';

const UAPI = '/usr/include/linux/bpf.h';

const desc = (over: Partial<MapDescription>): MapDescription => ({ name: 'm', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, ...over });
const errorOf = (d: MapDescription, opts = {}): { reason: string; errno: string; map: string } | undefined => {
  try {
    checkMapDescription(d, opts);
    return undefined;
  } catch (e) {
    if (!(e instanceof BpfMapError)) throw e;
    return { reason: e.message, errno: e.errno, map: e.map };
  }
};

describe('map types', () => {
  it('have the numbers of enum bpf_map_type', () => {
    if (!existsSync(UAPI)) throw new Error(`${UAPI} is missing: install linux-libc-dev (npm run setup)`);
    const text = readFileSync(UAPI, 'utf8');
    const body = text.slice(text.indexOf('enum bpf_map_type {'), text.indexOf('};', text.indexOf('enum bpf_map_type {')));
    const names = [...body.matchAll(/BPF_MAP_TYPE_([A-Z0-9_]+)/g)].map((m) => m[1]!).filter((n) => !n.endsWith('DEPRECATED'));
    names.forEach((n, i) => expect(MAP_TYPES[i]!.kernelName, `${i}`).toBe(`BPF_MAP_TYPE_${n}`));
    expect(mapTypeByName('lru_percpu_hash')?.id).toBe(10);
    expect(mapTypeByName('BPF_MAP_TYPE_RINGBUF')?.id).toBe(27);
    expect(mapTypeName(99)).toBe('type 99');
  });

  it('a64jit implements the families the issue lists', () => {
    const supported = MAP_TYPES.filter((t) => t.family !== undefined).map((t) => t.name);
    expect(supported).toEqual(['hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'queue', 'stack', 'ringbuf']);
  });
});

describe('map creation checks (the kernel map_alloc_check of each type)', () => {
  it('accept well-formed definitions of every supported type', () => {
    const inner = desc({ name: 'inner', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const good: MapDescription[] = [
      desc({}),
      desc({ type: MapType.ARRAY }),
      desc({ type: MapType.PERCPU_ARRAY, valueSize: 8 }),
      desc({ type: MapType.PERCPU_HASH }),
      desc({ type: MapType.LRU_HASH }),
      desc({ type: MapType.LRU_PERCPU_HASH, flags: MapFlag.NO_COMMON_LRU }),
      desc({ type: MapType.LPM_TRIE, keySize: 8, flags: MapFlag.NO_PREALLOC }),
      desc({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 256 * 1024 }),
      desc({ type: MapType.PERF_EVENT_ARRAY, valueSize: 4 }),
      desc({ type: MapType.PROG_ARRAY, valueSize: 4 }),
      desc({ type: MapType.ARRAY_OF_MAPS, valueSize: 4, inner }),
      desc({ type: MapType.HASH_OF_MAPS, valueSize: 4, inner }),
      desc({ type: MapType.QUEUE, keySize: 0 }),
      desc({ type: MapType.STACK, keySize: 0 }),
      desc({ flags: MapFlag.NO_PREALLOC | MapFlag.ZERO_SEED }),
    ];
    for (const d of good) expect(errorOf(d), `${mapTypeName(d.type)}`).toBeUndefined();
  });

  it('refuse inconsistent definitions with the kernel errno and the map name', () => {
    const cases: [Partial<MapDescription>, RegExp, string][] = [
      [{ keySize: 0 }, /key_size is 0/, 'EINVAL'],
      [{ valueSize: 0 }, /value_size is 0/, 'EINVAL'],
      [{ maxEntries: 0 }, /max_entries is 0/, 'EINVAL'],
      [{ type: 99 }, /unknown map type 99/, 'EINVAL'],
      [{ type: MapType.SOCKMAP }, /sockmap .* not supported/, 'ENOTSUPP'],
      [{ type: MapType.ARRAY, keySize: 8 }, /key_size must be 4/, 'EINVAL'],
      [{ keySize: 513 }, /MAX_BPF_STACK/, 'E2BIG'],
      [{ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 3 * 4096 }, /not a power-of-2 multiple of the page size/, 'EINVAL'],
      [{ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2048 }, /not a power-of-2 multiple/, 'EINVAL'],
      [{ type: MapType.RINGBUF, keySize: 4, valueSize: 0, maxEntries: 4096 }, /key_size must be 0/, 'EINVAL'],
      [{ type: MapType.PROG_ARRAY, valueSize: 8 }, /value_size must be 4/, 'EINVAL'],
      [{ type: MapType.ARRAY_OF_MAPS, valueSize: 4 }, /needs an inner map/, 'EINVAL'],
      [{ type: MapType.PERCPU_ARRAY, valueSize: 40000 }, /per-CPU value_size/, 'E2BIG'],
      [{ type: MapType.LPM_TRIE, keySize: 8 }, /BPF_F_NO_PREALLOC/, 'EINVAL'],
      [{ type: MapType.LPM_TRIE, keySize: 4, flags: MapFlag.NO_PREALLOC }, /key_size 4 is outside/, 'EINVAL'],
      [{ type: MapType.LRU_HASH, flags: MapFlag.NO_PREALLOC }, /always preallocated/, 'ENOTSUPP'],
      [{ flags: MapFlag.NO_COMMON_LRU }, /only for LRU/, 'EINVAL'],
      [{ flags: MapFlag.MMAPABLE }, /does not accept/, 'EINVAL'],
      [{ type: MapType.QUEUE, keySize: 4 }, /key_size must be 0/, 'EINVAL'],
      [{ type: MapType.ARRAY, valueSize: 1 << 20, maxEntries: 2048 }, /limit/, 'E2BIG'],
    ];
    for (const [over, re, errno] of cases) {
      const e = errorOf(desc({ name: 'flows', ...over }));
      expect(e, JSON.stringify(over)).toBeDefined();
      expect(e!.reason).toMatch(re);
      expect(e!.reason.startsWith("map 'flows': ")).toBe(true);
      expect(e!.errno).toBe(errno);
    }
    const inner = desc({ name: 'nested', type: MapType.ARRAY_OF_MAPS, valueSize: 4, inner: desc({ type: MapType.ARRAY }) });
    expect(errorOf(desc({ type: MapType.ARRAY_OF_MAPS, valueSize: 4, inner }))!.reason).toMatch(/inner map 'nested' is itself a map of maps/);
    expect(errorOf(desc({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 16384 }), { pageSize: 65536 })!.reason).toMatch(/page size 65536/);
  });

  it("libbpf's perf event array default: one entry per CPU", () => {
    expect(withLibbpfDefaults(desc({ type: MapType.PERF_EVENT_ARRAY, valueSize: 4, maxEntries: 0 }), 6).maxEntries).toBe(6);
    expect(withLibbpfDefaults(desc({ maxEntries: 0 }), 6).maxEntries).toBe(0);
  });
});
