import type { BpfObject, BpfProgram } from './elf-loader.js';
import type { NativeFunction, NativeRegistry } from './helpers.js';
import { Memory, type MemoryRegion } from './memory.js';
import { BpfPseudo } from './opcodes.js';

/**
 * The linker's job for a loaded BPF object (elf-loader.ts), in the small: give every global
 * data image an address, patch the pointers stored inside data, resolve LDDW src 2 to image
 * address + offset, and bind externs (CALL src 2) to native functions by name. The engine
 * decides where images live: the interpreter maps them into its `Memory` (linkForInterpreter
 * below), the JIT puts them in Node buffers at real addresses (src/jit/object-program.ts);
 * both share the pieces here so they relocate identically.
 */

/** Linking failed: an unsupported reference, an unresolved extern, a relocation out of bounds. */
export class BpfLinkError extends Error {
  override readonly name = 'BpfLinkError';
  constructor(
    readonly reason: string,
    /** slot index of the instruction that needs what is missing (-1: not tied to one) */
    readonly pc: number = -1,
  ) {
    super(pc >= 0 ? `pc ${pc}: ${reason}` : reason);
  }
}

/** A data image at its final address. `bytes` is what the program reads and writes. */
export interface PlacedImage {
  readonly bytes: Uint8Array;
  readonly address: bigint;
}

/**
 * Refuse what no engine can link yet. Maps (LDDW src 1) need map storage and helpers that
 * do not exist yet, so a program that references one is rejected before anything is placed.
 */
export function checkLinkable(obj: BpfObject, program: BpfProgram): void {
  for (const r of program.relocations) {
    if (r.kind === 'map') {
      throw new BpfLinkError(`map '${obj.maps[r.map]?.name ?? r.symbol}': maps are not supported yet`, r.pc);
    }
  }
}

/**
 * Write the final address of each pointer stored in data (a table of string pointers in
 * .rodata, say) into the placed images. A 4-byte slot (ABS32) gets the low 32 bits, which is
 * what a 32-bit field can hold; BPF data pointers are 8 bytes in practice.
 */
export function patchDataRelocations(obj: BpfObject, images: readonly PlacedImage[]): void {
  for (const r of obj.dataRelocations) {
    const image = images[r.data];
    const target = images[r.target];
    if (image === undefined || target === undefined) {
      throw new BpfLinkError(`data relocation in image #${r.data} refers to a missing data image (#${r.target})`);
    }
    if (r.offset < 0 || r.offset + r.width > image.bytes.length) {
      throw new BpfLinkError(`data relocation at ${obj.data[r.data]?.name ?? `#${r.data}`}+0x${r.offset.toString(16)} lies outside the image (${image.bytes.length} bytes)`);
    }
    const view = new DataView(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength);
    const address = target.address + BigInt(r.targetOffset);
    if (r.width === 8) view.setBigUint64(r.offset, BigInt.asUintN(64, address), true);
    else view.setUint32(r.offset, Number(BigInt.asUintN(32, address)), true);
  }
}

/** `resolvePseudo` for both engines: LDDW src 2 = image address + offset; maps refused. */
export function dataPseudoResolver(obj: BpfObject, images: readonly PlacedImage[]): (pseudo: number, imm: number, nextImm: number, pc: number) => bigint {
  return (pseudo, imm, nextImm, pc) => {
    if (pseudo === BpfPseudo.MAP_VALUE) {
      const image = images[imm];
      if (image === undefined) throw new BpfLinkError(`lddw refers to data image #${imm}, the object has ${images.length}`, pc);
      // The offset is unsigned in the loader's output; the image may be empty (an empty .bss).
      const offset = nextImm >>> 0;
      if (offset > image.bytes.length) {
        throw new BpfLinkError(`lddw offset 0x${offset.toString(16)} is past the end of ${obj.data[imm]?.name ?? `#${imm}`} (${image.bytes.length} bytes)`, pc);
      }
      return image.address + BigInt(offset);
    }
    if (pseudo === BpfPseudo.MAP_FD) throw new BpfLinkError('maps are not supported yet', pc);
    throw new BpfLinkError(`lddw pseudo source ${pseudo} cannot be linked`, pc);
  };
}

/** The extern ids (CALL src 2 imm) a program calls, with the first pc calling each. */
export function externsCalled(program: BpfProgram): Map<number, { readonly name: string; readonly pc: number }> {
  const out = new Map<number, { name: string; pc: number }>();
  for (const r of program.relocations) {
    if (r.kind === 'extern-call' && !out.has(r.extern)) out.set(r.extern, { name: r.symbol, pc: r.pc });
  }
  return out;
}

/**
 * Bind each extern the program calls with `resolve(name)`. Every unresolved name is listed
 * in one error (with the first pc calling it), so a missing library shows all at once.
 */
export function bindExterns<T>(program: BpfProgram, resolve: (name: string) => T | undefined, where = 'no native function table was given'): Map<number, T> {
  const bound = new Map<number, T>();
  const missing: string[] = [];
  for (const [id, { name, pc }] of externsCalled(program)) {
    const target = resolve(name);
    if (target === undefined) missing.push(`'${name}' (called at pc ${pc})`);
    else bound.set(id, target);
  }
  if (missing.length > 0) throw new BpfLinkError(`unresolved extern function${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ${where}`);
  return bound;
}

/** What the interpreter needs to run a linked program. */
export interface InterpreterLink {
  /** the address space, with each data image mapped (a fresh copy; regions[i] is data[i]) */
  readonly memory: Memory;
  readonly regions: readonly MemoryRegion[];
  readonly natives: NativeRegistry;
  readonly resolvePseudo: (pseudo: number, imm: number, nextImm: number, pc: number) => bigint;
}

export interface InterpreterLinkOptions {
  /** native functions by extern name (externs the program calls must all be here) */
  readonly natives?: ReadonlyMap<string, Omit<NativeFunction, 'name'>>;
  /** an address space to map the images into (default: a new one) */
  readonly memory?: Memory;
}

/**
 * Link `program` of `obj` for the reference interpreter: pass the result's memory, natives
 * and resolvePseudo to interpret(). Each call maps fresh copies of the data images, so runs
 * do not see each other's writes.
 */
export function linkForInterpreter(obj: BpfObject, program: BpfProgram, options: InterpreterLinkOptions = {}): InterpreterLink {
  checkLinkable(obj, program);
  const memory = options.memory ?? new Memory();
  // An empty image (an empty .bss) still needs an address: a one-byte region gives it one.
  const regions = obj.data.map((d, i) => memory.addRegion(`${d.name}#${i}`, Uint8Array.from(d.bytes.length === 0 ? [0] : d.bytes), { writable: d.writable, kind: 'data' }));
  const placed = regions.map((r) => ({ bytes: r.bytes, address: r.base }));
  patchDataRelocations(obj, placed);
  const table = options.natives;
  const natives = bindExterns<NativeFunction>(
    program,
    (name) => {
      const fn = table?.get(name);
      return fn && { name, arity: fn.arity, call: (args, env) => fn.call(args, env) };
    },
    table ? `not among the natives given (${[...table.keys()].join(', ') || 'none'})` : 'no native functions were given',
  );
  return { memory, regions, natives, resolvePseudo: dataPseudoResolver(obj, placed) };
}
