import { BpfLoadError } from './elf-error.js';

/**
 * Just enough BTF (the kernel's BPF Type Format, Documentation/bpf/btf.rst) to read
 * BTF-defined maps: the type table, type sizes, and the `.maps` DATASEC. Every record is
 * bounds-checked and every type chain is walked with a depth limit, so malformed BTF is a
 * BpfLoadError, never a hang.
 */

export const BtfKind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16,
  DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** bit offset (without the kind_flag bitfield size) */
  readonly offset: number;
  /** bitfield width in bits (kind_flag structs), 0 for a plain member */
  readonly bitSize?: number;
}

export interface BtfType {
  readonly id: number;
  readonly kind: number;
  readonly name: string;
  /** size (INT, STRUCT, UNION, ENUM, DATASEC, FLOAT) or referenced type id (others) */
  readonly sizeOrType: number;
  readonly vlen: number;
  readonly members?: readonly BtfMember[];
  /** ARRAY */
  readonly array?: { readonly type: number; readonly nelems: number };
  /** DATASEC */
  readonly vars?: readonly { readonly type: number; readonly offset: number; readonly size: number }[];
  /** INT: encoding and width */
  readonly int?: { readonly signed: boolean; readonly char: boolean; readonly bool: boolean; readonly bits: number; readonly bitOffset: number };
}

const BTF_MAGIC = 0xeb9f;
/** Type chains longer than this (typedef of const of ...) are treated as loops. */
const MAX_CHAIN = 64;

export class Btf {
  /** types[id]; index 0 is void */
  readonly types: readonly (BtfType | undefined)[];

