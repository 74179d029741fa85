import { Btf, BtfKind } from './elf-btf.js';
import { BpfLoadError } from './elf-error.js';

/**
 * Values typed by an object's BTF, read from and written to the bytes of a map key/value or a
 * global data section (little-endian): integers up to 32 bits (and enums) as number, 64-bit
 * ones and pointers as bigint, bool as boolean, char arrays as strings (up to the first NUL),
 * other arrays as JS arrays, structs and unions as objects by member name (bitfields too).
 */
export type BtfValue = number | bigint | boolean | string | null | readonly BtfValue[] | { readonly [name: string]: BtfValue };

const MAX_DEPTH = 32;

export class BtfCodec {
  constructor(readonly btf: Btf) {}

  /** sizeof the type */
  size(type: number): number {
    return this.btf.sizeOf(type);
  }

  decode(type: number, bytes: Uint8Array, offset = 0): BtfValue {
    return this.read(type, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset, 0);
  }

  encode(type: number, value: BtfValue, into?: Uint8Array, offset = 0): Uint8Array {
    const out = into ?? new Uint8Array(this.size(type));
    this.write(type, new DataView(out.buffer, out.byteOffset, out.byteLength), offset, value, 0, '');
    return out;
  }

  /** the C-like name of a type, for messages and `show` (`struct flow`, `__u32`, `char[16]`) */
  typeName(type: number): string {
    const t = this.btf.resolve(type);
    if (t === undefined) return 'void';
    switch (t.kind) {
      case BtfKind.STRUCT:
        return `struct ${t.name || '(anon)'}`;
      case BtfKind.UNION:
        return `union ${t.name || '(anon)'}`;
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return `enum ${t.name || '(anon)'}`;
      case BtfKind.ARRAY:
        return `${this.typeName(t.array!.type)}[${t.array!.nelems}]`;
      case BtfKind.PTR:
        return `${this.typeName(t.sizeOrType)} *`;
      default: {
        const named = this.btf.type(type);
        return named.name || t.name || `type ${type}`;
      }
    }
  }

  private read(type: number, v: DataView, at: number, depth: number): BtfValue {
    if (depth > MAX_DEPTH) throw this.err(`type ${type} nests too deep`);
    const t = this.btf.resolve(type);
    if (t === undefined) return null;
    switch (t.kind) {
      case BtfKind.INT: {
        const size = t.sizeOrType;
        if (t.int?.bool) return v.getUint8(at) !== 0;
        if (size === 8) return t.int?.signed ? v.getBigInt64(at, true) : v.getBigUint64(at, true);
        if (size === 16) return (v.getBigUint64(at + 8, true) << 64n) | v.getBigUint64(at, true);
        const signed = t.int?.signed === true;
        if (size === 4) return signed ? v.getInt32(at, true) : v.getUint32(at, true);
        if (size === 2) return signed ? v.getInt16(at, true) : v.getUint16(at, true);
        return signed ? v.getInt8(at) : v.getUint8(at);
      }
      case BtfKind.ENUM:
        return t.sizeOrType === 1 ? v.getUint8(at) : t.sizeOrType === 2 ? v.getUint16(at, true) : v.getInt32(at, true);
      case BtfKind.ENUM64:
        return v.getBigUint64(at, true);
      case BtfKind.FLOAT:
        return t.sizeOrType === 4 ? v.getFloat32(at, true) : v.getFloat64(at, true);
      case BtfKind.PTR:
        return v.getBigUint64(at, true);
      case BtfKind.ARRAY: {
        const elem = t.array!.type;
        const n = t.array!.nelems;
        const es = this.size(elem);
        if (this.isChar(elem)) {
          const bytes = new Uint8Array(v.buffer, v.byteOffset + at, n);
          const end = bytes.indexOf(0);
          return new TextDecoder().decode(bytes.subarray(0, end < 0 ? n : end));
        }
        return Array.from({ length: n }, (_, i) => this.read(elem, v, at + i * es, depth + 1));
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const out: Record<string, BtfValue> = {};
        t.members?.forEach((m, i) => {
          const name = m.name || `_${i}`;
          out[name] = m.bitSize ? this.readBits(v, at, m.offset, m.bitSize, m.type) : this.read(m.type, v, at + m.offset / 8, depth + 1);
        });
        return out;
      }
      default:
        throw this.err(`type ${type} (kind ${t.kind}) cannot be read as a value`);
    }
  }

