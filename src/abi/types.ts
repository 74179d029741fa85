/**
 * The C types an AAPCS64 signature is made of, and their memory layout (AAPCS64 5 "Data types and
 * alignment", 5.9 "Composite types"). Types are plain frozen data so signatures can be generated,
 * printed, compared and sent to a child process as JSON.
 */

/**
 * Fundamental types (AAPCS64 5.1). `i128` is __int128 (16-byte aligned integral), `f128` the
 * quad-precision `long double` of Linux AArch64, `v64`/`v128` short vectors of 8 and 16 bytes
 * (AAPCS64 5.4), `ptr` a data pointer.
 */
export type ScalarKind =
  | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'i128' | 'ptr'
  | 'f32' | 'f64' | 'f128' | 'v64' | 'v128';

export const SCALAR_KINDS: readonly ScalarKind[] = [
  'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'i128', 'ptr', 'f32', 'f64', 'f128', 'v64', 'v128',
];

export interface ScalarType {
  readonly kind: 'scalar';
  readonly scalar: ScalarKind;
}

export interface StructMember {
  readonly type: AbiType;
  /** 1 for a plain member, n > 1 for an array member `T m[n]` */
  readonly count: number;
}

export interface StructType {
  readonly kind: 'struct';
  readonly members: readonly StructMember[];
  /** `_Alignas(align)` on the first member: raises the natural alignment of the struct. */
  readonly align?: number;
}

export type AbiType = ScalarType | StructType;

export interface Signature {
  /** stable name, used for generated symbols and in reports */
  readonly id: string;
  /** null: void */
  readonly result: AbiType | null;
  readonly params: readonly AbiType[];
  /** index of the first variadic (anonymous) parameter; absent when the function is not variadic */
  readonly variadicFrom?: number;
}

/** A typed error for malformed types and signatures. */
export class AbiTypeError extends Error {
  override readonly name = 'AbiTypeError';
}

const SCALARS = new Map<ScalarKind, ScalarType>(SCALAR_KINDS.map((k) => [k, Object.freeze({ kind: 'scalar', scalar: k })]));

export function scalar(k: ScalarKind): ScalarType {
  const t = SCALARS.get(k);
  if (!t) throw new AbiTypeError(`unknown scalar type '${String(k)}'`);
  return t;
}

export function struct(members: readonly (AbiType | readonly [AbiType, number])[], align?: number): StructType {
  if (members.length === 0) throw new AbiTypeError('a struct needs at least one member (empty structs are C++ only)');
  const ms = members.map((m): StructMember => (Array.isArray(m) ? { type: m[0] as AbiType, count: m[1] as number } : { type: m as AbiType, count: 1 }));
  for (const m of ms) if (!Number.isInteger(m.count) || m.count < 1) throw new AbiTypeError(`bad array length ${m.count}`);
  if (align !== undefined && (!Number.isInteger(align) || align < 1 || (align & (align - 1)) !== 0)) throw new AbiTypeError(`bad alignment ${align}`);
  return align === undefined ? { kind: 'struct', members: ms } : { kind: 'struct', members: ms, align };
}

const SCALAR_SIZE: Readonly<Record<ScalarKind, number>> = {
  i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, i128: 16, ptr: 8,
  f32: 4, f64: 8, f128: 16, v64: 8, v128: 16,
};

export const isFloatScalar = (k: ScalarKind): boolean => k === 'f32' || k === 'f64' || k === 'f128';
export const isVectorScalar = (k: ScalarKind): boolean => k === 'v64' || k === 'v128';
/** Integral and pointer types (AAPCS64 5.1.1, 5.2): the ones that use general registers. */
export const isIntegralScalar = (k: ScalarKind): boolean => !isFloatScalar(k) && !isVectorScalar(k);
export const isSignedScalar = (k: ScalarKind): boolean => k === 'i8' || k === 'i16' || k === 'i32' || k === 'i64' || k === 'i128';

/** One fundamental-type leaf of a (possibly nested) type, at its byte offset. */
export interface Leaf {
  readonly offset: number;
  readonly scalar: ScalarKind;
  readonly size: number;
}

export interface Layout {
  readonly size: number;
  /** natural alignment (AAPCS64 5.9: the largest member alignment, including `_Alignas`) */
  readonly align: number;
  readonly leaves: readonly Leaf[];
}

const layoutCache = new WeakMap<AbiType, Layout>();

/** Size, alignment and leaves of a type, laid out as C does (AAPCS64 5.9.1 "Aggregates"). */
export function layoutOf(t: AbiType): Layout {
  const cached = layoutCache.get(t);
  if (cached) return cached;
  let result: Layout;
  if (t.kind === 'scalar') {
    const size = SCALAR_SIZE[t.scalar];
    if (size === undefined) throw new AbiTypeError(`unknown scalar type '${String(t.scalar)}'`);
    result = { size, align: size, leaves: [{ offset: 0, scalar: t.scalar, size }] };
  } else {
    let offset = 0;
    let align = t.align ?? 1;
    const leaves: Leaf[] = [];
    t.members.forEach((m, i) => {
      const l = layoutOf(m.type);
      const a = i === 0 && t.align !== undefined ? Math.max(l.align, t.align) : l.align;
      align = Math.max(align, a);
      offset = roundUp(offset, a);
      for (let k = 0; k < m.count; k++) {
        for (const leaf of l.leaves) leaves.push({ ...leaf, offset: offset + k * l.size + leaf.offset });
      }
      offset += l.size * m.count;
    });
    result = { size: roundUp(offset, align), align, leaves };
  }
  layoutCache.set(t, result);
  return result;
}

export const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Homogeneous Floating-point / Short-Vector Aggregate (AAPCS64 5.9.5): a composite whose
 * fundamental members all have the same floating-point type, or the same short-vector type,
 * 1 to 4 of them. A struct with padding (e.g. raised alignment) is not one: its size would differ
 * from count * member size, which is also how GCC decides (aapcs_vfp_sub_candidate).
 */
export interface Homogeneous {
  readonly base: ScalarKind;
  readonly count: number;
  readonly baseSize: number;
}

export function homogeneousAggregate(t: AbiType): Homogeneous | null {
  if (t.kind !== 'struct') return null;
  const { leaves, size } = layoutOf(t);
  const first = leaves[0];
  if (!first || (!isFloatScalar(first.scalar) && !isVectorScalar(first.scalar))) return null;
  if (!leaves.every((l) => l.scalar === first.scalar)) return null;
  if (leaves.length > 4 || size !== leaves.length * first.size) return null;
  return { base: first.scalar, count: leaves.length, baseSize: first.size };
}

/** Byte ranges of a type's value that carry data (members, not padding). */
export function meaningfulRanges(t: AbiType): readonly (readonly [number, number])[] {
  return layoutOf(t).leaves.map((l) => [l.offset, l.offset + l.size] as const);
}
