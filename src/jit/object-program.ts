import {
  bindExterns,
  checkLinkable,
  dataPseudoResolver,
  patchDataRelocations,
  type PlacedImage,
} from '../bpf/object-linker.js';
import type { BpfObject, BpfProgram, Region } from '../bpf/index.js';
import { bufferAddress } from '../runtime/index.js';
import type { NativeLibrary } from '../runtime/native-library.js';
import { objectMaps } from '../bpf/verifier/index.js';
import { JitProgram, type JitOptions, type NativeTarget } from './program.js';

/**
 * Arguments passed to an extern whose prototype the object does not give: R1-R5. A C function
 * taking fewer ignores the extra registers (AAPCS64), so 5 is right for every extern called
 * without stack arguments; one taking more needs `arity`.
 */
export const DEFAULT_EXTERN_ARITY = 5;

export interface ObjectProgramOptions extends Omit<JitOptions, 'natives' | 'resolvePseudo'> {
  /** natives by extern name (searched before `libraries`) */
  readonly natives?: ReadonlyMap<string, { readonly address: bigint; readonly arity?: number }>;
  /** shared libraries searched in order for each extern the program calls */
  readonly libraries?: readonly NativeLibrary[];
  /** argument count of an extern (0..12), when it is not 5 */
  readonly arity?: (name: string) => number | undefined;
}

/**
 * One program of an ELF object, linked and JIT-compiled: the twin of linkForInterpreter
 * (src/bpf/object-linker.ts) with real addresses. Each data image is a Node Buffer whose
 * address is embedded in the code, so this object keeps the buffers alive for as long as the
 * code may run; the libraries given must stay open as long, too.
 */
export class ObjectProgram {
  readonly jit: JitProgram;
  readonly program: BpfProgram;
  /** data images at their final addresses (index = BpfObject.data index), as the program left them */
  readonly images: readonly Buffer[];
  /** the natives externs were bound to, by CALL src 2 imm */
  readonly natives: ReadonlyMap<number, NativeTarget>;

  private constructor(jit: JitProgram, program: BpfProgram, images: readonly Buffer[], natives: ReadonlyMap<number, NativeTarget>) {
    this.jit = jit;
    this.program = program;
    this.images = images;
    this.natives = natives;
  }

  /**
   * Link and compile `program` (or the program named so) of `obj`. Throws BpfLinkError for
   * maps and unresolved externs, and what JitProgram.compile throws.
   */
  static load(obj: BpfObject, program: BpfProgram | string, options: ObjectProgramOptions = {}): ObjectProgram {
    const prog = typeof program === 'string' ? findProgram(obj, program) : program;
    checkLinkable(obj, prog);
    // Buffer.alloc never hands out a pooled slice, so each image has its own stable memory;
    // an empty image still gets one byte, hence an address of its own.
    const images = obj.data.map((d) => {
      const buf = Buffer.alloc(Math.max(1, d.bytes.length));
      buf.set(d.bytes);
      return buf;
    });
    const placed: PlacedImage[] = images.map((bytes) => ({ bytes, address: bufferAddress(bytes) }));
    patchDataRelocations(obj, placed);
    const libraries = options.libraries ?? [];
    const natives = bindExterns<NativeTarget>(
      prog,
      (name) => {
        const arity = options.natives?.get(name)?.arity ?? options.arity?.(name) ?? DEFAULT_EXTERN_ARITY;
        const explicit = options.natives?.get(name)?.address;
        if (explicit !== undefined) return { name, address: explicit, arity };
        for (const lib of libraries) {
          const address = lib.symbolAddress(name);
          if (address !== undefined) return { name, address, arity };
        }
        return undefined;
      },
      libraries.length > 0 ? `not found in ${libraries.map((l) => l.path).join(', ')}` : 'no native library was given',
    );
    const { natives: _n, libraries: _l, arity: _a, ...jitOptions } = options;
    // global data is what the verifier knows of the object (maps are refused above); the
    // sandbox (which implies no verification unless asked) skips the verifier as JitProgram does
    const verifyOff = options.verify === false || (options.verify === undefined && options.sandbox === true);
    const verify = verifyOff ? false : { ...objectMaps(obj), ...(typeof options.verify === 'object' ? options.verify : {}) };
    // The code embeds the images' addresses: the program keeps them alive (also when this
    // ObjectProgram is dropped and only .jit is kept), and the sandbox may touch them.
    const regions = obj.data.map((d, i): Region => ({ kind: 'data', name: d.name, base: placed[i]!.address, size: images[i]!.length, writable: d.writable }));
    const jit = JitProgram.compile(prog.insns, {
      name: prog.name,
      ...jitOptions,
      verify,
      natives,
      resolvePseudo: dataPseudoResolver(obj, placed),
      regions: [...regions, ...(jitOptions.regions ?? [])],
      // the sandbox's analysis (when it runs) knows the object's global data as the verifier would
      ...(options.sandbox === true && options.sandboxAnalysis !== false
        ? { sandboxAnalysis: { ...objectMaps(obj), ...(typeof options.sandboxAnalysis === 'object' ? options.sandboxAnalysis : {}) } }
        : {}),
      retain: [...images, ...(jitOptions.retain ?? [])],
    });
    return new ObjectProgram(jit, prog, images, natives);
  }

  /** Run with `mem` as the context (R1 = its address, R2 = its length); returns R0. */
  run(mem: Uint8Array | null = null): bigint {
    return this.jit.run(mem);
  }

  free(): void {
    this.jit.free();
  }
}

function findProgram(obj: BpfObject, name: string): BpfProgram {
  const found = obj.programs.find((p) => p.name === name);
  if (!found) throw new RangeError(`no program '${name}' in the object (programs: ${obj.programs.map((p) => p.name).join(', ') || 'none'})`);
  return found;
}
