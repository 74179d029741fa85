/**
 * The C compilers as the oracle for the model. For a batch of signatures this writes ONE C file
 * with, per signature,
 *  - a callee `abi_callee_<n>` that copies the bytes of every parameter (va_arg for variadic
 *    ones) into an exchange buffer and returns a result read from it, and
 *  - a caller `abi_caller_<n>(fn)` that reads argument values from the exchange buffer, calls fn
 *    with them and stores the result back,
 * compiles it for arm64 with gcc and with clang into shared objects (in a temp dir, never
 * committed), and loads them through koffi. The file is hermetic (no libc headers): only
 * compiler builtins, so any arm64-targeting gcc or clang works.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { koffi } from '../runtime/index.js';
import { formatSignature, formatType } from './signature-text.js';
import { layoutOf, roundUp, type AbiType, type ScalarKind, type Signature } from './types.js';

export class COracleError extends Error {
  override readonly name = 'COracleError';
}

const C_NAMES: Readonly<Record<ScalarKind, string>> = {
  i8: 'signed char', u8: 'unsigned char', i16: 'short', u16: 'unsigned short', i32: 'int', u32: 'unsigned int',
  i64: 'long long', u64: 'unsigned long long', i128: '__int128', ptr: 'void *', f32: 'float', f64: 'double',
  f128: 'long double', v64: 'abi_v64', v128: 'abi_v128',
};

/** Where a signature's values live in the exchange buffer. */
export interface IoLayout {
  readonly args: readonly number[];
  readonly resultIn: number;
  readonly resultOut: number;
  readonly size: number;
}

export function ioLayout(sig: Signature): IoLayout {
  let at = 0;
  const args = sig.params.map((t) => {
    const o = at;
    at = roundUp(at + layoutOf(t).size, 16);
    return o;
  });
  const rs = sig.result ? roundUp(layoutOf(sig.result).size, 16) : 0;
  const resultIn = at;
  const resultOut = at + rs;
  return { args, resultIn, resultOut, size: resultOut + rs };
}

/** C declarations of every struct type a batch uses, named abi_s<k>, dependencies first. */
class StructNames {
  readonly names = new Map<string, string>();
  readonly defs: string[] = [];
  cType(t: AbiType): string {
    if (t.kind === 'scalar') return C_NAMES[t.scalar];
    const key = formatType(t);
    const known = this.names.get(key);
    if (known) return known;
    const members = t.members.map((m, i) => {
      const ct = this.cType(m.type);
      const align = i === 0 && t.align !== undefined ? `_Alignas(${t.align}) ` : '';
      return `${align}${ct} m${i}${m.count > 1 ? `[${m.count}]` : ''};`;
    });
    const name = `struct abi_s${this.names.size}`;
    this.names.set(key, name);
    this.defs.push(`${name} { ${members.join(' ')} }; /* ${key} */`);
    return name;
  }
}

/** The C source for a batch; signature n of the batch is abi_callee_<n> / abi_caller_<n>. */
export function generateC(signatures: readonly Signature[]): string {
  const structs = new StructNames();
  const funcs: string[] = [];
  signatures.forEach((sig, n) => {
    const io = ioLayout(sig);
    const types = sig.params.map((t) => structs.cType(t));
    const rt = sig.result ? structs.cType(sig.result) : 'void';
    const named = sig.variadicFrom ?? sig.params.length;
    if (sig.variadicFrom !== undefined && named === 0) throw new COracleError(`${sig.id}: C needs a named parameter before '...'`);
    const protoParams = types.slice(0, named).map((t, i) => `${t} a${i}`);
    if (sig.variadicFrom !== undefined) protoParams.push('...');
    const paramList = protoParams.length ? protoParams.join(', ') : 'void';
    // callee
    const body: string[] = [];
    if (sig.variadicFrom !== undefined) body.push(`  __builtin_va_list ap; __builtin_va_start(ap, a${named - 1});`);
    types.forEach((t, i) => {
      if (i < named) body.push(`  __builtin_memcpy(abi_io + ${io.args[i]}, &a${i}, sizeof a${i});`);
      else body.push(`  { ${t} v = __builtin_va_arg(ap, ${t}); __builtin_memcpy(abi_io + ${io.args[i]}, &v, sizeof v); }`);
    });
    if (sig.variadicFrom !== undefined) body.push('  __builtin_va_end(ap);');
    if (sig.result) body.push(`  ${rt} r; __builtin_memcpy(&r, abi_io + ${io.resultIn}, sizeof r); return r;`);
    funcs.push(`/* ${formatSignature(sig).replace(/\*\//g, '* /')} */\n${rt} abi_callee_${n}(${paramList}) {\n${body.join('\n')}\n}`);
    // caller
    const cbody: string[] = [];
    types.forEach((t, i) => cbody.push(`  ${t} a${i}; __builtin_memcpy(&a${i}, abi_io + ${io.args[i]}, sizeof a${i});`));
    const fnType = `${rt} (*)(${paramList.replace(/ a[0-9]+/g, '')})`;
    const call = `((${fnType})fn)(${types.map((_, i) => `a${i}`).join(', ')})`;
    cbody.push(sig.result ? `  ${rt} r = ${call};\n  __builtin_memcpy(abi_io + ${io.resultOut}, &r, sizeof r);` : `  ${call};`);
    funcs.push(`void abi_caller_${n}(unsigned long long fn) {\n${cbody.join('\n')}\n}`);
  });
  const table = (prefix: string) =>
    `static void *const ${prefix}_table[] = { ${signatures.map((_, n) => `(void *)${prefix}_${n}`).join(', ') || '0'} };\n` +
    `unsigned long long ${prefix}_addr(int n) { return (unsigned long long)${prefix}_table[n]; }`;
  return [
    '/* generated by a64jit src/abi/c-oracle.ts: do not edit */',
    'typedef int abi_v64 __attribute__((vector_size(8)));',
    'typedef int abi_v128 __attribute__((vector_size(16)));',
    'static unsigned char *abi_io;',
    'void abi_set_io(unsigned long long p) { abi_io = (unsigned char *)p; }',
    ...structs.defs,
    ...funcs,
    table('abi_callee'),
    table('abi_caller'),
    '',
  ].join('\n');
}

