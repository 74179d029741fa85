/**
 * koffi type objects for our types. koffi (3.3.4) has no 128-bit integer, quad float or vector
 * type, and rejects member alignments above 8, so signatures using those cannot cross koffi.
 * Struct types are anonymous (koffi named types are global) and cached by their text form.
 */
import type * as Koffi from 'koffi';
import { koffi } from '../runtime/index.js';
import { formatType } from './signature-text.js';
import { layoutOf, type AbiType, type ScalarKind, type Signature } from './types.js';
import { memberName } from './values.js';

export type KoffiType = ReturnType<typeof Koffi.struct>;
export type KoffiSpec = string | KoffiType;

const NAMES: Partial<Record<ScalarKind, string>> = {
  i8: 'int8_t', u8: 'uint8_t', i16: 'int16_t', u16: 'uint16_t', i32: 'int32_t', u32: 'uint32_t',
  i64: 'int64_t', u64: 'uint64_t', ptr: 'void *', f32: 'float', f64: 'double',
};

/** Why koffi cannot express a type, or undefined. */
export function koffiUnsupported(t: AbiType): string | undefined {
  if (t.kind === 'scalar') return NAMES[t.scalar] ? undefined : `koffi has no ${t.scalar} type`;
  if (t.align !== undefined && t.align > 8) return 'koffi rejects member alignments above 8';
  for (const m of t.members) {
    const r = koffiUnsupported(m.type);
    if (r) return r;
  }
  return undefined;
}

export function koffiSignatureUnsupported(sig: Signature): string | undefined {
  for (const t of [...sig.params, ...(sig.result ? [sig.result] : [])]) {
    const r = koffiUnsupported(t);
    if (r) return r;
  }
  return undefined;
}

const cache = new Map<string, KoffiType>();

export function koffiType(t: AbiType): KoffiSpec {
  if (t.kind === 'scalar') {
    const n = NAMES[t.scalar];
    if (!n) throw new TypeError(`koffi has no ${t.scalar} type`);
    return n;
  }
  const key = formatType(t);
  let k = cache.get(key);
  if (!k) {
    const def: Record<string, KoffiSpec | [number, KoffiSpec]> = {};
    t.members.forEach((m, i) => {
      const inner = koffiType(m.type);
      const spec = m.count === 1 ? inner : koffi().array(inner, m.count, 'Array');
      def[memberName(i)] = i === 0 && t.align !== undefined ? [t.align, spec] : spec;
    });
    k = koffi().struct(def);
    if (koffi().sizeof(k) !== layoutOf(t).size || koffi().alignof(k) !== layoutOf(t).align)
      throw new Error(`koffi lays ${key} out differently (size ${koffi().sizeof(k)}, align ${koffi().alignof(k)})`);
    cache.set(key, k);
  }
  return k;
}

/** A koffi prototype for a signature (variadic ones end with '...'). */
export function koffiProto(sig: Signature): KoffiType {
  const named = sig.params.slice(0, sig.variadicFrom ?? sig.params.length).map(koffiType);
  if (sig.variadicFrom !== undefined) named.push('...');
  return koffi().proto(sig.result ? koffiType(sig.result) : 'void', named);
}
