import { Btf, BtfKind, type BtfType } from './elf-btf.js';
import type { MapDescription } from './maps.js';
import { BpfLoadError } from './elf-error.js';
import { ElfFile, SHF, SHN_LORESERVE, SHN_UNDEF, SHT, STB, STT, type ElfRelocation, type ElfSection, type ElfSymbol } from './elf-reader.js';
import { BPF_INSN_SIZE, decodeProgram, type BpfInsn } from './instruction.js';
import { BpfCallSrc, BpfClass, BpfJmpOp, BpfPseudo, OP_LDDW, bpfClass } from './opcodes.js';

/**
 * Loader for BPF objects as `clang -target bpf -c` writes them (any -mcpu, with or without
 * -g). It does what libbpf does before a program reaches the kernel, minus the kernel:
 *
 * - every global function in an executable section (and the first function of a program
 *   section that has no global one) becomes an entry point, linked into one instruction array:
 *   the entry function first, then every function it reaches through BPF-to-BPF calls
 *   (CALL src 1, resolved in-section by LLVM or through R_BPF_64_32 across sections) and
 *   callback references (LDDW src 4);
 * - references to global data (.data, .rodata, .bss and their suffixed variants) become
 *   LDDW src 2 (BPF_PSEUDO_MAP_VALUE) with imm = index into `data` and the second slot's imm
 *   = offset inside that image; the offset folds the symbol value and the implicit REL addend
 *   (the LDDW imm) exactly as libbpf does;
 * - references to maps become LDDW src 1 (BPF_PSEUDO_MAP_FD) with imm = index into `maps`;
 * - calls to undefined functions (`__ksym` externs) become CALL src 2 with imm = index into
 *   `externs`, to be bound by name to native functions.
 * Every rewrite is also listed in `relocations`, so a later linker can place data and patch
 * absolute addresses without re-reading the ELF file.
 *
 * Relocation types: LLVM's BPF backend documentation ("BPF LLVM Relocations").
 */

/** R_BPF_* relocation types. */
export const R_BPF = { NONE: 0, R64_64: 1, ABS64: 2, ABS32: 3, NODYLD32: 4, R64_32: 10 } as const;

export interface BpfObject {
  /** contents of the `license` section, if any */
  readonly license?: string;
  readonly programs: readonly BpfProgram[];
  /** every function of every executable section (linked or not) */
  readonly functions: readonly BpfFunction[];
  /** global data images, indexed by the LDDW src 2 imm */
  readonly data: readonly BpfDataImage[];
  /** map definitions, indexed by the LDDW src 1 imm */
  readonly maps: readonly BpfMapDef[];
  /** undefined functions called by the programs, indexed by the CALL src 2 imm */
  readonly externs: readonly BpfExtern[];
  /** pointers stored inside global data (e.g. a table of string pointers in .rodata) */
  readonly dataRelocations: readonly BpfDataRelocation[];
  /** the object's type information (.BTF), when it has one: map key/value types, global data */
  readonly btf?: Btf;
}

export interface BpfProgram {
  /** entry function name */
  readonly name: string;
  /** section of the entry function (the program type, e.g. `xdp`, `.text`) */
  readonly section: string;
  /** linked slots: the entry function at pc 0, then the functions it reaches */
  readonly insns: readonly BpfInsn[];
  /** where each linked function landed */
  readonly layout: readonly { readonly name: string; readonly section: string; readonly pc: number; readonly slots: number }[];
  readonly relocations: readonly BpfCodeRelocation[];
}

export type BpfCodeRelocation =
  /** LDDW src 2 at `pc`: address of data[data] + offset (imm = data, next imm = offset) */
  | { readonly kind: 'data'; readonly pc: number; readonly data: number; readonly offset: number; readonly symbol: string }
  /** LDDW src 1 at `pc`: the map maps[map] (imm = map) */
  | { readonly kind: 'map'; readonly pc: number; readonly map: number; readonly symbol: string }
  /** CALL src 2 at `pc`: externs[extern] (imm = extern) */
  | { readonly kind: 'extern-call'; readonly pc: number; readonly extern: number; readonly symbol: string }
  /** CALL src 1 at `pc`, already resolved pc-relative to `target` */
  | { readonly kind: 'call'; readonly pc: number; readonly target: number; readonly symbol: string }
  /** LDDW src 4 at `pc`, already resolved pc-relative to `target` */
  | { readonly kind: 'func-addr'; readonly pc: number; readonly target: number; readonly symbol: string };

