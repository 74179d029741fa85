import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import {
  assembleLlvm,
  assembleUbpf,
  BpfAsmError,
  BpfDecodeError,
  BpfLoadError,
  BpfValidationError,
  BpfVerifierError,
  BpfRuntimeError,
  ConformanceFileError,
  conformanceProgram,
  decodeProgram,
  loadBpfObject,
  parseConformanceFile,
  type BpfInsn,
  type BpfObject,
  type BpfProgram,
} from '../bpf/index.js';
import { BpfLinkError } from '../bpf/object-linker.js';
import { CliInputError, CliUsageError, type CliIo } from './command.js';

/** How a program file is read. */
export const PROGRAM_FORMATS = ['elf', 'asm', 'data', 'raw'] as const;
export type ProgramFormat = (typeof PROGRAM_FORMATS)[number];
export const ASM_SYNTAX_NAMES = ['ubpf', 'llvm'] as const;
export type AsmSyntax = (typeof ASM_SYNTAX_NAMES)[number];

/** A program ready to link or run, with where it came from (for messages). */
export type LoadedProgram =
  | { readonly kind: 'insns'; readonly insns: readonly BpfInsn[]; readonly mem?: Uint8Array; readonly file: string }
  | { readonly kind: 'object'; readonly obj: BpfObject; readonly program: BpfProgram; readonly file: string };

export interface LoadOptions {
  readonly format?: ProgramFormat;
  readonly syntax?: AsmSyntax;
  /** ELF: the program (entry function) to take; default the first */
  readonly entry?: string;
}

/**
 * The most bytes any CLI input may have (a program, --mem-file, --data-in, --ctx-in, standard
 * input): 64 MiB. A larger input is refused before it is read whole: a regular file by its
 * size, anything else (a pipe, /dev/zero) as soon as more than the limit has arrived.
 */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export interface ReadOptions {
  /** the most bytes accepted (default MAX_INPUT_BYTES) */
  readonly limit?: number;
  /** what the input is, for messages ('--mem-file', '--data-in', ...); default: the program */
  readonly what?: string;
}

const sizeText = (n: number): string => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

/** The error for an input over its limit: `FILE: WHAT: larger than N (the limit)`. */
export function tooLarge(file: string, limit: number, what?: string): CliInputError {
  return new CliInputError(`${file}: ${what ? `${what}: ` : ''}larger than ${sizeText(limit)}, the limit for an input (a64jit reads inputs whole)`);
}

const CHUNK = 1024 * 1024;

/**
 * A whole file (or standard input for '-'), at most `limit` bytes, with a clear error for a
 * missing, unreadable or too large input. The shared bounded read of every CLI input.
 */
