// The AAPCS64 conformance matrix on arm64 (natively, or under qemu on x86_64 via npm test):
// JS -> probe through koffi, stub -> C and C -> probe with gcc and clang, stub -> JS callback.
import { beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/abi/classify.js';
import { findCompiler, oracleLibrary } from '../../src/abi/c-oracle.js';
import {
  DEFECT_B_ID,
  DEFECT_C,
  DEFECT_C_SIGNATURE,
  cToProbe,
  corpus,
  koffiToProbe,
  reproduceDefectB,
  runMatrix,
  stubToC,
  type DirectionRun,
  type MatrixReport,
} from '../../src/abi/index.js';
import { parseSignature } from '../../src/abi/signature-text.js';
import { bufferAddress } from '../../src/runtime/index.js';

const ctx = { variant: 'aapcs64' as const, seed: 1 };
let report: MatrixReport;
const run = (id: string): DirectionRun => {
  const r = report.runs.find((x) => x.id === id);
  if (!r) throw new Error(`direction ${id} did not run: ${JSON.stringify(report.unavailable)}`);
  return r;
};
const count = (r: DirectionRun, status: string) => r.outcomes.filter((o) => o.status === status).length;

beforeAll(async () => {
  report = await runMatrix({ seed: 1, count: 700, variant: 'aapcs64' });
}, 900_000);

describe('direction 2: the C compilers agree with the model', () => {
  for (const id of ['stub-to-gcc', 'stub-to-clang', 'gcc-to-probe', 'clang-to-probe']) {
    it(`${id}: every signature passes, at least 500`, () => {
      const r = run(id);
      const bad = r.outcomes.filter((o) => o.status !== 'pass');
      expect(bad.map((o) => `${o.id} ${o.signature} ${o.reason ?? ''} ${JSON.stringify(o.mismatches)}`)).toEqual([]);
      expect(count(r, 'pass')).toBeGreaterThanOrEqual(500);
    });
  }
});

describe('direction 1: JavaScript -> probe through koffi', () => {
  it('at least 500 signatures pass; every failure is koffi defect C, recognised by its own model', () => {
    const r = run('koffi-to-probe');
    expect(count(r, 'pass')).toBeGreaterThanOrEqual(500);
    const unexpected = r.outcomes.filter((o) => o.status === 'fail');
    expect(unexpected.map((o) => `${o.id} ${o.signature} ${o.reason ?? ''} ${JSON.stringify(o.mismatches)}`)).toEqual([]);
    for (const o of r.outcomes.filter((x) => x.status === 'known')) expect(o.known).toBe(DEFECT_C);
  });
  it('skips only what koffi cannot express', () => {
    for (const o of run('koffi-to-probe').outcomes.filter((x) => x.status === 'skipped')) expect(o.reason).toMatch(/^koffi (has no|rejects)/);
  });
  it('defect C: the minimal reproduction fails in koffi while gcc and clang place it as the model does', () => {
    const sig = parseSignature(DEFECT_C_SIGNATURE, 'defect-c');
    const k = koffiToProbe(sig, ctx);
    expect(k.known).toBe(DEFECT_C);
    expect(k.mismatches.map((m) => `${m.what} ${m.expected} ${m.found}`)).toEqual([
      'arg 8 ({f64,f64}) stack+0 starts there but later bytes differ (overwritten or missing)',
      'arg 9 (f64) stack+16 found at stack+8',
    ]);
    for (const id of ['gcc', 'clang'] as const) {
      const lib = oracleLibrary(findCompiler(id)!, [sig]);
      const io = Buffer.alloc(256);
      lib.setIo(bufferAddress(io));
      expect(stubToC(lib, io, 0, ctx)).toEqual([]);
      expect(cToProbe(lib, io, 0, ctx)).toEqual([]);
    }
  });
});

describe('direction 3: caller stub -> JavaScript callback through koffi.register', () => {
  it('passes every signature whose arguments all fit in registers', () => {
    const r = run('stub-to-koffi-callback');
    const regsOnly = r.outcomes.filter((o) => o.status !== 'skipped' && classify(parseSignature(o.signature)).stackBytes === 0);
    expect(regsOnly.length).toBeGreaterThan(200);
    expect(regsOnly.filter((o) => o.status !== 'pass').map((o) => `${o.id} ${o.signature} ${JSON.stringify(o.mismatches)}`)).toEqual([]);
  });
  it('reports defect B as a known failure for stack arguments, with its reproduction; nothing else fails', () => {
    const r = run('stub-to-koffi-callback');
    expect(r.outcomes.filter((o) => o.status === 'fail').map((o) => `${o.id} ${o.signature}`)).toEqual([]);
    const known = r.outcomes.filter((o) => o.status === 'known');
    expect(known.length).toBeGreaterThan(20);
    for (const o of known) expect(o.known!.startsWith(DEFECT_B_ID)).toBe(true);
    const b = r.knownDefects.find((d) => d.id === DEFECT_B_ID)!;
    expect(b.reproduction).toContain('defect reproduced');
  });
  it('skips only callbacks koffi cannot express or that defect B would turn into a crash', () => {
    for (const o of run('stub-to-koffi-callback').outcomes.filter((x) => x.status === 'skipped'))
      expect(o.reason).toMatch(/^(koffi (has no|rejects|callbacks cannot)|not run: a by-reference argument on the stack)/);
  });
  it('minimal reproduction of defect B: the 9th argument is not the caller\'s and the 10th holds the 9th', () => {
    const r = reproduceDefectB(ctx);
    expect(r.received.slice(0, 8)).toEqual(r.expected.slice(0, 8));
    expect(r.received[8]).not.toBe(r.expected[8]);
    expect(r.received[9]).toBe(r.expected[8]);
    expect(r.reproduced).toBe(true);
  });
});

describe('the checker detects misplacement', () => {
  it('checking Linux compilers against the Apple model reports packed stack arguments and variadic arguments as misplaced', () => {
    const sigs = [parseSignature('void(i64,i64,i64,i64,i64,i64,i64,i64,i8,i16,i32)'), parseSignature('void(i32,...,f64,i64)')];
    const lib = oracleLibrary(findCompiler('gcc')!, sigs);
    const io = Buffer.alloc(256);
    lib.setIo(bufferAddress(io));
    const apple = { variant: 'apple' as const, seed: 1 };
    expect(cToProbe(lib, io, 0, apple).map((m) => `${m.what}: ${m.expected} ${m.found}`)).toEqual([
      'arg 9 (i16): stack+2 found at stack+8',
      'arg 10 (i32): stack+4 found at stack+16',
    ]);
    expect(cToProbe(lib, io, 1, apple).map((m) => `${m.what}: ${m.expected} ${m.found}`)).toEqual([
      'arg 1 (f64, variadic): stack+0 found at v0',
      'arg 2 (i64, variadic): stack+8 found at x1',
    ]);
    expect(stubToC(lib, io, 1, apple).length).toBe(2);
  });
  it('the matrix ran all eight built-in directions over the corpus and 700 random signatures', () => {
    expect(report.runs.map((r) => r.id)).toEqual([
      'koffi-to-probe',
      'stub-to-gcc',
      'stub-to-clang',
      'gcc-to-probe',
      'clang-to-probe',
      'stub-to-koffi-callback',
      'jit-to-gcc',
      'jit-to-clang',
    ]);
    expect(report.signatures).toBe(corpus().length + 700);
  });
});
