import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { MAX_SEED, hexBytes, seededBytes } from './input.js';

/**
 * Benchmark suites: `suite.json` (the corpus manifest of CONTRACTS.md), or a directory holding
 * one, or a directory of programs. The manifest is a JSON array of entries:
 *
 *   { "name": "crc32",            unique; letters, digits, '_', '-', '.'
 *     "source": "crc32.c",        relative to the manifest: .c (compiled with clang-22 -target
 *                                 bpf -O2), or a .o / .s / .bin BPF program
 *     "entry": "bench",           the function / ELF program (default "bench")
 *     "input": { "hex": "01 02" } | { "size": 4096, "seed": 7 },  the buffer (default: none);
 *                                 seeded bytes are xorshift32's (input.ts)
 *     "expect": "0x1c291ca3",     R0 every run must return: "0x..." hex or decimal, as a string
 *                                 or a safe integer (default: not checked)
 *     "type": "xdp",              program type when not a plain buffer (default: plain)
 *     "repeat": 1000 }            runs per sample to start from (default: calibrated)
 *
 * Every mistake is a BenchSuiteError naming the file, the entry and the field.
 */

export interface SuiteEntry {
  readonly name: string;
  /** absolute path of the program's source */
  readonly source: string;
  readonly entry: string;
  readonly input: Uint8Array;
  /** how the input was given, for reports */
  readonly inputText: string;
  readonly expect?: bigint;
  readonly type?: string;
  readonly repeat?: number;
}

export interface Suite {
  /** the manifest, or the directory scanned */
  readonly file: string;
  readonly entries: readonly SuiteEntry[];
}

export class BenchSuiteError extends Error {
  override readonly name = 'BenchSuiteError';
}

export const SOURCE_EXTENSIONS = ['.c', '.o', '.s', '.bin'] as const;
const ENTRY_FIELDS = ['name', 'source', 'entry', 'input', 'expect', 'type', 'repeat'] as const;
const NAME = /^[A-Za-z0-9_.-]+$/;

/** R0 as written in a manifest or on the command line: hex ("0x..."), decimal, or a safe integer. */
export function parseExpected(value: unknown): bigint | string {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt.asUintN(64, BigInt(value)) : `${value} is not a safe integer (write large values as a "0x..." string)`;
  if (typeof value !== 'string') return 'must be a string ("0x..." or decimal) or an integer';
  const text = value.trim();
  if (!/^(0x[0-9a-fA-F]+|-?[0-9]+)$/.test(text)) return `'${value}' is neither "0x..." hex nor decimal`;
  const n = BigInt(text);
  if (n >= 1n << 64n || n < -(1n << 63n)) return `'${value}' does not fit in 64 bits`;
  return BigInt.asUintN(64, n);
}

