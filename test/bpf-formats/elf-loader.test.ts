import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disassemble } from '../../src/bpf/disassembler.js';
import { BpfLoadError } from '../../src/bpf/elf-error.js';
import { loadBpfObject, type BpfObject } from '../../src/bpf/elf-loader.js';
import { ElfFile } from '../../src/bpf/elf-reader.js';
import { CLANG, compileBpf, fixtures, FIXTURE_DIR } from './support/c-fixtures.js';
import { haveTool } from './support/llvm-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'a64jit-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) => fixtures().find((f) => f.name === name)!;
const objectBytes = (name: string, mcpu = 'v3', debug = true): Uint8Array =>
  new Uint8Array(readFileSync(compileBpf(fixture(name), mcpu, debug, dir)));
const load = (name: string, mcpu = 'v3', debug = true): BpfObject => loadBpfObject(objectBytes(name, mcpu, debug));

function compileSource(name: string, source: string): Uint8Array {
  const c = join(dir, `${name}.c`);
  const o = join(dir, `${name}.o`);
  writeFileSync(c, source);
  execFileSync(CLANG, ['-target', 'bpf', '-O2', '-mcpu=v3', '-g', '-I', FIXTURE_DIR, '-c', c, '-o', o], { stdio: 'pipe' });
  return new Uint8Array(readFileSync(o));
}

function loadError(bytes: Uint8Array): BpfLoadError {
  try {
    loadBpfObject(bytes);
  } catch (e) {
    if (e instanceof BpfLoadError) return e;
    throw e;
  }
  throw new Error('loaded without error');
}

describe.runIf(haveTool(CLANG))('ELF loader on clang-22 objects', () => {
  it('reads BTF-defined maps (.maps) from the BTF', () => {
    for (const mcpu of ['v1', 'v4']) {
      const obj = load('maps', mcpu);
      expect(obj.maps).toMatchObject([
        { name: 'pairs', type: 1, keySize: 4, valueSize: 16, maxEntries: 1024, flags: 0, definition: 'btf' },
        { name: 'blobs', type: 2, keySize: 4, valueSize: 48, maxEntries: 16, flags: 1024, definition: 'btf' },
      ]);
      // __type(key, T) / __type(value, T): the BTF ids of T, whose sizes are the map's
      const btf = obj.btf!;
      for (const m of obj.maps) {
        if (m.btfKeyTypeId !== undefined) expect(btf.sizeOf(m.btfKeyTypeId)).toBe(m.keySize);
        if (m.btfValueTypeId !== undefined) expect(btf.sizeOf(m.btfValueTypeId)).toBe(m.valueSize);
      }
      const p = obj.programs.find((q) => q.name === 'lookup')!;
      const maps = p.relocations.filter((r) => r.kind === 'map');
      expect(maps.map((r) => [r.symbol, r.kind === 'map' && r.map])).toEqual([['pairs', 0], ['blobs', 1]]);
      for (const r of maps) expect(p.insns[r.pc]).toMatchObject({ code: 0x18, src: 1, imm: r.kind === 'map' ? r.map : -1 });
    }
  });

  it('rejects BTF-defined maps without BTF (compiled without -g), like libbpf', () => {
    const e = loadError(objectBytes('maps', 'v3', false));
    expect(e.section).toBe('.maps');
    expect(e.reason).toMatch(/need a \.BTF section/);
  });

  it('reads legacy maps (struct bpf_map_def in SEC("maps"))', () => {
    expect(load('legacy_maps', 'v2', false).maps).toEqual([
      { name: 'counts', type: 2, keySize: 4, valueSize: 8, maxEntries: 64, flags: 0, definition: 'legacy' },
      { name: 'table', type: 1, keySize: 16, valueSize: 32, maxEntries: 4096, flags: 1, definition: 'legacy' },
    ]);
  });

  it('turns global data references into LDDW src 2 with the offset folded in', () => {
    const obj = load('globals');
    expect(obj.data.map((d) => [d.name, d.writable])).toEqual([
      ['.data', true], ['.bss', true], ['.rodata', false], ['.rodata.str1.1', false],
    ]);
    const strings = obj.programs.find((p) => p.name === 'strings')!;
    const refs = strings.relocations.filter((r) => r.kind === 'data');
    expect(refs.length).toBeGreaterThan(0);
    const text = new TextDecoder();
    for (const r of refs) {
      if (r.kind !== 'data') continue;
      expect(strings.insns[r.pc]).toMatchObject({ src: 2, imm: r.data });
      expect(strings.insns[r.pc + 1]!.imm).toBe(r.offset);
      // greeting and greeting + 7 (the + 7 may be folded into the LDDW or added later)
      expect(text.decode(obj.data[r.data]!.bytes.subarray(r.offset, r.offset + 16))).toMatch(/^hello, bpf world|^bpf world/);
    }
    // names[]: four pointers in .rodata to strings in .rodata.str1.1
    expect(obj.dataRelocations.map((r) => [obj.data[r.data]!.name, r.width, obj.data[r.target]!.name])).toEqual(
      Array(4).fill(['.rodata', 8, '.rodata.str1.1']),
    );
    const strs = obj.dataRelocations.map((r) => {
      const b = obj.data[r.target]!.bytes;
      return text.decode(b.subarray(r.targetOffset, b.indexOf(0, r.targetOffset)));
    });
    expect(strs).toEqual(['zero', 'one', 'two', 'three']);
    expect(disassemble(strings.insns).map((l) => l.text)).toContain(`r1 = map_value(0x2, ${'0x' + (refs[0]!.kind === 'data' ? refs[0]!.offset : 0).toString(16)}) ll`);
  });

  it('links BPF-to-BPF calls across sections and lists every entry point', () => {
    const obj = load('subprogs', 'v4');
    expect(obj.programs.map((p) => `${p.section}:${p.name}`).sort()).toEqual(
      ['.text:global_callee', 'socket:deep_calls', 'tc/helpers:mix', 'tc:calls_across_sections'].sort(),
    );
    const p = obj.programs.find((q) => q.name === 'calls_across_sections')!;
    expect(p.layout.map((l) => `${l.section}:${l.name}`).sort()).toEqual(
      ['tc:calls_across_sections', 'tc/helpers:mix', '.text:square_plus', '.text:global_callee'].sort(),
    );
    expect(p.layout[0]).toMatchObject({ name: 'calls_across_sections', pc: 0 });
    for (const r of p.relocations) {
      if (r.kind !== 'call') continue;
      expect(p.insns[r.pc]).toMatchObject({ code: 0x85, src: 1, imm: r.target - r.pc - 1 });
      expect(p.layout.find((l) => l.pc === r.target)?.name).toBe(r.symbol);
    }
  });

  it('keeps __ksym extern functions by name as CALL src 2', () => {
    const obj = load('externs', 'v1', false);
    expect(obj.externs.map((e) => e.name).sort()).toEqual(['native_mix', 'native_twice']);
    const p = obj.programs[0]!;
    const calls = p.relocations.filter((r) => r.kind === 'extern-call');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const r of calls) if (r.kind === 'extern-call') expect(p.insns[r.pc]).toMatchObject({ code: 0x85, src: 2, imm: r.extern });
  });

  it('links static functions on request and reports the license', () => {
    const obj = loadBpfObject(compileSource('lic', '#include "bpf-compat.h"\nchar _license[] SEC("license") = "GPL";\nstatic NOINLINE u64 helper(u64 x) { return x * x + 1; }\nSEC("tc") u64 prog(void *ctx) { return helper(*(volatile u8 *)ctx); }\n'), { entries: ['helper'] });
    expect(obj.license).toBe('GPL');
    expect(obj.programs.map((p) => p.name)).toEqual(['prog', 'helper']);
    expect(() => loadBpfObject(compileSource('lic2', 'int x;'), { entries: ['nope'] })).toThrow(BpfLoadError);
  });
});

