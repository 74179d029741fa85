import { addon, type RuntimeLayout } from '../addon.js';

/**
 * Offsets of the native map header (native/bpf-runtime.h struct Map) that JIT code and the
 * fixups rely on: tail calls read max_entries and the prog array's inline slots, inlined
 * array lookups the values right after the header.
 */
export const MAP_HEADER_SIZE = 64;
export const MAP_MAX_ENTRIES = 12;
export const MAP_STORE = 40;
/** arrays, prog arrays and arrays of maps keep their slots inline after the header */
export const MAP_INLINE_STORAGE = MAP_HEADER_SIZE;

let checked = false;
/** Throws if the addon was built with a different layout than this file describes. */
export function checkNativeLayout(): RuntimeLayout {
  const l = addon().runtimeLayout();
  if (!checked) {
    if (l.mapHeaderSize !== MAP_HEADER_SIZE || l.mapMaxEntries !== MAP_MAX_ENTRIES || l.mapStore !== MAP_STORE) {
      throw new Error(`native map layout (${JSON.stringify(l)}) does not match src/runtime/maps/layout.ts: rebuild the addon (npm run prebuild)`);
    }
    checked = true;
  }
  return l;
}
