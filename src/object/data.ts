import { BtfCodec, type BpfDataImage, type BtfValue, type BpfObject } from '../bpf/index.js';

/**
 * A global data section (.data, .rodata, .bss, .rodata.str1.1, ...) as libbpf skeletons give
 * it: the bytes, and each variable by name through the object's BTF (DATASEC vars). Before
 * load the bytes are a copy the program will start from (set a `const volatile` in .rodata
 * here); after load they are the program's own memory.
 */
export class DataSection {
  #bytes: Uint8Array;
  readonly #vars: ReadonlyMap<string, { readonly type: number; readonly offset: number; readonly size: number }>;
  readonly #codec: BtfCodec | undefined;

  constructor(
    image: BpfDataImage,
    obj: BpfObject,
  ) {
    this.name = image.name;
    this.writable = image.writable;
    this.#bytes = Uint8Array.from(image.bytes);
    this.#vars = new Map((image.variables ?? []).map((v) => [v.name, v]));
    this.#codec = obj.btf ? new BtfCodec(obj.btf) : undefined;
  }

  readonly name: string;
  readonly writable: boolean;

  /** the section's bytes (after load: the program's memory, read and written in place) */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** @internal the loader moves the section into native memory */
  relocate(bytes: Uint8Array): void {
    bytes.set(this.#bytes.subarray(0, Math.min(bytes.length, this.#bytes.length)));
    this.#bytes = bytes;
  }

  /** variable names, in section order */
  get variables(): string[] {
    return [...this.#vars].sort((a, b) => a[1].offset - b[1].offset).map(([n]) => n);
  }

  get(variable: string): BtfValue {
    const v = this.variable(variable);
    return this.#codec!.decode(v.type, this.#bytes, v.offset);
  }

  set(variable: string, value: BtfValue): void {
    const v = this.variable(variable);
    this.#codec!.encode(v.type, value, this.#bytes, v.offset);
  }

  /** every variable and its value */
  toObject(): Record<string, BtfValue> {
    return Object.fromEntries(this.variables.map((n) => [n, this.get(n)]));
  }

  private variable(name: string): { type: number; offset: number; size: number } {
    const v = this.#vars.get(name);
    if (v === undefined || this.#codec === undefined) {
      throw new RangeError(`${this.name} has no variable '${name}'${this.#vars.size > 0 ? ` (variables: ${this.variables.join(', ')})` : ' (the object has no BTF for it: compile with -g)'}`);
    }
    return v;
  }
}