function entryOf(raw: unknown, index: number, file: string, base: string): SuiteEntry {
  const where = (field?: string): string => {
    const name = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string' ? ` (${(raw as { name: string }).name})` : '';
    return `${file}: entry ${index}${name}${field ? `: ${field}` : ''}`;
  };
  const fail = (field: string | undefined, why: string): never => {
    throw new BenchSuiteError(`${where(field)}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(undefined, 'must be an object');
  const e = raw as Record<string, unknown>;
  for (const key of Object.keys(e)) if (!(ENTRY_FIELDS as readonly string[]).includes(key)) fail(key, `unknown field (known: ${ENTRY_FIELDS.join(', ')})`);
  if (typeof e.name !== 'string' || !NAME.test(e.name)) fail('name', 'must be a name of letters, digits, _ - .');
  if (typeof e.source !== 'string' || e.source === '') fail('source', 'must be a file name');
  const source = resolve(base, e.source as string);
  if (!(SOURCE_EXTENSIONS as readonly string[]).includes(extname(source))) fail('source', `must end in ${SOURCE_EXTENSIONS.join(', ')}`);
  if (!existsSync(source)) fail('source', `${source} does not exist`);
  if (e.entry !== undefined && (typeof e.entry !== 'string' || e.entry === '')) fail('entry', 'must be a function name');
  let input: Uint8Array = new Uint8Array(0);
  let inputText = 'none';
  if (e.input !== undefined) {
    const i = e.input as Record<string, unknown>;
    if (typeof i !== 'object' || i === null || Array.isArray(i)) fail('input', 'must be { "hex": ... } or { "size": N, "seed": S }');
    const keys = Object.keys(i).sort().join(',');
    if (keys === 'hex') {
      if (typeof i.hex !== 'string') fail('input.hex', 'must be a string of hex digits');
      const bytes = hexBytes(i.hex as string);
      if (typeof bytes === 'string') fail('input.hex', bytes);
      input = bytes as Uint8Array;
      inputText = `${input.length} bytes`;
    } else if (keys === 'seed,size' || keys === 'size') {
      if (!Number.isSafeInteger(i.size) || (i.size as number) < 0 || (i.size as number) > 64 * 1024 * 1024) fail('input.size', 'must be an integer from 0 to 67108864');
      if (i.seed !== undefined && (!Number.isSafeInteger(i.seed) || (i.seed as number) < 0 || (i.seed as number) > MAX_SEED)) fail('input.seed', `must be an integer from 0 to ${MAX_SEED} (the state is 32 bits)`);
      input = seededBytes(i.size as number, (i.seed as number | undefined) ?? 0);
      inputText = `${i.size} bytes, seed ${(i.seed as number | undefined) ?? 0}`;
    } else {
      fail('input', `has fields ${keys || 'none'}; give either "hex", or "size" and "seed"`);
    }
  }
  let expect: bigint | undefined;
  if (e.expect !== undefined) {
    const v = parseExpected(e.expect);
    if (typeof v === 'string') fail('expect', v);
    expect = v as bigint;
  }
  if (e.type !== undefined && (typeof e.type !== 'string' || e.type === '')) fail('type', 'must be a program type name');
  if (e.repeat !== undefined && (!Number.isSafeInteger(e.repeat) || (e.repeat as number) < 1)) fail('repeat', 'must be a positive integer');
  return {
    name: e.name as string,
    source,
    entry: (e.entry as string | undefined) ?? 'bench',
    input,
    inputText,
    ...(expect === undefined ? {} : { expect }),
    ...(e.type === undefined ? {} : { type: e.type as string }),
    ...(e.repeat === undefined ? {} : { repeat: e.repeat as number }),
  };
}

/** Entries of a manifest's text (for tests and callers with the JSON in hand). */
export function parseSuite(text: string, file: string): Suite {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BenchSuiteError(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new BenchSuiteError(`${file}: must be a JSON array of entries`);
  if (raw.length === 0) throw new BenchSuiteError(`${file}: has no entries`);
  const entries = raw.map((r, i) => entryOf(r, i, file, dirname(resolve(file))));
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.name)) throw new BenchSuiteError(`${file}: entry ${i} (${e.name}): name: used twice`);
    seen.add(e.name);
  });
  return { file, entries };
}

/**
 * A suite from a manifest, a directory with suite.json, or a directory of programs (each
 * .c/.o/.s/.bin file one entry named after it, entry "bench", no input, no expected result).
 */
export function loadSuite(path: string): Suite {
  if (!existsSync(path)) throw new BenchSuiteError(`${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return parseSuite(readFileSync(path, 'utf8'), path);
  const manifest = join(path, 'suite.json');
  if (existsSync(manifest)) return parseSuite(readFileSync(manifest, 'utf8'), manifest);
  const files = readdirSync(path)
    .filter((f) => (SOURCE_EXTENSIONS as readonly string[]).includes(extname(f)))
    .sort();
  if (files.length === 0) throw new BenchSuiteError(`${path}: no suite.json and no programs (${SOURCE_EXTENSIONS.join(', ')})`);
  const names = new Map<string, string>();
  const entries = files.map((f) => {
    const name = basename(f, extname(f));
    if (names.has(name)) throw new BenchSuiteError(`${path}: ${names.get(name)} and ${f} would both be entry '${name}'; write a suite.json`);
    names.set(name, f);
    return { name, source: resolve(path, f), entry: 'bench', input: new Uint8Array(0), inputText: 'none' };
  });
  return { file: path, entries };
}
