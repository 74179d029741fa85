import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchSuiteError, hexBytes, loadSuite, parseExpected, parseSuite, seededBytes, xorshift32 } from '../../src/bench/index.js';
import { packageRoot } from '../../src/runtime/index.js';

const FIXTURES = join(packageRoot, 'test', 'fixtures', 'bench');
const HOST_CC = 'cc';

describe('seeded inputs (xorshift32)', () => {
  it('are the reference generator: the first outputs from seed 1, and seed 0 taken as 0x9e3779b9', () => {
    const first = (seed: number, n: number) => {
      const g = xorshift32(seed);
      return Array.from({ length: n }, () => g.next().value);
    };
    // Marsaglia's xorshift32 (13, 17, 5) from state 1, as his paper's generator gives it.
    expect(first(1, 3)).toEqual([270369, 67634689, 2647435461]);
    expect(first(0, 2)).toEqual(first(0x9e3779b9, 2));
  });

  it('lay the outputs out little-endian, cut the last one, and refuse seeds past 32 bits', () => {
    const bytes = seededBytes(11, 0);
    expect([...bytes.subarray(0, 8)]).toEqual([0x19, 0x46, 0x0c, 0x51, 0x3e, 0x55, 0x2e, 0xe0]);
    expect([...bytes.subarray(8)]).toEqual([0x3a, 0x8f, 0xb9]);
    expect(seededBytes(0, 5)).toHaveLength(0);
    expect(() => seededBytes(4, 2 ** 32)).toThrow('seed 4294967296 is outside 0..4294967295');
  });

  it("match an independent C implementation byte for byte, and the fixture suite's expected results are the C programs' own", () => {
    const dir = mkdtempSync(join(tmpdir(), 'a64jit-suite-'));
    const suite = loadSuite(FIXTURES);
    for (const e of suite.entries) {
      const driver = join(dir, e.name);
      execFileSync(HOST_CC, ['-O2', '-o', driver, join(FIXTURES, 'seeded-driver.c'), e.source]);
      const seeded = /^(\d+) bytes, seed (\d+)$/.exec(e.inputText);
      const args = seeded ? seeded.slice(1) : ['hex', Buffer.from(e.input).toString('hex')];
      expect(execFileSync(driver, args, { encoding: 'utf8' }).trim(), e.name).toBe(`0x${e.expect!.toString(16)}`);
    }
    // the bytes themselves: a C dump of the same stream
    const dump = join(dir, 'dump.c');
    writeFileSync(dump, 'unsigned long long bench(unsigned char *m, unsigned long long n) { unsigned long long h = 0; for (unsigned long long i = 0; i < n; i++) h = h * 131 + m[i]; return h; }\n');
    execFileSync(HOST_CC, ['-O2', '-o', join(dir, 'dump'), join(FIXTURES, 'seeded-driver.c'), dump]);
    for (const [size, seed] of [[1, 9], [13, 77], [4096, 123456789]] as const) {
      const js = seededBytes(size, seed).reduce((h, b) => BigInt.asUintN(64, h * 131n + BigInt(b)), 0n);
      expect(execFileSync(join(dir, 'dump'), [String(size), String(seed)], { encoding: 'utf8' }).trim()).toBe(`0x${js.toString(16)}`);
    }
  });
});

