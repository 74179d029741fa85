import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { elfFunctionSymbol } from './elf-symbols.js';
import type { CodeRange } from './insn-count.js';
import { koffi } from './native-function.js';

/** A shared library could not be opened, or a symbol is not in it. */
export class NativeLibraryError extends Error {
  override readonly name = 'NativeLibraryError';
  constructor(
    message: string,
    /** the library as given */
    readonly path: string,
  ) {
    super(message);
  }
}

type LibraryHandle = ReturnType<ReturnType<typeof koffi>['load']>;

/**
 * A shared library opened with dlopen (through koffi), for taking the code addresses of its
 * functions. koffi 3 returns a symbol's address as a BigInt from `lib.symbol(name)` (it used to
 * want a type and return a pointer object; 3.1 dropped that), which is exactly what a
 * `call native` target needs. The library must stay open while code holding its addresses runs.
 */
export class NativeLibrary {
  readonly path: string;
  readonly #handle: LibraryHandle;
  #closed = false;

  private constructor(path: string, handle: LibraryHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /**
   * Open a library. A path to an existing file is made absolute (dlopen would otherwise
   * search the library path for a bare file name); anything else goes to dlopen as is, so
   * `libm.so.6` finds the system's.
   */
  static open(path: string): NativeLibrary {
    const target = existsSync(path) ? resolve(path) : path;
    try {
      return new NativeLibrary(path, koffi().load(target));
    } catch (e) {
      // koffi's message ("Failed to load shared library: <dlerror>") does not name the file.
      const why = wrongMachine(target) ?? (e as Error).message.replace(/^Failed to load shared library: /, '');
      throw new NativeLibraryError(`cannot open shared library ${path}: ${why}`, path);
    }
  }

  /** Code address of an exported symbol, or undefined when the library has none by that name. */
  symbolAddress(name: string): bigint | undefined {
    if (this.#closed) throw new NativeLibraryError(`library ${this.path} was closed`, this.path);
    try {
      const address: unknown = this.#handle.symbol(name);
      return typeof address === 'bigint' && address !== 0n ? address : undefined;
    } catch {
      return undefined; // koffi throws "Cannot find symbol ..." for a missing name
    }
  }

  /**
   * Where a function's code lies in this process: the address dlsym gives, and the size of its
   * ELF symbol (st_size, from .symtab or .dynsym of the file that was opened). For counting a
   * native function's instructions (InsnCounter) the way a JIT program's are counted.
   */
  symbolRange(name: string): CodeRange {
    const address = this.symbolAddress(name);
    if (address === undefined) throw new NativeLibraryError(`${this.path} has no symbol ${name}`, this.path);
    const file = existsSync(this.path) ? resolve(this.path) : undefined;
    const symbol = file === undefined ? undefined : elfFunctionSymbol(readFileSync(file), name);
    if (symbol === undefined || symbol.size === 0) {
      throw new NativeLibraryError(`${this.path}: no function symbol ${name} with a size in its ELF symbol tables`, this.path);
    }
    return { start: address, size: symbol.size, name };
  }

  /** dlclose. Code that calls into the library must not run afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handle.unload();
  }
}

/** ELF e_machine values of the hosts we run on. */
const MACHINES: Record<number, string> = { 183: 'arm64', 62: 'x64', 3: 'ia32', 40: 'arm', 243: 'riscv64' };

/**
 * dlopen of a library built for another CPU fails with a misleading "No such file or
 * directory" (glibc skips it as it would a missing file); name the real reason instead.
 */
function wrongMachine(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const header = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF file';
  const machine = MACHINES[header.readUInt16LE(18)] ?? `ELF machine ${header.readUInt16LE(18)}`;
  return machine === process.arch ? undefined : `it is built for ${machine}, this process is ${process.arch}`;
}
