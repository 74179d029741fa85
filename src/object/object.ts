import { readFileSync } from 'node:fs';
import {
  BpfLoadError,
  BpfMapError,
  BtfCodec,
  MapType,
  helperName,
  loadBpfObject,
  parseProgramType,
  patchDataRelocations,
  programType,
  sectionProgramType,
  withLibbpfDefaults,
  type BpfMapDef,
  type BpfObject,
  type BpfInsn,
  type BpfProgram,
  type HelperFn,
  type MapDescription,
  type PlacedImage,
  type ProgramType,
} from '../bpf/index.js';
import type { JitOptions } from '../jit/index.js';
import { bufferAddress, type NativeLibrary } from '../runtime/index.js';
import { ArrayMap, MapOfMaps, ProgArrayMap, createMap, defaultCpuCount, indexKey, type BpfMap } from '../runtime/maps/index.js';
import { DataSection } from './data.js';
import { ObjectProgram } from './program.js';
import { TypedMap } from './typed-map.js';

/**
 * A libbpf-style object: openObject() reads a clang-built ELF (programs with their types from
 * the section names, map definitions, global data), load() creates every map in native memory
 * (global data sections become single-element array maps, as libbpf makes them), sets the
 * slots the object initializes (prog arrays, maps of maps) and prepares each program. The
 * programs of one object share its maps; each runs under the JIT or the interpreter with the
 * same maps, helpers and contexts (ObjectProgram.testRun).
 */

export interface OpenOptions {
  /** CPUs of per-CPU maps (default: the host's) */
  readonly cpus?: number;
  /**
   * program type for every program (a type name, alias or section name: `xdp`, `tc`, ...), or
   * by program name; overrides the section names
   */
  readonly type?: string | Readonly<Record<string, string>>;
  /** your own helpers (JavaScript), by id: they replace the built-in helper of that id */
  readonly helpers?: ReadonlyMap<number, HelperFn>;
  /** printk output (bpf_trace_printk, bpf_trace_vprintk); default: collected in testRun's result */
  readonly printk?: (line: string) => void;
  /** perf event arrays: bytes of records kept until consumed (default 4 MiB) */
  readonly perfCapacity?: number;
  /** the name shown in messages (default: the file name) */
  readonly name?: string;
  /** shared libraries (arm64) searched in order for the programs' extern functions (JIT only) */
  readonly libraries?: readonly NativeLibrary[];
  /** JIT code generation: LSE or LL/SC atomics, constant blinding */
  readonly jit?: Pick<JitOptions, 'atomics' | 'blind' | 'optimize'>;
  /**
   * prove each program safe before it first runs (default true, false with `sandbox`; false
   * for trusted code, or for untrusted code under the sandbox). The
   * verifier checks the program as loaded, against its type, the object's maps and the Linux
   * helper prototypes; .rodata must then stay as it was at load (the verifier reads it).
   */
  readonly verify?: boolean;
  /**
   * JIT: check every load, store and atomic against the regions a run may touch (its context
   * and packet, its stack, map values, global data); a miss stops the run with a
   * BpfSandboxError. For programs nobody proved safe: `verify` defaults to false. The
   * interpreter always checks.
   */
  readonly sandbox?: boolean;
  /**
   * With `sandbox` and without `verify`: before a program first runs (either engine), the
   * verifier's sandbox mode refuses (BpfVerifierError) what no run-time check sees —
   * uninitialized registers and stack, pointer leaks, helper argument kinds, context offsets,
   * accesses certainly out of bounds — and leaves the rest to the run-time checks and the
   * budget (ObjectProgram.sandboxAnalysis). Default true; false: the run-time checks alone.
   */
  readonly sandboxAnalysis?: boolean;
  /**
   * false: refuse every back-edge, in verification and in the sandbox's analysis alike, as the
   * kernel does for programs loaded without CAP_BPF ("back-edge from insn X to Y"). Default true
   * (bounded loops are proven to end; under the sandbox the budget stops them).
   */
  readonly allowLoops?: boolean;
  /**
   * instruction budget: back-edges and calls per run (JIT: default none for verified programs,
   * 1,000,000 for unverified ones), instructions per run (interpreter, default 1,000,000);
   * `false`: none under the JIT (trusted code)
   */
  readonly budget?: number | false;
}

export class BpfObjectFile {
  readonly parsed: BpfObject;
  readonly name: string;
  readonly cpus: number;
  readonly programs: ReadonlyMap<string, ObjectProgram>;
  readonly options: OpenOptions;
  readonly #data: DataSection[];
  #maps: Map<string, BpfMap> | undefined;
  #mapList: BpfMap[] = [];
  #dataMaps: ArrayMap[] = [];
  #codec: BtfCodec | undefined;
  #closed = false;

