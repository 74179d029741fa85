import { describe, expect, it } from 'vitest';
import { interpret, loadBpfObject } from '../../src/bpf/index.js';
import { BpfLinkError, linkForInterpreter } from '../../src/bpf/object-linker.js';
import { ObjectProgram } from '../../src/jit/object-program.js';
import { NativeLibrary, NativeLibraryError } from '../../src/runtime/native-library.js';
import { readFileSync } from 'node:fs';
import { CLANG, GLOBALS_C, compileBpf, globalsExpected, haveTool, tempDir } from './support.js';

// The library side of `a64jit run prog.o`, in process: the JIT twin of the interpreter's
// linker, and shared-library symbols through koffi.

describe('NativeLibrary', () => {
  it("gives a symbol's code address, undefined for a missing one, and a clear error for a bad library", () => {
    const libc = NativeLibrary.open('libc.so.6');
    try {
      expect(libc.symbolAddress('strlen')).toBeTypeOf('bigint');
      expect(libc.symbolAddress('strlen')).not.toBe(0n);
      expect(libc.symbolAddress('no_such_symbol_a64jit')).toBeUndefined();
    } finally {
      libc.close();
    }
    expect(() => NativeLibrary.open('/nonexistent/libx.so')).toThrow(NativeLibraryError);
    expect(() => NativeLibrary.open('/nonexistent/libx.so')).toThrow(/cannot open shared library \/nonexistent\/libx\.so/);
  });
});

describe.skipIf(!haveTool(CLANG))('ObjectProgram', () => {
  const dir = tempDir('objprog');
  const obj = loadBpfObject(new Uint8Array(readFileSync(compileBpf(dir, 'globals', GLOBALS_C))));

  it('runs a linked object like the interpreter does, with its data in buffers it keeps', () => {
    const program = obj.programs[0]!;
    const link = linkForInterpreter(obj, program);
    const interp = interpret(program.insns, { memory: link.memory, natives: link.natives, resolvePseudo: link.resolvePseudo }).value;
    const jit = ObjectProgram.load(obj, 'mix_names');
    try {
      expect(jit.run()).toBe(globalsExpected());
      expect(interp).toBe(globalsExpected());
      // the program stored its result into `counter` (.data) in place; a second run sees it
      const data = obj.data.findIndex((d) => d.name === '.data');
      expect(jit.images[data]!.readBigUInt64LE(0)).toBe(globalsExpected());
      expect(jit.run()).not.toBe(globalsExpected());
    } finally {
      jit.free();
    }
  });

  it('binds externs from libraries by name, and lists what is missing', () => {
    const ext = loadBpfObject(
      new Uint8Array(readFileSync(compileBpf(dir, 'strlen', 'extern unsigned long strlen(const char *) __attribute__((section(".ksyms")));\n__attribute__((section("tc"), used)) unsigned long f(const char *ctx) { return strlen(ctx); }\n'))),
    );
    const libc = NativeLibrary.open('libc.so.6');
    try {
      const prog = ObjectProgram.load(ext, 'f', { libraries: [libc] });
      try {
        expect(prog.run(Buffer.from('eleven char\0'))).toBe(11n);
        expect([...prog.natives.values()].map((n) => n.name)).toEqual(['strlen']);
      } finally {
        prog.free();
      }
    } finally {
      libc.close();
    }
    expect(() => ObjectProgram.load(ext, 'f')).toThrow(BpfLinkError);
    expect(() => ObjectProgram.load(ext, 'f')).toThrow(/unresolved extern function 'strlen' \(called at pc \d+\): no native library was given/);
  });
});
