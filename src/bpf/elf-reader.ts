import { BpfLoadError } from './elf-error.js';

/**
 * A minimal ELF64 little-endian relocatable-object reader (System V gABI, "Object Files":
 * ELF header, section header table, symbol table, relocation entries). Every offset and size
 * from the file is bounds-checked before use, and every count is bounded by the bytes that
 * would hold it, so a hostile file can only produce a BpfLoadError.
 */

export const EM_BPF = 247;
export const ET_REL = 1;

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;
/** Names longer than this are treated as malformed (no real section/symbol name gets close). */
const MAX_NAME = 4096;

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  /** file offset of this section's header */
  readonly headerOffset: number;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly bind: number;
  readonly type: number;
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

export interface ElfRelocation {
  /** byte offset inside the target section */
  readonly offset: number;
  readonly type: number;
  readonly symbol: number;
  /** explicit addend (RELA) or undefined (REL: the addend is in the patched field) */
  readonly addend?: number;
  /** file offset of the entry, for errors */
  readonly fileOffset: number;
}

export class ElfFile {
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** index of the symbol table section (0 when there is none) */
  readonly symtabIndex: number;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.checkHeader();
    this.sections = this.readSections();
    const symtabs = this.sections.filter((s) => s.type === SHT.SYMTAB);
    if (symtabs.length > 1) throw this.err('more than one symbol table', symtabs[1]!, symtabs[1]!.headerOffset);
    this.symtabIndex = symtabs[0]?.index ?? 0;
    this.symbols = symtabs[0] ? this.readSymbols(symtabs[0]) : [];
  }

  /** The bytes of a section (zeros for NOBITS), bounds-checked. */
  contents(s: ElfSection): Uint8Array {
    if (s.type === SHT.NOBITS) {
      if (s.size > 0x4000_0000) throw this.err(`NOBITS size ${s.size} is too large`, s, s.headerOffset);
      return new Uint8Array(s.size);
    }
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** Relocation entries of a REL or RELA section. */
  relocations(s: ElfSection): ElfRelocation[] {
    const entsize = s.type === SHT.RELA ? RELA_SIZE : REL_SIZE;
    if (s.size % entsize !== 0) throw this.err(`size ${s.size} is not a multiple of ${entsize}`, s, s.headerOffset);
    if (s.link !== this.symtabIndex || this.symtabIndex === 0) {
      throw this.err(`sh_link ${s.link} is not the symbol table`, s, s.headerOffset);
    }
    const out: ElfRelocation[] = [];
    for (let at = s.offset; at < s.offset + s.size; at += entsize) {
      const offset = this.u64(at, s);
      const info = this.view.getBigUint64(at + 8, true);
      const symbol = Number(info >> 32n);
      if (symbol >= this.symbols.length) throw this.err(`relocation names symbol ${symbol}, table has ${this.symbols.length}`, s, at);
      const rel: ElfRelocation = { offset, type: Number(info & 0xffff_ffffn), symbol, fileOffset: at };
      out.push(s.type === SHT.RELA ? { ...rel, addend: Number(this.view.getBigInt64(at + 16, true)) } : rel);
    }
    return out;
  }

  sectionName(index: number): string {
    return this.sections[index]?.name ?? `section #${index}`;
  }

  err(reason: string, section: ElfSection | undefined, fileOffset: number): BpfLoadError {
    return new BpfLoadError(reason, section?.name ?? (section ? `section #${section.index}` : undefined), fileOffset);
  }

  private checkHeader(): void {
    const b = this.bytes;
    if (b.length < EHDR_SIZE) throw new BpfLoadError(`file is ${b.length} bytes, shorter than an ELF64 header`, undefined, 0);
    if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new BpfLoadError('not an ELF file (bad magic)', undefined, 0);
    if (b[4] !== 2) throw new BpfLoadError(`EI_CLASS ${b[4]} is not ELFCLASS64`, undefined, 4);
    if (b[5] !== 1) throw new BpfLoadError(`EI_DATA ${b[5]} is not little-endian (only bpfel objects are supported)`, undefined, 5);
    if (b[6] !== 1) throw new BpfLoadError(`EI_VERSION ${b[6]} is not 1`, undefined, 6);
    const type = this.view.getUint16(16, true);
    if (type !== ET_REL) throw new BpfLoadError(`e_type ${type} is not ET_REL (a relocatable object)`, undefined, 16);
    const machine = this.view.getUint16(18, true);
    if (machine !== EM_BPF) throw new BpfLoadError(`e_machine ${machine} is not EM_BPF (247)`, undefined, 18);
  }

  private readSections(): ElfSection[] {
    const shoff = this.u64(40, undefined);
    const shentsize = this.view.getUint16(58, true);
    const shnum = this.view.getUint16(60, true);
    const shstrndx = this.view.getUint16(62, true);
    if (shnum === 0) {
      // shnum 0 with a non-zero shoff means the real count is in section 0 (gABI extended
      // numbering); BPF objects never need it.
      if (shoff !== 0) throw new BpfLoadError('extended section numbering (e_shnum 0) is not supported', undefined, 60);
      return [];
    }
    if (shentsize !== SHDR_SIZE) throw new BpfLoadError(`e_shentsize ${shentsize} is not ${SHDR_SIZE}`, undefined, 58);
    if (shoff > this.bytes.length || shnum * SHDR_SIZE > this.bytes.length - shoff) {
      throw new BpfLoadError(`section header table (${shnum} entries at 0x${shoff.toString(16)}) runs past the end of the file`, undefined, 40);
    }
    if (shstrndx >= shnum) throw new BpfLoadError(`e_shstrndx ${shstrndx} is not a section (${shnum} sections)`, undefined, 62);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * SHDR_SIZE;
      const v = this.view;
      const s = {
        index: i,
        nameOff: v.getUint32(at, true),
        type: v.getUint32(at + 4, true),
        flags: Number(v.getBigUint64(at + 8, true) & 0xffff_ffffn),
        offset: this.u64(at + 24, undefined),
        size: this.u64(at + 32, undefined),
        link: v.getUint32(at + 40, true),
        info: v.getUint32(at + 44, true),
        entsize: this.u64(at + 56, undefined),
        headerOffset: at,
      };
      if (s.type !== SHT.NOBITS && s.type !== SHT.NULL && (s.offset > this.bytes.length || s.size > this.bytes.length - s.offset)) {
        throw new BpfLoadError(`section #${i} (offset 0x${s.offset.toString(16)}, size ${s.size}) runs past the end of the file`, `section #${i}`, at);
      }
      raw.push(s);
    }
    const strtab = raw[shstrndx]!;
    if (strtab.type !== SHT.STRTAB) throw new BpfLoadError(`e_shstrndx ${shstrndx} is not a string table`, `section #${shstrndx}`, strtab.headerOffset);
    return raw.map(({ nameOff, ...s }) => ({ ...s, name: this.string(strtab.offset, strtab.size, nameOff, `section #${s.index}`, s.headerOffset) }));
  }

  private readSymbols(symtab: ElfSection): ElfSymbol[] {
    if (symtab.size % SYM_SIZE !== 0) throw this.err(`size ${symtab.size} is not a multiple of ${SYM_SIZE}`, symtab, symtab.headerOffset);
    const strtab = this.sections[symtab.link];
    if (strtab === undefined || strtab.type !== SHT.STRTAB) throw this.err(`sh_link ${symtab.link} is not a string table`, symtab, symtab.headerOffset);
    const out: ElfSymbol[] = [];
    for (let i = 0, at = symtab.offset; at < symtab.offset + symtab.size; i++, at += SYM_SIZE) {
      const info = this.view.getUint8(at + 4);
      out.push({
        index: i,
        name: this.string(strtab.offset, strtab.size, this.view.getUint32(at, true), symtab.name, at),
        bind: info >> 4,
        type: info & 0xf,
        shndx: this.view.getUint16(at + 6, true),
        value: this.u64(at + 8, symtab),
        size: this.u64(at + 16, symtab),
      });
    }
    return out;
  }

  /** A NUL-terminated string at `off` inside a string table at [base, base + size). */
  private string(base: number, size: number, off: number, where: string, fileOffset: number): string {
    if (off >= size) {
      if (off === 0 && size === 0) return '';
      throw new BpfLoadError(`name offset ${off} is outside the string table (${size} bytes)`, where, fileOffset);
    }
    const end = Math.min(base + size, base + off + MAX_NAME);
    let i = base + off;
    while (i < end && this.bytes[i] !== 0) i++;
    if (i === end) throw new BpfLoadError(`name at string table offset ${off} is not NUL-terminated`, where, fileOffset);
    return new TextDecoder().decode(this.bytes.subarray(base + off, i));
  }

  /** A u64 field as a number; values beyond 2^53 cannot be real offsets or sizes here. */
  private u64(at: number, section: ElfSection | undefined): number {
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.err(`64-bit field value 0x${v.toString(16)} is out of range`, section, at);
    return Number(v);
  }
}