export interface BpfFunction {
  readonly name: string;
  readonly section: string;
  /** byte offset in its section */
  readonly offset: number;
  /** bytes, up to the next function or the section end */
  readonly size: number;
  readonly global: boolean;
}

export interface BpfDataImage {
  /** section name: .data, .rodata, .bss, .rodata.str1.1, .data.foo, ... */
  readonly name: string;
  /** initial contents (zeros for .bss); a copy, safe to hand to the program as its memory */
  readonly bytes: Uint8Array;
  readonly writable: boolean;
  /**
   * the section's variables with their BTF types: offsets from the ELF symbols, since clang
   * leaves DATASEC offsets for the loader to fill in (libbpf's btf_fixup_datasec)
   */
  readonly variables?: readonly { readonly name: string; readonly offset: number; readonly size: number; readonly type: number }[];
}

export interface BpfMapDef extends MapDescription {
  /** `.maps` (BTF-defined) or `maps` (legacy struct bpf_map_def) */
  readonly definition: 'btf' | 'legacy';
  /** BTF-defined maps of maps: the inner map template (`__array(values, struct inner)`) */
  readonly inner?: BpfMapDef;
  /**
   * Slots set by the object itself (`.values = { [1] = &prog }` of a prog array, or of a map
   * of maps): a program (by entry function name) or another map (by index into `maps`).
   */
  readonly initialSlots?: readonly { readonly index: number; readonly program?: string; readonly map?: number }[];
}

export interface BpfExtern {
  readonly name: string;
}

export interface BpfDataRelocation {
  /** the 8-byte (ABS64) or 4-byte (ABS32) slot data[data] at `offset` holds a pointer ... */
  readonly data: number;
  readonly offset: number;
  readonly width: 4 | 8;
  /** ... to data[target] + targetOffset */
  readonly target: number;
  readonly targetOffset: number;
}

export interface BpfLoadOptions {
  /** further functions (static ones too) to link as entry points, by name */
  readonly entries?: readonly string[];
}

/** Load a clang-compiled BPF object. Throws BpfLoadError for anything malformed or unsupported. */
export function loadBpfObject(bytes: Uint8Array, options: BpfLoadOptions = {}): BpfObject {
  return new Loader(bytes).load(options);
}

const DATA_PREFIXES = ['.data', '.rodata', '.bss'];
const isDataName = (name: string): boolean => DATA_PREFIXES.some((p) => name === p || name.startsWith(`${p}.`));

interface Func extends BpfFunction {
  readonly shndx: number;
  /** first slot index inside the section */
  readonly first: number;
  readonly slots: number;
}

class Loader {
  private readonly elf: ElfFile;
  private readonly code = new Map<number, { section: ElfSection; insns: BpfInsn[]; relocs: Map<number, ElfRelocation> }>();
  private readonly dataIndex = new Map<number, number>();
  private data: BpfDataImage[] = [];
  private maps: BpfMapDef[] = [];
  /** section index -> (offset -> map index) */
  private readonly mapAt = new Map<number, Map<number, number>>();
  private readonly externs: BpfExtern[] = [];
  private readonly funcs: Func[] = [];
  private btf: Btf | undefined;
  /** BTF maps whose struct has a `values` array: where it lies in .maps, for .rel.maps */
  private readonly slotArrays: { map: number; start: number; end: number }[] = [];

  constructor(bytes: Uint8Array) {
    this.elf = new ElfFile(bytes);
  }

