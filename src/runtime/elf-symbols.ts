/**
 * Function symbols of a native ELF64 little-endian shared object (System V gABI "Object
 * Files": section headers, .symtab / .dynsym, st_value and st_size), for measuring a native
 * function's code as an address range. Only what that needs; every offset is bounds-checked
 * and a malformed file yields undefined, never an exception from a DataView.
 */

export interface ElfFunctionSymbol {
  readonly name: string;
  /** st_value: the address in the object, before the load bias */
  readonly value: bigint;
  readonly size: number;
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const SHDR = 64;
const SYM = 24;

export function elfFunctionSymbol(bytes: Uint8Array, name: string): ElfFunctionSymbol | undefined {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46 || bytes[4] !== 2 || bytes[5] !== 1) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fits = (at: number, length: number): boolean => at >= 0 && length >= 0 && at + length <= bytes.length;
  const shoff = Number(view.getBigUint64(40, true));
  const shnum = view.getUint16(60, true);
  if (view.getUint16(58, true) !== SHDR || !fits(shoff, shnum * SHDR)) return undefined;
  const section = (i: number) => {
    const at = shoff + i * SHDR;
    return { type: view.getUint32(at + 4, true), offset: Number(view.getBigUint64(at + 24, true)), size: Number(view.getBigUint64(at + 32, true)), link: view.getUint32(at + 40, true) };
  };
  const wanted = new TextEncoder().encode(name);
  // .symtab has local symbols too; .dynsym is what a stripped library still has.
  for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      if (s.type !== type || !fits(s.offset, s.size) || s.link >= shnum) continue;
      const strings = section(s.link);
      if (!fits(strings.offset, strings.size)) continue;
      for (let at = s.offset; at + SYM <= s.offset + s.size; at += SYM) {
        if ((view.getUint8(at + 4) & 0xf) !== STT_FUNC) continue;
        const nameAt = strings.offset + view.getUint32(at, true);
        if (!fits(nameAt, wanted.length + 1) || bytes[nameAt + wanted.length] !== 0) continue;
        if (!wanted.every((b, k) => bytes[nameAt + k] === b)) continue;
        return { name, value: view.getBigUint64(at + 8, true), size: Number(view.getBigUint64(at + 16, true)) };
      }
    }
  }
  return undefined;
}