  private write(type: number, v: DataView, at: number, value: BtfValue, depth: number, path: string): void {
    if (depth > MAX_DEPTH) throw this.err(`type ${type} nests too deep`);
    const t = this.btf.resolve(type);
    if (t === undefined) return;
    const bad = (want: string): never => {
      throw new TypeError(`${path || 'value'}: expected ${want} for ${this.typeName(type)}, got ${typeof value === 'object' ? JSON.stringify(value, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) : String(value)}`);
    };
    const int = (): bigint => (typeof value === 'bigint' ? value : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : typeof value === 'boolean' ? (value ? 1n : 0n) : bad('an integer'));
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.PTR: {
        const size = t.kind === BtfKind.PTR ? 8 : t.sizeOrType;
        const x = BigInt.asUintN(size * 8, int());
        for (let i = 0; i < size; i++) v.setUint8(at + i, Number((x >> BigInt(8 * i)) & 0xffn));
        return;
      }
      case BtfKind.FLOAT:
        if (typeof value !== 'number') bad('a number');
        if (t.sizeOrType === 4) v.setFloat32(at, value as number, true);
        else v.setFloat64(at, value as number, true);
        return;
      case BtfKind.ARRAY: {
        const elem = t.array!.type;
        const n = t.array!.nelems;
        const es = this.size(elem);
        if (typeof value === 'string' && this.isChar(elem)) {
          const bytes = new TextEncoder().encode(value);
          if (bytes.length > n) bad(`at most ${n} bytes`);
          for (let i = 0; i < n; i++) v.setUint8(at + i, bytes[i] ?? 0);
          return;
        }
        if (!Array.isArray(value)) bad('an array');
        const arr = value as readonly BtfValue[];
        if (arr.length > n) bad(`at most ${n} elements`);
        arr.forEach((x, i) => this.write(elem, v, at + i * es, x, depth + 1, `${path}[${i}]`));
        return;
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('an object');
        const obj = value as Record<string, BtfValue>;
        const names = new Set((t.members ?? []).map((m, i) => m.name || `_${i}`));
        for (const k of Object.keys(obj)) if (!names.has(k)) throw new TypeError(`${path || 'value'}: ${this.typeName(type)} has no member '${k}'`);
        t.members?.forEach((m, i) => {
          const name = m.name || `_${i}`;
          if (!(name in obj)) return;
          if (m.bitSize) this.writeBits(v, at, m.offset, m.bitSize, BigInt.asUintN(m.bitSize, BigInt(obj[name] as number | bigint)));
          else this.write(m.type, v, at + m.offset / 8, obj[name]!, depth + 1, path ? `${path}.${name}` : name);
        });
        return;
      }
      default:
        throw this.err(`type ${type} (kind ${t.kind}) cannot be written as a value`);
    }
  }

  private isChar(type: number): boolean {
    const t = this.btf.resolve(type);
    return t?.kind === BtfKind.INT && t.sizeOrType === 1 && (t.int?.char === true || t.name === 'char');
  }

  private readBits(v: DataView, at: number, bitOffset: number, bits: number, type: number): number | bigint {
    let x = 0n;
    for (let i = 0; i < bits; i++) {
      const b = bitOffset + i;
      if ((v.getUint8(at + (b >> 3)) >> (b & 7)) & 1) x |= 1n << BigInt(i);
    }
    const t = this.btf.resolve(type);
    if (t?.int?.signed) x = BigInt.asIntN(bits, x);
    return bits > 32 ? x : Number(x);
  }

  private writeBits(v: DataView, at: number, bitOffset: number, bits: number, x: bigint): void {
    for (let i = 0; i < bits; i++) {
      const b = bitOffset + i;
      const byte = v.getUint8(at + (b >> 3));
      const bit = 1 << (b & 7);
      v.setUint8(at + (b >> 3), (x >> BigInt(i)) & 1n ? byte | bit : byte & ~bit);
    }
  }

  private err(reason: string): BpfLoadError {
    return new BpfLoadError(`BTF: ${reason}`, '.BTF', 0);
  }
}