  load(options: BpfLoadOptions): BpfObject {
    const elf = this.elf;
    let license: string | undefined;
    for (const s of elf.sections) {
      if (s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0) {
        if (s.size % BPF_INSN_SIZE !== 0) throw elf.err(`code size ${s.size} is not a multiple of 8`, s, s.headerOffset);
        this.code.set(s.index, { section: s, insns: decodeProgram(elf.contents(s)), relocs: new Map() });
      } else if ((s.type === SHT.PROGBITS || s.type === SHT.NOBITS) && (s.flags & SHF.ALLOC) !== 0 && isDataName(s.name)) {
        this.dataIndex.set(s.index, this.data.length);
        this.data.push({ name: s.name, bytes: Uint8Array.from(elf.contents(s)), writable: (s.flags & SHF.WRITE) !== 0 });
      } else if (s.name === 'license' && s.type === SHT.PROGBITS) {
        const b = elf.contents(s);
        const end = b.indexOf(0);
        license = new TextDecoder().decode(b.subarray(0, end < 0 ? b.length : end));
      }
    }
    const btfSec = elf.sections.find((s) => s.name === '.BTF');
    if (btfSec !== undefined) this.btf = new Btf(elf.contents(btfSec), btfSec.offset);
    this.dataVariables();
    this.loadMaps();
    this.collectFunctions();
    const dataRelocations = this.readRelocations();

    const entries: Func[] = [];
    for (const f of this.funcs) {
      if (f.global) entries.push(f);
    }
    for (const [shndx, c] of this.code) {
      if (c.section.name === '.text' || c.insns.length === 0) continue;
      const inSection = this.funcs.filter((f) => f.shndx === shndx);
      if (!inSection.some((f) => f.global)) entries.push(inSection[0]!);
    }
    for (const name of options.entries ?? []) {
      const f = this.funcs.find((g) => g.name === name);
      if (f === undefined) throw new BpfLoadError(`no function named '${name}'`, undefined, 0);
      if (!entries.includes(f)) entries.push(f);
    }
    const programs = entries.map((f) => this.link(f));
    const strip = ({ shndx: _s, first: _f, slots: _n, ...f }: Func): BpfFunction => f;
    return {
      ...(license === undefined ? {} : { license }),
      programs,
      functions: this.funcs.map(strip),
      data: this.data,
      maps: this.maps,
      externs: this.externs,
      dataRelocations,
      ...(this.btf !== undefined ? { btf: this.btf } : {}),
    };
  }

  /** Each data image's BTF variables, placed by the ELF symbols of the same names. */
  private dataVariables(): void {
    const btf = this.btf;
    if (btf === undefined) return;
    for (const [shndx, index] of this.dataIndex) {
      const image = this.data[index]!;
      const ds = btf.datasec(image.name);
      if (ds === undefined) continue;
      const variables = [];
      for (const v of ds.vars ?? []) {
        const t = btf.type(v.type);
        if (t.kind !== BtfKind.VAR) continue;
        const sym = this.elf.symbols.find((sy) => sy.shndx === shndx && sy.name === t.name);
        const offset = sym?.value ?? v.offset;
        const size = v.size || btf.sizeOf(t.sizeOrType);
        if (offset + size > image.bytes.length) continue;
        variables.push({ name: t.name, offset, size, type: t.sizeOrType });
      }
      this.data[index] = { ...image, variables };
    }
  }

  /** Functions of each code section, from STT_FUNC symbols; each runs to the next one. */
  private collectFunctions(): void {
    for (const [shndx, c] of this.code) {
      const starts = new Map<number, ElfSymbol>();
      for (const sym of this.elf.symbols) {
        if (sym.type !== STT.FUNC || sym.shndx !== shndx) continue;
        if (sym.value % BPF_INSN_SIZE !== 0 || sym.value >= c.section.size) {
          throw this.elf.err(`function '${sym.name}' at offset ${sym.value} is not an instruction of the section`, c.section, c.section.offset + Math.min(sym.value, c.section.size));
        }
        const prev = starts.get(sym.value);
        if (prev === undefined || (prev.bind === STB.LOCAL && sym.bind !== STB.LOCAL)) starts.set(sym.value, sym);
      }
      const offsets = [...starts.keys()].sort((a, b) => a - b);
      if (c.insns.length > 0 && offsets[0] !== 0) offsets.unshift(0);
      offsets.forEach((offset, k) => {
        const end = offsets[k + 1] ?? c.section.size;
        const sym = starts.get(offset);
        this.funcs.push({
          name: sym?.name || c.section.name,
          section: c.section.name,
          offset,
          size: end - offset,
          global: sym !== undefined && sym.bind !== STB.LOCAL,
          shndx,
          first: offset / BPF_INSN_SIZE,
          slots: (end - offset) / BPF_INSN_SIZE,
        });
      });
    }
  }

