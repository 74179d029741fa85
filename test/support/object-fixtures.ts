import { readFileSync } from 'node:fs';
import { openObject, type BpfObjectFile, type OpenOptions } from '../../src/object/index.js';
import { PerfEventArrayMap, QueueStackMap, RingbufMap } from '../../src/runtime/maps/index.js';
import { compileBpfSource } from './bpf-clang.js';

/** The C programs of test/fixtures/programs, compiled with clang-22 at test time (once per file). */
export const PROGRAMS = new URL('../fixtures/programs/', import.meta.url);
const compiled = new Map<string, Uint8Array>();

export function fixtureBytes(name: string, flags: readonly string[] = []): Uint8Array {
  const key = `${name} ${flags.join(' ')}`;
  let bytes = compiled.get(key);
  if (!bytes) {
    bytes = compileBpfSource(readFileSync(new URL(`${name}.c`, PROGRAMS), 'utf8'), { name, flags });
    compiled.set(key, bytes);
  }
  return bytes;
}

export function openFixture(name: string, options: OpenOptions = {}, flags: readonly string[] = []): BpfObjectFile {
  return openObject(fixtureBytes(name, flags), { cpus: 2, name: `${name}.o`, ...options });
}

const hex = (b: Uint8Array | undefined): string => (b === undefined ? '-' : Buffer.from(b).toString('hex'));

/**
 * Every map's contents as text (sorted entries; queues in order; ring and perf records
 * consumed), for comparing two objects after the same runs.
 */
export function dumpMaps(obj: BpfObjectFile): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of obj.allMaps()) {
    if (m instanceof RingbufMap) out[m.name] = m.consume().map((r) => hex(r));
    else if (m instanceof PerfEventArrayMap) out[m.name] = m.consume().map((r) => `${r.cpu}:${hex(r.data)}`);
    else if (m instanceof QueueStackMap) out[m.name] = m.values().map((v) => hex(v));
    else if (m.info.name === 'prog_array' || m.info.family === 'map_in_map') out[m.name] = [...m.entries()].map(([k, v]) => `${hex(k)}=${v.some((x) => x !== 0) ? 'set' : '0'}`);
    else out[m.name] = [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
  }
  return out;
}
