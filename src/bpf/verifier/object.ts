import type { BpfObject } from '../elf-loader.js';
import type { VerifierMap } from './env.js';
import { MAP_F_RDONLY_PROG, MAP_TYPE_ARRAY } from './env.js';

/**
 * The verifier's view of a loaded object's maps and global data: LDDW src 1 indexes
 * `obj.maps`, LDDW src 2 indexes `obj.data`, each data image being a one-entry array map
 * (as libbpf makes .data/.rodata/.bss), read-only ones with their frozen contents and the
 * pointers the linker places in them.
 */
export function objectMaps(obj: BpfObject): { maps: VerifierMap[]; data: VerifierMap[] } {
  const data = obj.data.map((d, index): VerifierMap => {
    const pointers = obj.dataRelocations
      .filter((r) => r.data === index)
      .map((r) => ({ offset: r.offset, width: r.width, target: r.target, targetOffset: r.targetOffset }));
    return {
      name: d.name,
      type: MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: d.bytes.length,
      maxEntries: 1,
      flags: d.writable ? 0 : MAP_F_RDONLY_PROG,
      frozen: { bytes: d.bytes, pointers },
    };
  });
  return { maps: [...obj.maps], data };
}