  /**
   * Relocations of code sections are checked here and kept for linking; those of data
   * sections become BpfDataRelocations; those of non-ALLOC sections (.BTF, .BTF.ext, DWARF)
   * only describe debug info and are ignored.
   */
  private readRelocations(): BpfDataRelocation[] {
    const elf = this.elf;
    const out: BpfDataRelocation[] = [];
    for (const rs of elf.sections) {
      if (rs.type !== SHT.REL && rs.type !== SHT.RELA) continue;
      const target = elf.sections[rs.info];
      if (target === undefined) throw elf.err(`sh_info ${rs.info} is not a section`, rs, rs.headerOffset);
      if ((target.flags & SHF.ALLOC) === 0) continue;
      if (rs.type === SHT.RELA) throw elf.err('RELA relocations are not supported (BPF objects use REL)', rs, rs.headerOffset);
      const relocs = elf.relocations(rs);
      const code = this.code.get(target.index);
      const dataIdx = this.dataIndex.get(target.index);
      if (code !== undefined) {
        for (const r of relocs) this.checkCodeReloc(rs, code, r);
      } else if (target.name === '.maps') {
        for (const r of relocs) this.mapSlotReloc(rs, target, r);
      } else if (dataIdx !== undefined) {
        for (const r of relocs) out.push(this.dataReloc(rs, dataIdx, r));
      } else if (relocs.length > 0) {
        throw elf.err(`relocations against section ${target.name} are not supported`, rs, relocs[0]!.fileOffset);
      }
    }
    return out;
  }

  private checkCodeReloc(rs: ElfSection, code: { section: ElfSection; insns: BpfInsn[]; relocs: Map<number, ElfRelocation> }, r: ElfRelocation): void {
    const elf = this.elf;
    if (r.offset % BPF_INSN_SIZE !== 0 || r.offset >= code.section.size) {
      throw elf.err(`relocation offset 0x${r.offset.toString(16)} is not an instruction of ${code.section.name}`, rs, r.fileOffset);
    }
    if (code.relocs.has(r.offset)) throw elf.err(`two relocations at offset 0x${r.offset.toString(16)}`, rs, r.fileOffset);
    const insn = code.insns[r.offset / BPF_INSN_SIZE]!;
    if (r.type === R_BPF.R64_64) {
      if (insn.code !== OP_LDDW) throw elf.err(`R_BPF_64_64 at 0x${r.offset.toString(16)} is not on an LDDW instruction`, rs, r.fileOffset);
    } else if (r.type === R_BPF.R64_32) {
      if (insn.code !== (BpfClass.JMP | BpfJmpOp.CALL) || insn.src !== BpfCallSrc.LOCAL) {
        throw elf.err(`R_BPF_64_32 at 0x${r.offset.toString(16)} is not on a BPF-to-BPF call`, rs, r.fileOffset);
      }
    } else {
      throw elf.err(`relocation type ${r.type} is not supported in code`, rs, r.fileOffset);
    }
    code.relocs.set(r.offset, r);
  }

  private dataReloc(rs: ElfSection, data: number, r: ElfRelocation): BpfDataRelocation {
    const elf = this.elf;
    const width = r.type === R_BPF.ABS64 ? 8 : r.type === R_BPF.ABS32 ? 4 : 0;
    if (width === 0) throw elf.err(`relocation type ${r.type} is not supported in data`, rs, r.fileOffset);
    const image = this.data[data]!.bytes;
    if (r.offset % width !== 0 || r.offset + width > image.length) throw elf.err(`relocation offset 0x${r.offset.toString(16)} is outside the data`, rs, r.fileOffset);
    const sym = elf.symbols[r.symbol]!;
    const target = this.dataIndex.get(sym.shndx);
    if (target === undefined) throw elf.err(`pointer in data to '${sym.name || elf.sectionName(sym.shndx)}' (not global data) is not supported`, rs, r.fileOffset);
    const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
    // REL: the addend is the value already stored in the slot.
    const addend = width === 8 ? Number(BigInt.asIntN(53, v.getBigUint64(r.offset, true))) : v.getUint32(r.offset, true);
    const targetOffset = sym.value + addend;
    if (targetOffset < 0 || targetOffset > this.data[target]!.bytes.length) throw elf.err(`pointer target offset ${targetOffset} is outside ${this.data[target]!.name}`, rs, r.fileOffset);
    return { data, offset: r.offset, width, target, targetOffset };
  }

