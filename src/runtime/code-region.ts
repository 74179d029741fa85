import { addon, type NativeCodeRegion } from './addon.js';
import { CodeMemoryError } from './errors.js';

export type CodeRegionState = 'writable' | 'sealed' | 'freed';

/**
 * Page-rounded executable memory. Lifecycle: allocate (writable) -> write -> seal (read+execute,
 * instruction cache flushed) -> call; unseal -> write -> seal to patch; free. Never writable and
 * executable at the same moment (W^X).
 */
export class CodeRegion {
  readonly #native: NativeCodeRegion;
  /** mirrors the addon's state (every transition goes through this class), so checking it
   *  before each call costs no trip into native code */
  #state: CodeRegionState = 'writable';

  private constructor(native: NativeCodeRegion) {
    this.#native = native;
  }

  /** A writable region of at least `size` bytes (rounded up to whole pages). */
  static allocate(size: number): CodeRegion {
    const Native = addon().CodeRegion;
    return new CodeRegion(wrap(() => new Native(size)));
  }

  /** Allocate, copy `code` in and seal: ready to call. */
  static fromCode(code: Uint8Array): CodeRegion {
    const region = CodeRegion.allocate(Math.max(code.length, 1));
    try {
      region.write(0, code);
      region.seal();
    } catch (e) {
      region.free();
      throw e;
    }
    return region;
  }

  /** Start of the region, as koffi 3 takes code addresses. */
  get address(): bigint {
    return wrap(() => this.#native.address);
  }

  /** Size in bytes (a whole number of pages). */
  get size(): number {
    return this.#native.size;
  }

  get state(): CodeRegionState {
    return this.#state;
  }

  write(offset: number, bytes: Uint8Array): void {
    wrap(() => this.#native.write(offset, bytes));
  }

  read(offset: number, length: number): Uint8Array {
    return wrap(() => new Uint8Array(this.#native.read(offset, length)));
  }

  seal(): void {
    wrap(() => this.#native.seal());
    this.#state = 'sealed';
  }

  unseal(): void {
    wrap(() => this.#native.unseal());
    this.#state = 'writable';
  }

  free(): void {
    wrap(() => this.#native.free());
    this.#state = 'freed';
  }
}

function wrap<T>(operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string') {
      const { code, errno } = e as Error & { code: string; errno?: number };
      throw new CodeMemoryError(e.message, code, errno);
    }
    throw e;
  }
}