  constructor(parsed: BpfObject, options: OpenOptions = {}) {
    this.parsed = parsed;
    this.options = options;
    this.name = options.name ?? 'object';
    this.cpus = options.cpus ?? defaultCpuCount();
    this.#data = parsed.data.map((d) => new DataSection(d, parsed));
    this.#codec = parsed.btf ? new BtfCodec(parsed.btf) : undefined;
    const programs = new Map<string, ObjectProgram>();
    parsed.programs.forEach((p, index) => {
      const { type, attach } = this.typeOf(p);
      programs.set(p.name, new ObjectProgram(this, p, index, type, attach));
    });
    this.programs = programs;
  }

  /** the map descriptions, as the object defines them (available before load) */
  get mapDescriptions(): readonly BpfMapDef[] {
    return this.parsed.maps;
  }

  get loaded(): boolean {
    return this.#maps !== undefined;
  }

  /** the maps by name (created by load(); global data sections included, e.g. '.rodata') */
  get maps(): ReadonlyMap<string, BpfMap> {
    this.load();
    return this.#maps!;
  }

  /** the map a program's LDDW src 1 imm refers to */
  mapByIndex(index: number): BpfMap | undefined {
    this.load();
    return this.#mapList[index];
  }

  /** every map of the object, data sections included */
  allMaps(): readonly BpfMap[] {
    this.load();
    return [...this.#mapList, ...this.#dataMaps];
  }

  /** the data image behind LDDW src 2 imm */
  dataMap(index: number): ArrayMap | undefined {
    this.load();
    return this.#dataMaps[index];
  }

  /** the data section a map holds (data maps only) */
  sectionOfMap(map: BpfMap): DataSection | undefined {
    const i = this.#dataMaps.indexOf(map as ArrayMap);
    return i < 0 ? undefined : this.#data[i];
  }

  /** a global data section by name: .data, .rodata, .bss, ... */
  section(name: string): DataSection {
    const d = this.#data.find((s) => s.name === name);
    if (d === undefined) throw new RangeError(`${this.name} has no section ${name} (sections: ${this.#data.map((s) => s.name).join(', ') || 'none'})`);
    return d;
  }

  get data(): DataSection | undefined {
    return this.#data.find((s) => s.name === '.data');
  }
  get rodata(): DataSection | undefined {
    return this.#data.find((s) => s.name === '.rodata');
  }
  get bss(): DataSection | undefined {
    return this.#data.find((s) => s.name === '.bss');
  }

  /** a map with keys and values typed by the object's BTF */
  typed(mapName: string): TypedMap {
    const m = this.maps.get(mapName);
    if (m === undefined) throw new RangeError(`${this.name} has no map '${mapName}' (maps: ${[...this.maps.keys()].join(', ')})`);
    if (this.#codec === undefined) throw new RangeError(`${this.name} has no BTF: compile it with -g to get typed maps`);
    return new TypedMap(m, this.#codec);
  }

  get codec(): BtfCodec | undefined {
    return this.#codec;
  }

  /** a program by name; an unknown name lists the candidates */
  program(name: string): ObjectProgram {
    const p = this.programs.get(name);
    if (p === undefined) throw new RangeError(`${this.name} has no program '${name}' (programs: ${[...this.programs.keys()].join(', ') || 'none'})`);
    return p;
  }

  /** whether any program may tail call (then every program is compiled for tail calls) */
  get tailCalls(): boolean {
    return this.parsed.maps.some((m) => m.type === MapType.PROG_ARRAY) || this.parsed.programs.some((p) => p.insns.some((i) => i.code === 0x85 && i.src === 0 && i.imm === 12));
  }

  /**
   * Create the maps (after the kernel's checks, each error naming its map), the data maps
   * (from the sections' current bytes), the object's initial slots, and prepare the programs.
   * Idempotent.
   */
  load(): this {
    if (this.#maps !== undefined) return this;
    if (this.#closed) throw new RangeError(`${this.name} was closed`);
    const created: BpfMap[] = [];
    try {
      for (const def of this.parsed.maps) created.push(createMap(this.description(def), this.mapOptions()));
      const dataMaps = this.#data.map((d) => {
        const desc: MapDescription = { name: d.name, type: MapType.ARRAY, keySize: 4, valueSize: Math.max(1, d.bytes.length), maxEntries: 1, flags: 0 };
        const m = createMap(desc, { cpus: 1 }) as ArrayMap;
        created.push(m);
        return m;
      });
      // The sections' bytes move into their maps; pointers stored in data get real addresses.
      const placed: PlacedImage[] = dataMaps.map((m, i) => {
        const bytes = new Uint8Array(m.regions()[0]!.bytes.buffer, m.regions()[0]!.bytes.byteOffset, Math.max(1, this.#data[i]!.bytes.length));
        this.#data[i]!.relocate(bytes);
        return { bytes, address: bufferAddress(bytes) };
      });
      patchDataRelocations(this.parsed, placed);
      this.#mapList = created.slice(0, this.parsed.maps.length);
      this.#dataMaps = dataMaps;
      this.#maps = new Map([...this.#mapList, ...dataMaps].map((m) => [m.name, m]));
      this.initialSlots();
    } catch (e) {
      for (const m of created) m.close();
      this.#maps = undefined;
      throw e;
    }
    return this;
  }

  /** Free every compiled program and map. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.programs.values()) p.free();
    for (const m of [...this.#mapList, ...this.#dataMaps]) m.close();
  }

  private mapOptions(): { cpus: number; perfCapacity?: number } {
    return { cpus: this.cpus, ...(this.options.perfCapacity !== undefined ? { perfCapacity: this.options.perfCapacity } : {}) };
  }

  /** libbpf's defaults, and an inner map template resolved to a description */
  private description(def: BpfMapDef): MapDescription {
    const { definition: _d, initialSlots: _s, ...desc } = withLibbpfDefaults(def, this.cpus) as BpfMapDef;
    return desc;
  }

  private initialSlots(): void {
    this.parsed.maps.forEach((def, i) => {
      const map = this.#mapList[i]!;
      for (const slot of def.initialSlots ?? []) {
        if (map instanceof ProgArrayMap) {
          const p = this.programs.get(slot.program ?? '');
          if (p === undefined) throw new BpfMapError(def.name, `slot ${slot.index}: program '${slot.program}' is not a program of the object`);
          map.set(slot.index, p.tailCallTarget());
        } else if (map instanceof MapOfMaps) {
          const inner = slot.map !== undefined ? this.#mapList[slot.map] : undefined;
          if (inner === undefined) throw new BpfMapError(def.name, `slot ${slot.index}: not a map of the object`);
          map.setMap(indexKey(slot.index), inner);
        }
      }
    });
  }

  private typeOf(p: BpfProgram): { type: ProgramType; attach?: string } {
    const o = this.options.type;
    const named = typeof o === 'string' ? o : o?.[p.name];
    if (named !== undefined) {
      const t = parseProgramType(named);
      if (t === undefined) throw new BpfLoadError(`program '${p.name}': unknown program type '${named}'`, p.section, 0);
      return { type: programType(t.type), ...(t.attach !== undefined ? { attach: t.attach } : {}) };
    }
    const m = sectionProgramType(p.section);
    if (m.kind === 'unsupported') {
      throw new BpfLoadError(`program '${p.name}' in section '${p.section}' is a ${m.kernelType} program, which a64jit does not run (give another type with --type / the type option)`, p.section, 0);
    }
    if (m.kind === 'none') return { type: programType('plain') };
    return { type: programType(m.type), ...(m.attach !== undefined ? { attach: m.attach } : {}) };
  }

  /** @internal which helper a program may not call, for a clear message before validation */
  static helperCheck(type: ProgramType, program: BpfProgram, extra: ReadonlySet<number>): void {
    program.insns.forEach((insn, pc) => {
      if (insn.code !== 0x85 || insn.src !== 0) return;
      if (type.helpers.has(insn.imm) || extra.has(insn.imm)) return;
      throw new BpfLoadError(`program '${program.name}' pc ${pc}: ${helperName(insn.imm)}#${insn.imm} is not available to ${type.name} programs`, program.section, 0);
    });
  }
}

/**
 * Bare instructions (assembly, bytecode, a bpf_conformance test) as a one-program object whose
 * section names its type (`section`: a type or section name, default none: a plain buffer).
 */
export function objectFromInstructions(insns: readonly BpfInsn[], options: OpenOptions & { readonly section?: string } = {}): BpfObjectFile {
  const section = options.section ?? '.text';
  const parsed: BpfObject = {
    programs: [{ name: 'prog', section, insns, layout: [{ name: 'prog', section, pc: 0, slots: insns.length }], relocations: [] }],
    functions: [{ name: 'prog', section, offset: 0, size: insns.length * 8, global: true }],
    data: [],
    maps: [],
    externs: [],
    dataRelocations: [],
  };
  return new BpfObjectFile(parsed, options);
}

/** Open a clang-built BPF object (a path or its bytes). Nothing native is created until load(). */
export function openObject(source: string | Uint8Array, options: OpenOptions = {}): BpfObjectFile {
  const bytes = typeof source === 'string' ? new Uint8Array(readFileSync(source)) : source;
  const name = options.name ?? (typeof source === 'string' ? source : 'object');
  return new BpfObjectFile(loadBpfObject(bytes), { ...options, name });
}