  private loadMaps(): void {
    const elf = this.elf;
    const btfMaps = elf.sections.find((s) => s.name === '.maps');
    const legacy = elf.sections.find((s) => s.name === 'maps');
    if (btfMaps !== undefined) {
      const btfSec = elf.sections.find((sec) => sec.name === '.BTF');
      if (btfSec === undefined || this.btf === undefined) throw elf.err('BTF-defined maps need a .BTF section', btfMaps, btfMaps.headerOffset);
      const btf = this.btf;
      const ds = btf.datasec('.maps');
      if (ds === undefined) throw elf.err('.BTF has no DATASEC for .maps', btfSec, btfSec.offset);
      for (const v of ds.vars ?? []) {
        const variable = btf.type(v.type);
        if (variable.kind !== BtfKind.VAR) throw elf.err(`.maps entry type ${v.type} is not a variable`, btfSec, btfSec.offset);
        const def = btf.resolve(variable.sizeOrType);
        if (def === undefined || def.kind !== BtfKind.STRUCT) throw elf.err(`map '${variable.name}' is not a struct`, btfSec, btfSec.offset);
        const sym = elf.symbols.find((sy) => sy.shndx === btfMaps.index && sy.name === variable.name);
        const offset = sym?.value ?? v.offset;
        const parsed = this.btfMapDef(btf, variable.name, def, btfSec.offset);
        const index = this.maps.length;
        this.addMap(btfMaps.index, offset, parsed.def);
        if (parsed.valuesOffset !== undefined) this.slotArrays.push({ map: index, start: offset + parsed.valuesOffset, end: offset + v.size });
      }
    }
    if (legacy !== undefined) {
      // struct bpf_map_def { u32 type, key_size, value_size, max_entries, map_flags; ... }:
      // like libbpf, the record size is the section size over the number of map symbols.
      const syms = elf.symbols.filter((s) => s.shndx === legacy.index && s.type !== STT.SECTION && s.name !== '').sort((a, b) => a.value - b.value);
      if (syms.length > 0) {
        const recSize = Math.floor(legacy.size / syms.length);
        if (recSize < 4 || legacy.size % syms.length !== 0) throw elf.err(`section size ${legacy.size} does not divide into ${syms.length} map definitions`, legacy, legacy.headerOffset);
        const bytes = elf.contents(legacy);
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (const sym of syms) {
          if (sym.value % recSize !== 0 || sym.value + recSize > bytes.length) throw elf.err(`map '${sym.name}' at ${sym.value} is not a record`, legacy, legacy.offset);
          const field = (i: number): number => (i * 4 + 4 <= recSize ? v.getUint32(sym.value + i * 4, true) : 0);
          this.addMap(legacy.index, sym.value, {
            name: sym.name, type: field(0), keySize: field(1), valueSize: field(2), maxEntries: field(3), flags: field(4), definition: 'legacy',
          });
        }
      }
    }
  }