  constructor(
    bytes: Uint8Array,
    /** file offset of the section, for errors */
    private readonly fileOffset: number,
    private readonly section = '.BTF',
  ) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 24) throw this.err('shorter than the BTF header', 0);
    if (v.getUint16(0, true) !== BTF_MAGIC) throw this.err('bad BTF magic (only little-endian BTF is supported)', 0);
    const hdrLen = v.getUint32(4, true);
    const typeOff = v.getUint32(8, true);
    const typeLen = v.getUint32(12, true);
    const strOff = v.getUint32(16, true);
    const strLen = v.getUint32(20, true);
    const within = (off: number, len: number): boolean => hdrLen <= bytes.length && off <= bytes.length - hdrLen && len <= bytes.length - hdrLen - off;
    if (hdrLen < 24 || !within(typeOff, typeLen) || !within(strOff, strLen)) throw this.err('header offsets are outside the section', 4);
    const types = bytes.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen);
    const strings = bytes.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
    const tv = new DataView(types.buffer, types.byteOffset, types.byteLength);
    const base = hdrLen + typeOff;
    const str = (off: number, at: number): string => {
      if (off >= strings.length) {
        if (off === 0) return '';
        throw this.err(`string offset ${off} is outside the string section`, base + at);
      }
      const end = strings.indexOf(0, off);
      if (end < 0) throw this.err(`string at ${off} is not NUL-terminated`, base + at);
      return new TextDecoder().decode(strings.subarray(off, end));
    };

    const out: (BtfType | undefined)[] = [undefined];
    let at = 0;
    while (at < types.length) {
      const start = at;
      const need = (n: number): void => {
        if (at + n > types.length) throw this.err(`type ${out.length} is truncated`, base + start);
      };
      need(12);
      const nameOff = tv.getUint32(at, true);
      const info = tv.getUint32(at + 4, true);
      const sizeOrType = tv.getUint32(at + 8, true);
      at += 12;
      const vlen = info & 0xffff;
      const kind = (info >>> 24) & 0x1f;
      const t: { -readonly [K in keyof BtfType]: BtfType[K] } = {
        id: out.length, kind, name: str(nameOff, start), sizeOrType, vlen,
      };
      switch (kind) {
        case BtfKind.INT: {
          need(4);
          const data = tv.getUint32(at, true);
          const enc = (data >>> 24) & 0x0f;
          t.int = { signed: (enc & 1) !== 0, char: (enc & 2) !== 0, bool: (enc & 4) !== 0, bits: data & 0xff, bitOffset: (data >>> 16) & 0xff };
          at += 4;
          break;
        }
        case BtfKind.VAR:
        case BtfKind.DECL_TAG:
          need(4);
          at += 4;
          break;
        case BtfKind.ARRAY:
          need(12);
          t.array = { type: tv.getUint32(at, true), nelems: tv.getUint32(at + 8, true) };
          at += 12;
          break;
        case BtfKind.STRUCT:
        case BtfKind.UNION: {
          need(12 * vlen);
          const kindFlag = info >>> 31 === 1;
          const members: BtfMember[] = [];
          for (let i = 0; i < vlen; i++, at += 12) {
            const off = tv.getUint32(at + 8, true);
            members.push({ name: str(tv.getUint32(at, true), at), type: tv.getUint32(at + 4, true), offset: kindFlag ? off & 0xffffff : off, ...(kindFlag && off >>> 24 !== 0 ? { bitSize: off >>> 24 } : {}) });
          }
          t.members = members;
          break;
        }
        case BtfKind.ENUM:
          need(8 * vlen);
          at += 8 * vlen;
          break;
        case BtfKind.ENUM64:
          need(12 * vlen);
          at += 12 * vlen;
          break;
        case BtfKind.FUNC_PROTO:
          need(8 * vlen);
          at += 8 * vlen;
          break;
        case BtfKind.DATASEC: {
          need(12 * vlen);
          const vars = [];
          for (let i = 0; i < vlen; i++, at += 12) {
            vars.push({ type: tv.getUint32(at, true), offset: tv.getUint32(at + 4, true), size: tv.getUint32(at + 8, true) });
          }
          t.vars = vars;
          break;
        }
        case BtfKind.PTR:
        case BtfKind.FWD:
        case BtfKind.TYPEDEF:
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT:
        case BtfKind.FUNC:
        case BtfKind.FLOAT:
        case BtfKind.TYPE_TAG:
          break;
        default:
          throw this.err(`unknown BTF kind ${kind} (type ${out.length})`, base + start);
      }
      out.push(t);
    }
    this.types = out;
  }

  type(id: number, at = 0): BtfType {
    const t = this.types[id];
    if (t === undefined) throw this.err(`type id ${id} does not exist`, at);
    return t;
  }

  /** Skip typedef/const/volatile/restrict/type_tag. */
  resolve(id: number): BtfType | undefined {
    for (let i = 0; i < MAX_CHAIN; i++) {
      if (id === 0) return undefined;
      const t = this.type(id);
      if (t.kind !== BtfKind.TYPEDEF && t.kind !== BtfKind.CONST && t.kind !== BtfKind.VOLATILE && t.kind !== BtfKind.RESTRICT && t.kind !== BtfKind.TYPE_TAG) return t;
      id = t.sizeOrType;
    }
    throw this.err(`type chain from ${id} is longer than ${MAX_CHAIN} (a loop?)`, 0);
  }

  /** Size in bytes of a type, as sizeof() in C. */
  sizeOf(id: number, depth = 0): number {
    if (depth > MAX_CHAIN) throw this.err(`type ${id} nests deeper than ${MAX_CHAIN}`, 0);
    const t = this.resolve(id);
    if (t === undefined) throw this.err('sizeof(void)', 0);
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.FLOAT:
      case BtfKind.DATASEC:
        return t.sizeOrType;
      case BtfKind.PTR:
        return 8;
      case BtfKind.ARRAY: {
        const n = t.array!.nelems * this.sizeOf(t.array!.type, depth + 1);
        if (!Number.isSafeInteger(n) || n > 0xffff_ffff) throw this.err(`array type ${t.id} is too large`, 0);
        return n;
      }
      default:
        throw this.err(`type ${t.id} (kind ${t.kind}) has no size`, 0);
    }
  }

  /** The DATASEC with this name (e.g. '.maps'). */
  datasec(name: string): BtfType | undefined {
    return this.types.find((t) => t?.kind === BtfKind.DATASEC && t.name === name);
  }

  private err(reason: string, at: number): BpfLoadError {
    return new BpfLoadError(`BTF: ${reason}`, this.section, this.fileOffset + at);
  }
}