export type CompilerId = 'gcc' | 'clang';

export interface Compiler {
  readonly id: CompilerId;
  /** the command and the arguments that make it target arm64 Linux */
  readonly command: string;
  readonly targetArgs: readonly string[];
  /** clang: compile with -c, then link with this gcc driver (there may be no arm64 lld) */
  readonly linker?: string;
}

function works(command: string): boolean {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * The arm64 C compilers of this host: native gcc/clang on arm64 Linux, the cross ones elsewhere.
 * A64JIT_ABI_GCC / A64JIT_ABI_CLANG override the commands.
 */
export function findCompiler(id: CompilerId): Compiler | undefined {
  const native = process.arch === 'arm64' && process.platform === 'linux';
  const crossGcc = 'aarch64-linux-gnu-gcc';
  const gccCandidates = [process.env.A64JIT_ABI_GCC, crossGcc, ...(native ? ['gcc'] : [])].filter((c): c is string => !!c);
  const gcc = gccCandidates.find(works);
  if (id === 'gcc') return gcc ? { id, command: gcc, targetArgs: [] } : undefined;
  const clangs = [process.env.A64JIT_ABI_CLANG, 'clang-22', 'clang-21', 'clang-20', 'clang-19', 'clang'].filter((c): c is string => !!c);
  const clang = clangs.find(works);
  if (!clang || !gcc) return undefined;
  return { id, command: clang, targetArgs: ['--target=aarch64-linux-gnu'], linker: gcc };
}

function run(command: string, args: readonly string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new COracleError(`${command}: ${r.error.message}`);
  if (r.status !== 0) throw new COracleError(`${command} ${args.join(' ')} failed:\n${(r.stderr || r.stdout).slice(0, 4000)}`);
}

/** Compile C source into an arm64 shared object; returns its path. */
export function compileSharedObject(compiler: Compiler, source: string, dir = mkdtempSync(join(tmpdir(), 'a64jit-abi-'))): string {
  const c = join(dir, `oracle-${compiler.id}.c`);
  const so = join(dir, `oracle-${compiler.id}.so`);
  writeFileSync(c, source);
  const flags = ['-O2', '-fPIC', '-fno-strict-aliasing', '-w'];
  if (compiler.linker) {
    const o = join(dir, `oracle-${compiler.id}.o`);
    run(compiler.command, [...compiler.targetArgs, ...flags, '-c', c, '-o', o]);
    run(compiler.linker, ['-shared', '-o', so, o]);
  } else {
    run(compiler.command, [...compiler.targetArgs, ...flags, '-shared', '-o', so, c]);
  }
  return so;
}

/** A loaded oracle library: callee and caller addresses per batch index. */
export interface OracleLibrary {
  readonly compiler: Compiler;
  readonly path: string;
  readonly signatures: readonly Signature[];
  callee(n: number): bigint;
  caller(n: number): bigint;
  /** point the C side at an exchange buffer */
  setIo(address: bigint): void;
}

const loaded = new Map<string, OracleLibrary>();

/** Generate, compile and load (once per compiler and batch) the oracle for signatures. */
export function oracleLibrary(compiler: Compiler, signatures: readonly Signature[]): OracleLibrary {
  const key = `${compiler.id}:${compiler.command}:${signatures.map((s) => s.id).join('|')}`;
  const cached = loaded.get(key);
  if (cached) return cached;
  const path = compileSharedObject(compiler, generateC(signatures));
  const lib = koffi().load(path);
  const calleeAddr = lib.func('unsigned long long abi_callee_addr(int)');
  const callerAddr = lib.func('unsigned long long abi_caller_addr(int)');
  const setIo = lib.func('void abi_set_io(unsigned long long)');
  const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
  const o: OracleLibrary = {
    compiler,
    path,
    signatures,
    callee: (n) => big(calleeAddr(n)),
    caller: (n) => big(callerAddr(n)),
    setIo: (address) => void setIo(address),
  };
  loaded.set(key, o);
  return o;
}