describe('suite manifests', () => {
  it('read the fixture suite: sources resolved beside the manifest, inputs made, expects parsed', () => {
    const suite = loadSuite(join(FIXTURES, 'suite.json'));
    expect(suite.entries.map((e) => e.name)).toEqual(['fnv1a', 'crc32', 'popcount', 'checksum']);
    expect(suite.entries[0]).toMatchObject({ source: join(FIXTURES, 'fnv1a.c'), entry: 'bench', inputText: '1024 bytes, seed 1', expect: 0x595e52025652f4n });
    expect(suite.entries[0]!.input).toEqual(seededBytes(1024, 1));
    expect(suite.entries[3]!.input).toEqual(hexBytes('45 00 00 3c 1c 46 40 00 40 06 00 00 ac 10 0a 63 ac 10 0a 0c'));
    expect(loadSuite(FIXTURES).entries).toHaveLength(4); // the directory: its suite.json
  });

  const bad: [string, string][] = [
    ['{}', 'x.json: must be a JSON array of entries'],
    ['[]', 'x.json: has no entries'],
    ['[1]', 'x.json: entry 0: must be an object'],
    ['[{"name": "a b", "source": "fnv1a.c"}]', 'x.json: entry 0 (a b): name: must be a name of letters, digits, _ - .'],
    ['[{"name": "a", "source": "nope.c"}]', `x.json: entry 0 (a): source: ${join(FIXTURES, 'nope.c')} does not exist`],
    ['[{"name": "a", "source": "suite.json"}]', 'x.json: entry 0 (a): source: must end in .c, .o, .s, .bin'],
    ['[{"name": "a", "source": "fnv1a.c", "inputs": {}}]', 'x.json: entry 0 (a): inputs: unknown field (known: name, source, entry, input, expect, type, repeat)'],
    ['[{"name": "a", "source": "fnv1a.c", "input": {"hex": "0g"}}]', "x.json: entry 0 (a): input.hex: 'g' is not a hex digit"],
    ['[{"name": "a", "source": "fnv1a.c", "input": {"hex": "abc"}}]', 'x.json: entry 0 (a): input.hex: 3 hex digits: not whole bytes'],
    ['[{"name": "a", "source": "fnv1a.c", "input": {"size": -1, "seed": 1}}]', 'x.json: entry 0 (a): input.size: must be an integer from 0 to 67108864'],
    ['[{"name": "a", "source": "fnv1a.c", "input": {"size": 1, "seed": 4294967296}}]', 'x.json: entry 0 (a): input.seed: must be an integer from 0 to 4294967295 (the state is 32 bits)'],
    ['[{"name": "a", "source": "fnv1a.c", "input": {"hex": "00", "size": 1}}]', 'x.json: entry 0 (a): input: has fields hex,size; give either "hex", or "size" and "seed"'],
    ['[{"name": "a", "source": "fnv1a.c", "expect": "0xzz"}]', `x.json: entry 0 (a): expect: '0xzz' is neither "0x..." hex nor decimal`],
    ['[{"name": "a", "source": "fnv1a.c", "expect": 1e300}]', 'x.json: entry 0 (a): expect: 1e+300 is not a safe integer (write large values as a "0x..." string)'],
    ['[{"name": "a", "source": "fnv1a.c", "repeat": 0}]', 'x.json: entry 0 (a): repeat: must be a positive integer'],
    ['[{"name": "a", "source": "fnv1a.c"}, {"name": "a", "source": "crc32.c"}]', 'x.json: entry 1 (a): name: used twice'],
    ['[{"name": "a", "source": "fnv1a.c"', 'x.json: not JSON: '],
  ];
  it.each(bad)('%s is refused, naming the entry and the field', (text, message) => {
    const file = join(FIXTURES, 'x.json');
    let error: unknown;
    try {
      parseSuite(text, file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BenchSuiteError);
    expect((error as Error).message.replaceAll(FIXTURES + '/', '')).toContain(message.replaceAll(FIXTURES + '/', ''));
  });

  it('take a directory of programs without a manifest: one entry per file, named after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'a64jit-suite-dir-'));
    writeFileSync(join(dir, 'b.s'), 'mov %r0, 1\nexit\n');
    writeFileSync(join(dir, 'a.c'), 'int bench(void) { return 0; }\n');
    writeFileSync(join(dir, 'notes.txt'), '');
    expect(loadSuite(dir).entries.map((e) => [e.name, e.entry, e.inputText])).toEqual([
      ['a', 'bench', 'none'],
      ['b', 'bench', 'none'],
    ]);
    writeFileSync(join(dir, 'a.o'), '');
    expect(() => loadSuite(dir)).toThrow(/a\.c and a\.o would both be entry 'a'; write a suite\.json/);
    expect(() => loadSuite(join(dir, 'missing'))).toThrow(/no such file or directory/);
  });

  it('parse expected results as hex, decimal or a safe integer, in 64 bits', () => {
    expect(parseExpected('0xff')).toBe(255n);
    expect(parseExpected('-1')).toBe(2n ** 64n - 1n);
    expect(parseExpected(42)).toBe(42n);
    expect(parseExpected('0x10000000000000000')).toMatch(/does not fit in 64 bits/);
    expect(parseExpected(true)).toMatch(/must be a string/);
  });
});