export async function readInput(path: string, io: CliIo, options: ReadOptions = {}): Promise<Uint8Array> {
  const limit = options.limit ?? MAX_INPUT_BYTES;
  const prefix = options.what ? `${options.what}: ` : '';
  if (path === '-') return new Uint8Array(await io.readStdin(limit));
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliInputError(`${path}: ${prefix}cannot read: ${why}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new CliInputError(`${path}: ${prefix}cannot read: is a directory`);
    if (stat.isFile() && stat.size > limit) throw tooLarge(path, limit, options.what);
    // Read in chunks, whatever the size says: devices and pipes report 0, files can grow.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw tooLarge(path, limit, options.what);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return new Uint8Array(Buffer.concat(chunks, total));
  } catch (e) {
    if (e instanceof CliInputError) throw e;
    throw new CliInputError(`${path}: ${prefix}cannot read: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

export const displayName = (path: string): string => (path === '-' ? '<stdin>' : path);

const isElf = (b: Uint8Array): boolean => b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/**
 * The format of a program file: ELF by its magic, then by extension (.data, .s/.S/.asm,
 * .bin), then text that decodes as UTF-8 without control bytes is assembly, anything else
 * raw bytecode.
 */
export function detectFormat(path: string, bytes: Uint8Array): ProgramFormat {
  if (isElf(bytes)) return 'elf';
  const ext = extname(path).toLowerCase();
  if (ext === '.data') return 'data';
  if (ext === '.s' || ext === '.asm') return 'asm';
  if (ext === '.bin' || ext === '.o') return ext === '.o' ? 'elf' : 'raw';
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // eslint-disable-next-line no-control-regex
    return bytes.length > 0 && !/[\x00-\x08\x0e-\x1f]/.test(text) ? 'asm' : 'raw';
  } catch {
    return 'raw';
  }
}

/**
 * Which assembly syntax a source is in. LLVM/kernel syntax writes assignments (`r0 = 1`,
 * `w1 += w2`), `goto`, `if rX ... goto` and `*(u32 *)(...)`; uBPF syntax is mnemonic first
 * (`mov %r0, 1`). A program both read the same way (`exit` alone) is taken as uBPF.
 */
export function detectSyntax(source: string): AsmSyntax {
  const code = source
    .split(/\r?\n/)
    .map((l) => l.replace(/(\/\/|#).*$/, '').trim().replace(/^[A-Za-z_.$][\w.$]*:/, '').trim())
    .filter(Boolean);
  const llvm = /^(\d+:\s*)?([rw]\d+\s*(s?>>|<<|[-+*/%&|^])?=|if\s|goto\b|\*\(u(8|16|32|64)\s*\*\)|lock\s+\*\()/;
  return code.some((l) => llvm.test(l)) ? 'llvm' : 'ubpf';
}

/** Parse a program file of any supported format. Errors name the file and the position. */
export async function loadProgram(path: string, io: CliIo, options: LoadOptions = {}): Promise<LoadedProgram> {
  return parseProgram(await readInput(path, io), path, options);
}

/** loadProgram on bytes already read from `path`. */
export function parseProgram(bytes: Uint8Array, path: string, options: LoadOptions = {}): LoadedProgram {
  const file = displayName(path);
  const format = options.format ?? detectFormat(path, bytes);
  if (options.entry !== undefined && format !== 'elf') throw new CliUsageError('--entry applies to ELF objects (.o) only');
  if (options.syntax !== undefined && format !== 'asm') throw new CliUsageError('--syntax applies to assembly sources (.s) only');
  try {
    switch (format) {
      case 'elf': {
        const obj = loadBpfObject(bytes, options.entry === undefined ? {} : { entries: [options.entry] });
        const program = options.entry === undefined ? obj.programs[0] : obj.programs.find((p) => p.name === options.entry);
        if (!program) {
          const names = obj.programs.map((p) => `${p.name} (section ${p.section})`).join(', ');
          throw new CliInputError(
            options.entry === undefined ? `${file}: the object has no programs` : `${file}: no program '${options.entry}' (programs: ${names || 'none'})`,
          );
        }
        return { kind: 'object', obj, program, file };
      }
      case 'data': {
        const test = parseConformanceFile(new TextDecoder().decode(bytes));
        return { kind: 'insns', insns: conformanceProgram(test), ...(test.mem ? { mem: test.mem } : {}), file };
      }
      case 'asm': {
        const source = new TextDecoder().decode(bytes);
        const syntax = options.syntax ?? detectSyntax(source);
        const insns = syntax === 'llvm' ? assembleLlvm(source) : assembleUbpf(source);
        if (insns.length === 0) throw new CliInputError(`${file}: no instructions`);
        return { kind: 'insns', insns, file };
      }
      case 'raw': {
        const insns = decodeProgram(bytes);
        if (insns.length === 0) throw new CliInputError(`${file}: empty program`);
        return { kind: 'insns', insns, file };
      }
    }
  } catch (e) {
    throw inputError(e, file);
  }
}

/**
 * A toolkit error as one CLI line naming the file and the position the error carries:
 * `file:line:column: ...` (assembly), `file:line: ...` (.data), `file: pc N: ...`
 * (validation, run time), `file: ... (at file offset 0x..)` (ELF, bytecode).
 * Anything else passes through unchanged, for main() to print.
 */
export function inputError(e: unknown, file: string): unknown {
  if (e instanceof CliInputError || e instanceof CliUsageError) return e;
  if (e instanceof BpfAsmError) return new CliInputError(`${file}:${e.message}`);
  if (e instanceof ConformanceFileError) return new CliInputError(`${file}:${e.line}: ${e.reason}`);
  if (e instanceof BpfLoadError || e instanceof BpfDecodeError || e instanceof BpfValidationError || e instanceof BpfVerifierError || e instanceof BpfLinkError) {
    return new CliInputError(`${file}: ${e.message}`);
  }
  if (e instanceof BpfRuntimeError) return new CliInputError(`${file}: run-time error: ${e.message}`);
  // conformanceProgram's "the test has neither '-- asm' nor '-- raw'" and similar
  if (e instanceof Error && e.constructor === Error) return new CliInputError(`${file}: ${e.message}`);
  return e;
}

/**
 * Hex bytes as bpf_conformance writes them ("00  01 ff", also "0001ff" or with 0x): pairs of
 * hex digits, separated by whitespace or commas or not at all. `what` names the source.
 */
export function parseHexBytes(text: string, what: string): Uint8Array {
  const out: number[] = [];
  const re = /[^\s,]+/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const tok = m[0].replace(/^0x/i, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(tok)) {
      const why = /^[0-9a-fA-F]+$/.test(tok) ? 'has an odd number of hex digits' : 'is not hex bytes';
      throw new CliInputError(`${what}: '${m[0]}' at character ${m.index + 1} ${why}`);
    }
    for (let i = 0; i < tok.length; i += 2) out.push(parseInt(tok.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}
