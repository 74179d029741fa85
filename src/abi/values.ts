/**
 * Known argument patterns and their conversions. Every argument value is first a byte image (its
 * C memory representation, little-endian); the JavaScript form koffi takes and gives is derived
 * from those bytes, so there is one source of truth for what "arrived intact" means.
 */
import { layoutOf, type AbiType, type ScalarKind } from './types.js';

/** A small deterministic PRNG (mulberry32): the same seed always gives the same corpus and patterns. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** uniform 32-bit unsigned */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** integer in [0, n) */
  int(n: number): number {
    return this.next() % n;
  }
  /** integer in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}

/** A 32-bit hash of a string (FNV-1a), to derive per-signature seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A byte image of `type` with a distinct pattern in every member byte: integers get random
 * non-zero bytes, floats random finite normal numbers (so no conversion can canonicalise them),
 * padding stays 0 (it carries nothing and is never compared).
 */
export function patternBytes(type: AbiType, rng: Rng): Uint8Array {
  const { size, leaves } = layoutOf(type);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (const leaf of leaves) {
    for (let i = 0; i < leaf.size; i++) out[leaf.offset + i] = 1 + rng.int(255);
    if (leaf.scalar === 'f32') {
      const exponent = rng.range(100, 154); // 2^-27 .. 2^27
      view.setUint32(leaf.offset, ((rng.int(2) << 31) | (exponent << 23) | (rng.next() & 0x7fffff)) >>> 0, true);
    } else if (leaf.scalar === 'f64') {
      const exponent = rng.range(900, 1150);
      view.setUint32(leaf.offset + 4, ((rng.int(2) << 31) | (exponent << 20) | (rng.next() & 0xfffff)) >>> 0, true);
    }
  }
  return out;
}

/** Values koffi takes for arguments and gives for results and callback arguments. */
export type JsValue = number | bigint | readonly JsValue[] | { readonly [member: string]: JsValue };

export const memberName = (i: number): string => `m${i}`;

function scalarToJs(k: ScalarKind, view: DataView, at: number): JsValue {
  switch (k) {
    case 'i8': return view.getInt8(at);
    case 'u8': return view.getUint8(at);
    case 'i16': return view.getInt16(at, true);
    case 'u16': return view.getUint16(at, true);
    case 'i32': return view.getInt32(at, true);
    case 'u32': return view.getUint32(at, true);
    case 'i64': return view.getBigInt64(at, true);
    case 'u64':
    case 'ptr': return view.getBigUint64(at, true);
    case 'f32': return view.getFloat32(at, true);
    case 'f64': return view.getFloat64(at, true);
    default: throw new TypeError(`${k} has no JavaScript form`);
  }
}

/** The JavaScript value (koffi's form) of a byte image: structs become { m0, m1, ... }, arrays arrays. */
export function toJs(type: AbiType, bytes: Uint8Array, offset = 0): JsValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type.kind === 'scalar') return scalarToJs(type.scalar, view, offset);
  const obj: Record<string, JsValue> = {};
  let at = 0;
  type.members.forEach((m, i) => {
    const l = layoutOf(m.type);
    const a = i === 0 && type.align !== undefined ? Math.max(l.align, type.align) : l.align;
    at = Math.ceil(at / a) * a;
    obj[memberName(i)] = m.count === 1 ? toJs(m.type, bytes, offset + at) : Array.from({ length: m.count }, (_, k) => toJs(m.type, bytes, offset + at + k * l.size));
    at += l.size * m.count;
  });
  return obj;
}

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v === null || v === undefined) return 0n;
  throw new TypeError(`expected an integer, got ${typeof v} ${String(v)}`);
}

function scalarFromJs(k: ScalarKind, v: unknown, view: DataView, at: number): void {
  switch (k) {
    case 'i8':
    case 'u8': view.setUint8(at, Number(BigInt.asUintN(8, toBigInt(v)))); return;
    case 'i16':
    case 'u16': view.setUint16(at, Number(BigInt.asUintN(16, toBigInt(v))), true); return;
    case 'i32':
    case 'u32': view.setUint32(at, Number(BigInt.asUintN(32, toBigInt(v))), true); return;
    case 'i64':
    case 'u64':
    case 'ptr': view.setBigUint64(at, BigInt.asUintN(64, toBigInt(v)), true); return;
    case 'f32': view.setFloat32(at, Number(v), true); return;
    case 'f64': view.setFloat64(at, Number(v), true); return;
    default: throw new TypeError(`${k} has no JavaScript form`);
  }
}

/** The byte image of a JavaScript value as koffi returns it (numbers or BigInts, objects, arrays). */
export function fromJs(type: AbiType, value: unknown): Uint8Array {
  const out = new Uint8Array(layoutOf(type).size);
  writeJs(type, value, new DataView(out.buffer), 0);
  return out;
}

function writeJs(type: AbiType, value: unknown, view: DataView, offset: number): void {
  if (type.kind === 'scalar') {
    scalarFromJs(type.scalar, value, view, offset);
    return;
  }
  if (typeof value !== 'object' || value === null) throw new TypeError(`expected an object for a struct, got ${String(value)}`);
  const obj = value as Record<string, unknown>;
  let at = 0;
  type.members.forEach((m, i) => {
    const l = layoutOf(m.type);
    const a = i === 0 && type.align !== undefined ? Math.max(l.align, type.align) : l.align;
    at = Math.ceil(at / a) * a;
    const v = obj[memberName(i)];
    if (m.count === 1) writeJs(m.type, v, view, offset + at);
    else {
      const arr = v as ArrayLike<unknown>;
      for (let k = 0; k < m.count; k++) writeJs(m.type, arr[k], view, offset + at + k * l.size);
    }
    at += l.size * m.count;
  });
}

/** Do two images of `type` agree on every member byte (padding ignored)? */
export function sameValue(type: AbiType, a: Uint8Array, b: Uint8Array): boolean {
  for (const leaf of layoutOf(type).leaves) {
    for (let i = leaf.offset; i < leaf.offset + leaf.size; i++) if (a[i] !== b[i]) return false;
  }
  return true;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