  /**
   * One BTF map definition (libbpf's parse_btf_map_def): `__uint(name, N)` members are
   * pointers to int[N], `__type(key, T)` pointers to T (the size and BTF id of T), and
   * `__array(values, X)` an array of pointers to an inner map definition (maps of maps) or to
   * a function prototype (prog arrays). Sizes given both ways must agree.
   */
  private btfMapDef(btf: Btf, name: string, def: BtfType, at: number): { def: BpfMapDef; valuesOffset?: number } {
    const fail = (reason: string): never => {
      throw new BpfLoadError(`map '${name}': ${reason}`, '.BTF', at);
    };
    const fields = new Map<string, number>();
    let keyType: number | undefined;
    let valueType: number | undefined;
    let inner: BpfMapDef | undefined;
    let valuesOffset: number | undefined;
    for (const m of def.members ?? []) {
      const ptr = btf.resolve(m.type);
      if (m.name === 'values' && ptr?.kind === BtfKind.ARRAY) {
        valuesOffset = m.offset / 8;
        const elem = btf.resolve(ptr.array!.type);
        const target = elem?.kind === BtfKind.PTR ? btf.resolve(elem.sizeOrType) : undefined;
        if (target?.kind === BtfKind.STRUCT) inner = this.btfMapDef(btf, `${name}.inner`, target, at).def;
        continue;
      }
      if (ptr === undefined || ptr.kind !== BtfKind.PTR) continue;
      const target = btf.resolve(ptr.sizeOrType);
      if (m.name === 'key' || m.name === 'value') {
        if (target === undefined) continue;
        if (m.name === 'key') keyType = ptr.sizeOrType;
        else valueType = ptr.sizeOrType;
        fields.set(`${m.name}_size_type`, btf.sizeOf(ptr.sizeOrType));
      } else if (target?.kind === BtfKind.ARRAY) {
        fields.set(m.name, target.array!.nelems);
      }
    }
    for (const what of ['key', 'value'] as const) {
      const bySize = fields.get(`${what}_size`);
      const byType = fields.get(`${what}_size_type`);
      if (bySize !== undefined && byType !== undefined && bySize !== byType) fail(`conflicting ${what} size ${bySize} != ${byType}`);
    }
    // Maps of maps store references: the kernel's value_size is 4 (a file descriptor).
    const valueSize = fields.get('value_size') ?? fields.get('value_size_type') ?? (inner !== undefined || valuesOffset !== undefined ? 4 : 0);
    return {
      def: {
        name,
        type: fields.get('type') ?? 0,
        keySize: fields.get('key_size') ?? fields.get('key_size_type') ?? 0,
        valueSize,
        maxEntries: fields.get('max_entries') ?? 0,
        flags: fields.get('map_flags') ?? 0,
        definition: 'btf',
        ...(keyType !== undefined ? { btfKeyTypeId: keyType } : {}),
        ...(valueType !== undefined ? { btfValueTypeId: valueType } : {}),
        ...(inner !== undefined ? { inner } : {}),
      },
      ...(valuesOffset !== undefined ? { valuesOffset } : {}),
    };
  }

  /** `.rel.maps`: an initial slot of a prog array or map of maps (`.values = { [i] = &x }`). */
  private mapSlotReloc(rs: ElfSection, maps: ElfSection, r: ElfRelocation): void {
    const elf = this.elf;
    if (r.type !== R_BPF.ABS64) throw elf.err(`relocation type ${r.type} in .maps is not supported`, rs, r.fileOffset);
    const arr = this.slotArrays.find((a) => r.offset >= a.start && r.offset < a.end);
    if (arr === undefined || (r.offset - arr.start) % 8 !== 0) throw elf.err(`relocation at .maps+0x${r.offset.toString(16)} is not a slot of a map's values`, rs, r.fileOffset);
    const index = (r.offset - arr.start) / 8;
    const sym = elf.symbols[r.symbol]!;
    const def = this.maps[arr.map]!;
    let slot: { index: number; program?: string; map?: number };
    if (sym.shndx === maps.index) {
      const target = this.mapAt.get(maps.index)?.get(sym.value);
      if (target === undefined) throw elf.err(`map '${def.name}' slot ${index} refers to '${sym.name}', which is not a map`, rs, r.fileOffset);
      slot = { index, map: target };
    } else if (this.code.has(sym.shndx)) {
      slot = { index, program: sym.name };
    } else {
      throw elf.err(`map '${def.name}' slot ${index} refers to '${sym.name}', neither a map nor a program`, rs, r.fileOffset);
    }
    this.maps[arr.map] = { ...def, initialSlots: [...(def.initialSlots ?? []), slot] };
  }

  private addMap(shndx: number, offset: number, def: BpfMapDef): void {
    const at = this.mapAt.get(shndx) ?? new Map<number, number>();
    at.set(offset, this.maps.length);
    this.mapAt.set(shndx, at);
    this.maps.push(def);
  }