describe.runIf(haveTool(CLANG))('ELF loader rejects bad input with BpfLoadError (section, file offset, reason)', () => {
  const good = (): Uint8Array => Uint8Array.from(objectBytes('globals', 'v3', false));
  const section = (bytes: Uint8Array, name: string) => new ElfFile(bytes).sections.find((s) => s.name === name)!;

  it('header problems', () => {
    expect(loadError(good().subarray(0, 40))).toMatchObject({ section: undefined, fileOffset: 0 });
    const b = good();
    b[18] = 62; // EM_X86_64
    expect(loadError(b)).toMatchObject({ section: undefined, fileOffset: 18, reason: expect.stringMatching(/e_machine 62/) });
    const c = good();
    c[5] = 2; // big-endian
    expect(loadError(c)).toMatchObject({ fileOffset: 5, reason: expect.stringMatching(/little-endian/) });
  });

  it('a section that runs past the end of the file', () => {
    const b = good();
    const text = section(b, '.text');
    new DataView(b.buffer).setBigUint64(text.headerOffset + 32, 1n << 40n, true);
    expect(loadError(b)).toMatchObject({ section: `section #${text.index}`, fileOffset: text.headerOffset });
  });

  it('unsupported and misplaced relocations', () => {
    const b = good();
    const rel = section(b, '.rel.text');
    const v = new DataView(b.buffer);
    v.setUint32(rel.offset + 8, 3, true); // R_BPF_64_ABS32 in code
    expect(loadError(b)).toMatchObject({ section: '.rel.text', fileOffset: rel.offset, reason: expect.stringMatching(/type 3 is not supported/) });
    const c = good();
    new DataView(c.buffer).setBigUint64(rel.offset, 12n, true); // not 8-aligned
    expect(loadError(c)).toMatchObject({ section: '.rel.text', fileOffset: rel.offset, reason: expect.stringMatching(/not an instruction/) });
    const d = good();
    new DataView(d.buffer).setUint32(rel.offset + 12, 0xffff, true); // symbol index
    expect(loadError(d)).toMatchObject({ section: '.rel.text', fileOffset: rel.offset, reason: expect.stringMatching(/symbol 65535/) });
  });

  it('extern variables are not supported', () => {
    const e = loadError(compileSource('extvar', '#include "bpf-compat.h"\nextern u64 some_var __ksym;\nSEC("tc") u64 p(void *ctx) { return some_var; }\n'));
    expect(e).toMatchObject({ section: 'tc', reason: expect.stringMatching(/extern variable 'some_var'/) });
  });
});
