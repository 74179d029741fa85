import type { BtfValue } from '../bpf/index.js';
import type { BpfObjectFile } from '../object/index.js';
import { ArrayMap, BpfMapOpError, MapOfMaps, PerfEventArrayMap, ProgArrayMap, QueueStackMap, RingbufMap, indexKey, type BpfMap } from '../runtime/maps/index.js';
import { CliInputError } from './command.js';

/**
 * Maps as JSON for `run --json` (their contents after the run) and `--map NAME=FILE` (a
 * preload): keys and values as hex strings, and, when the object has BTF for the map, typed
 * values (`key_btf`, `value_btf`; integers that do not fit a JSON number as strings).
 */

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** JSON-safe: bigint as a decimal string. */
export function jsonValue(v: BtfValue | undefined): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map((x) => jsonValue(x));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

export function mapContents(obj: BpfObjectFile, map: BpfMap): unknown {
  if (map instanceof RingbufMap) return { type: map.info.name, records: map.consume().map(hex) };
  if (map instanceof PerfEventArrayMap) return { type: map.info.name, records: map.consume().map((r) => ({ cpu: r.cpu, data: hex(r.data) })), lost: map.lost };
  if (map instanceof QueueStackMap) return { type: map.info.name, values: map.values().map(hex) };
  if (map instanceof ProgArrayMap) return { type: map.info.name, slots: Object.fromEntries([...map.slots()].map(([i, t]) => [String(i), t.name])) };
  if (map instanceof MapOfMaps) return { type: map.info.name, entries: [...map.entries()].map(([k]) => ({ key: hex(k), map: map.getMap(k)?.name ?? null })) };
  const typed = obj.codec !== undefined && map.description.btfKeyTypeId !== undefined && map.description.btfValueTypeId !== undefined ? obj.typed(map.name) : undefined;
  const entries = [...map.entries()].map(([k, v]) => {
    const e: Record<string, unknown> = { key: hex(k), value: hex(v) };
    if (typed) {
      e.key_btf = jsonValue(obj.codec!.decode(map.description.btfKeyTypeId!, k));
      e.value_btf = jsonValue(typed.get(obj.codec!.decode(map.description.btfKeyTypeId!, k)));
    }
    return e;
  });
  return { type: map.info.name, key_size: map.description.keySize, value_size: map.description.valueSize, ...(map.info.percpu ? { cpus: map.cpus } : {}), entries };
}

/** Every map of the object as JSON, by name. */
export function allMapContents(obj: BpfObjectFile): Record<string, unknown> {
  return Object.fromEntries(obj.allMaps().map((m) => [m.name, mapContents(obj, m)]));
}

/**
 * Preload a map from a file: JSON, an array of `{ "key": ..., "value": ... }` (hex strings,
 * numbers for array indexes, or BTF-typed values), `{ "value": ... }` entries pushed in order
 * for queues and stacks; or, for arrays, raw bytes: the values one after another.
 */
export function preloadMap(obj: BpfObjectFile, map: BpfMap, bytes: Uint8Array, file: string): number {
  const text = new TextDecoder().decode(bytes).trim();
  const fail = (why: string): never => {
    throw new CliInputError(`${file}: --map ${map.name}: ${why}`);
  };
  let json: unknown;
  if (text.startsWith('[')) {
    try {
      json = JSON.parse(text);
    } catch (e) {
      fail(`not valid JSON: ${(e as Error).message}`);
    }
  }
  if (json === undefined) {
    if (!(map instanceof ArrayMap)) fail('raw bytes preload arrays only; give a JSON array of { "key", "value" } entries');
    const size = map.userValueSize;
    if (bytes.length % size !== 0 || bytes.length / size > map.description.maxEntries) fail(`${bytes.length} bytes are not whole values of ${size} bytes for at most ${map.description.maxEntries} entries`);
    for (let i = 0; i < bytes.length / size; i++) map.update(indexKey(i), bytes.subarray(i * size, (i + 1) * size));
    return bytes.length / size;
  }
  if (!Array.isArray(json)) fail('the JSON must be an array of entries');
  const isHex = (v: unknown): v is string => typeof v === 'string' && /^(0x)?([0-9a-f]{2})+$/i.test(v);
  const raw = (v: string, size: number, what: string): Uint8Array => {
    const b = Buffer.from(v.replace(/^0x/i, ''), 'hex');
    if (b.length !== size) fail(`${what} ${v} is ${b.length} bytes, the map's ${what} size is ${size}`);
    return new Uint8Array(b);
  };
  let n = 0;
  for (const entry of json as unknown[]) {
    if (entry === null || typeof entry !== 'object') fail('each entry must be an object');
    const e = entry as { key?: unknown; value?: unknown };
    try {
      if (map instanceof QueueStackMap) {
        if (!isHex(e.value)) fail(`entry ${n}: a queue/stack value must be hex bytes`);
        map.push(raw(e.value as string, map.description.valueSize, 'value'));
      } else if ((isHex(e.key) || (typeof e.key === 'number' && map instanceof ArrayMap)) && isHex(e.value)) {
        const key = typeof e.key === 'number' ? indexKey(e.key) : raw(e.key as string, map.description.keySize, 'key');
        map.update(key, raw(e.value, map.userValueSize, 'value'));
      } else {
        // typed through the object's BTF: a number/object key and value (per-CPU: one value or one per CPU)
        if (obj.codec === undefined || map.description.btfKeyTypeId === undefined || map.description.btfValueTypeId === undefined) {
          fail(`entry ${n}: give hex bytes (the map has no BTF key/value types for typed values)`);
        }
        const key = isHex(e.key) ? obj.codec!.decode(map.description.btfKeyTypeId!, raw(e.key, map.description.keySize, 'key')) : (e.key as BtfValue);
        obj.typed(map.name).set(key, e.value as BtfValue);
      }
    } catch (err) {
      if (err instanceof BpfMapOpError || err instanceof TypeError || err instanceof RangeError) fail(`entry ${n}: ${err.message}`);
      throw err;
    }
    n++;
  }
  return n;
}