  private funcAt(shndx: number, slot: number): Func | undefined {
    return this.funcs.find((f) => f.shndx === shndx && f.first === slot);
  }

  /** Link one entry point: place the functions it reaches, then copy and patch. */
  private link(entry: Func): BpfProgram {
    const placed = new Map<Func, number>([[entry, 0]]);
    const order: Func[] = [entry];
    let total = entry.slots;
    const patches: { pc: Func; slot: number; apply: (out: BpfInsn[], at: number, placedAt: (f: Func) => number) => BpfCodeRelocation | undefined }[] = [];
    const place = (f: Func): void => {
      if (!placed.has(f)) {
        placed.set(f, total);
        total += f.slots;
        order.push(f);
      }
    };
    for (let k = 0; k < order.length; k++) {
      const f = order[k]!;
      const c = this.code.get(f.shndx)!;
      for (let i = f.first; i < f.first + f.slots; i++) {
        const patch = this.analyze(f, c, i);
        if (patch !== undefined) {
          if (patch.target !== undefined) place(patch.target);
          patches.push({ pc: f, slot: i, apply: patch.apply });
        }
        if (c.insns[i]!.code === OP_LDDW) i++;
      }
    }
    if (total > 0x7fff_ffff) throw new BpfLoadError('linked program is too large', entry.section, 0);
    const out: BpfInsn[] = [];
    for (const f of order) {
      const c = this.code.get(f.shndx)!;
      for (let i = f.first; i < f.first + f.slots; i++) out.push({ ...c.insns[i]! });
    }
    const relocations: BpfCodeRelocation[] = [];
    for (const p of patches) {
      const at = placed.get(p.pc)! + (p.slot - p.pc.first);
      const rec = p.apply(out, at, (g) => placed.get(g)!);
      if (rec !== undefined) relocations.push(rec);
    }
    relocations.sort((a, b) => a.pc - b.pc);
    return {
      name: entry.name,
      section: entry.section,
      insns: out,
      layout: order.map((f) => ({ name: f.name, section: f.section, pc: placed.get(f)!, slots: f.slots })),
      relocations,
    };
  }

  /**
   * What slot `i` of function `f` needs at link time: a function to pull in and/or a patch.
   * Also checks that jumps stay inside their function and LDDW pairs are complete, since
   * functions are moved independently.
   */
  private analyze(
    f: Func,
    c: { section: ElfSection; insns: BpfInsn[]; relocs: Map<number, ElfRelocation> },
    i: number,
  ): { target?: Func; apply: (out: BpfInsn[], at: number, placedAt: (f: Func) => number) => BpfCodeRelocation | undefined } | undefined {
    const elf = this.elf;
    const insn = c.insns[i]!;
    const end = f.first + f.slots;
    const fileOff = c.section.offset + i * BPF_INSN_SIZE;
    const fail = (reason: string): never => {
      throw elf.err(`${reason} (function ${f.name}, instruction ${i - f.first})`, c.section, fileOff);
    };
    const r = c.relocs.get(i * BPF_INSN_SIZE);
    if (insn.code === OP_LDDW && i + 1 >= end) fail('LDDW is missing its second slot');
    const cls = bpfClass(insn.code);
    const op = insn.code & 0xf0;
    const isCall = insn.code === (BpfClass.JMP | BpfJmpOp.CALL);

    const callTo = (target: Func, symbol: string, kind: 'call' | 'func-addr') => ({
      target,
      apply: (out: BpfInsn[], at: number, placedAt: (g: Func) => number): BpfCodeRelocation => {
        const dest = placedAt(target);
        out[at]!.imm = dest - (at + 1);
        out[at]!.src = kind === 'call' ? BpfCallSrc.LOCAL : BpfPseudo.FUNC;
        if (kind === 'func-addr') out[at + 1]!.imm = 0;
        return { kind, pc: at, target: dest, symbol };
      },
    });
    const funcStart = (shndx: number, slot: number, what: string): Func => {
      const code = this.code.get(shndx);
      if (code === undefined) return fail(`${what} targets section ${elf.sectionName(shndx)}, which is not code`);
      if (slot < 0 || slot >= code.insns.length) return fail(`${what} target ${slot} is outside section ${code.section.name}`);
      return this.funcAt(shndx, slot) ?? fail(`${what} target ${slot} in ${code.section.name} is not the start of a function`);
    };

    if (r !== undefined) {
      const sym = elf.symbols[r.symbol]!;
      const symName = sym.name || elf.sectionName(sym.shndx);
      if (sym.shndx >= SHN_LORESERVE) fail(`symbol '${symName}' has special section index 0x${sym.shndx.toString(16)} (common/absolute symbols are not supported)`);
      if (r.type === R_BPF.R64_32) {
        if (sym.shndx === SHN_UNDEF) {
          if (sym.name === '') fail('call to an unnamed undefined symbol');
          let idx = this.externs.findIndex((e) => e.name === sym.name);
          if (idx < 0) idx = this.externs.push({ name: sym.name }) - 1;
          return {
            apply: (out, at) => {
              out[at]!.src = BpfCallSrc.KFUNC;
              out[at]!.imm = idx;
              return { kind: 'extern-call', pc: at, extern: idx, symbol: sym.name };
            },
          };
        }
        // libbpf: callee slot = st_value / 8 + imm + 1 in the symbol's section.
        if (sym.value % BPF_INSN_SIZE !== 0) fail(`call target '${symName}' is not instruction-aligned`);
        const target = funcStart(sym.shndx, sym.value / BPF_INSN_SIZE + insn.imm + 1, 'call');
        return callTo(target, target.name, 'call');
      }
      // R_BPF_64_64 on an LDDW: symbol value + implicit addend (the first slot's imm).
      if (sym.shndx === SHN_UNDEF) fail(`extern variable '${symName}' is not supported`);
      const offset = sym.value + insn.imm;
      const data = this.dataIndex.get(sym.shndx);
      if (data !== undefined) {
        const size = this.data[data]!.bytes.length;
        if (offset < 0 || offset > size) fail(`reference to ${symName}+${insn.imm} is outside ${this.data[data]!.name} (${size} bytes)`);
        return {
          apply: (out, at) => {
            out[at]!.src = BpfPseudo.MAP_VALUE;
            out[at]!.imm = data;
            out[at + 1]!.imm = offset;
            return { kind: 'data', pc: at, data, offset, symbol: symName };
          },
        };
      }
      const map = this.mapAt.get(sym.shndx)?.get(offset);
      if (map !== undefined) {
        return {
          apply: (out, at) => {
            out[at]!.src = BpfPseudo.MAP_FD;
            out[at]!.imm = map;
            out[at + 1]!.imm = 0;
            return { kind: 'map', pc: at, map, symbol: symName };
          },
        };
      }
      if (this.code.has(sym.shndx)) {
        if (offset % BPF_INSN_SIZE !== 0) fail(`function address ${symName}+${insn.imm} is not instruction-aligned`);
        const target = funcStart(sym.shndx, offset / BPF_INSN_SIZE, 'function address');
        return callTo(target, target.name, 'func-addr');
      }
      return fail(`reference to '${symName}' in section ${elf.sectionName(sym.shndx)} is not supported`);
    }

    if (isCall && insn.src === BpfCallSrc.LOCAL) {
      // Resolved by LLVM inside the section: pc-relative.
      const target = funcStart(f.shndx, i + insn.imm + 1, 'call');
      return callTo(target, target.name, 'call');
    }
    if (insn.code === OP_LDDW && insn.src === BpfPseudo.FUNC) {
      const target = funcStart(f.shndx, i + insn.imm + 1, 'function address');
      return callTo(target, target.name, 'func-addr');
    }
    if ((cls === BpfClass.JMP || cls === BpfClass.JMP32) && op !== BpfJmpOp.CALL && op !== BpfJmpOp.EXIT) {
      // JA in JMP32 (gotol) keeps its offset in imm (RFC 9669 section 4.3).
      const delta = cls === BpfClass.JMP32 && op === BpfJmpOp.JA ? insn.imm : insn.off;
      const t = i + 1 + delta;
      if (t < f.first || t >= end) fail(`jump to instruction ${t - f.first} leaves the function`);
    }
    return undefined;
  }
}
