import type { Scalar } from './scalar.js';
import { UNKNOWN_SCALAR, constScalar, constValue, formatScalar, isConst, scalarEquals, scalarIn } from './scalar.js';
import type { ValueSet } from './value-set.js';
import { valueSetsEqual } from './value-set.js';

/**
 * What a register holds, as the verifier tracks it (the kernel's `struct bpf_reg_state` and
 * `enum bpf_reg_type`): nothing readable, a scalar, or a pointer of one of the kinds below.
 * Pointers carry a fixed offset `off` and a variable offset `v` (a scalar) from the start of
 * the object they point into; `id` ties together registers whose null check or packet range
 * is learned at once. States are immutable: transfer functions build new ones.
 */
export type PtrType =
  /** the program's context (R1 at entry for a program type) */
  | 'ctx'
  /** a stack frame, `frame` = its depth in the call chain (0 = the entry function) */
  | 'stack'
  /** packet data; `range` = bytes from this pointer's variable base proven to be in the packet */
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  /** the value of map `map`; or null until checked when `orNull` */
  | 'map_value'
  /** the map `map` itself (LDDW src 1), for helper arguments */
  | 'map_ptr'
  /** `range` bytes of memory: the plain buffer of a program without type, ringbuf records */
  | 'mem'
  /** the address of the function starting at pc `map` (LDDW src 4), for callbacks */
  | 'func';

export interface NotInit {
  readonly type: 'not_init';
}

export interface ScalarReg {
  readonly type: 'scalar';
  readonly v: Scalar;
  /** registers with the same non-zero id hold the same value (copies), so a branch narrows them all */
  readonly id: number;
  /** the value as a function of one small unknown (value-set.ts), when known */
  readonly fn?: ValueSet;
}

export interface PtrReg {
  readonly type: PtrType;
  readonly off: number;
  /** variable part of the offset (constant 0 when the offset is fixed) */
  readonly v: Scalar;
  /** or-null group (map_value, mem) or variable-offset group (pkt); 0 = none */
  readonly id: number;
  readonly orNull: boolean;
  /** pkt/pkt_meta: proven bytes; mem: size in bytes */
  readonly range: number;
  /** stack: frame depth */
  readonly frame: number;
  /** map_value/map_ptr: the map (see MapRef in env.ts); func: the target pc */
  readonly map: number;
  /** mem: the reference (ringbuf reservation) it must be released with, 0 = none */
  readonly refId: number;
  /** mem: a ringbuf record (named ringbuf_mem in messages) */
  readonly ringbuf: boolean;
  /**
   * sandbox mode, map_value: the pc of the pointer-arithmetic check that bounds its variable
   * part (Facts.pointerArith); accesses through it add what they need to that check
   */
  readonly checkedAt?: number;
}

export type RegState = NotInit | ScalarReg | PtrReg;

export const NOT_INIT: NotInit = { type: 'not_init' };
export const UNKNOWN: ScalarReg = { type: 'scalar', v: UNKNOWN_SCALAR, id: 0 };

export const isPtr = (r: RegState): r is PtrReg => r.type !== 'not_init' && r.type !== 'scalar';
export const isScalar = (r: RegState): r is ScalarReg => r.type === 'scalar';

export const scalarReg = (v: Scalar, id = 0, fn?: ValueSet): ScalarReg =>
  fn ? { type: 'scalar', v, id, fn } : id === 0 && v === UNKNOWN_SCALAR ? UNKNOWN : { type: 'scalar', v, id };
export const constReg = (v: bigint): ScalarReg => ({ type: 'scalar', v: constScalar(v), id: 0 });

const ZERO = constScalar(0n);
const BASE: Omit<PtrReg, 'type'> = { off: 0, v: ZERO, id: 0, orNull: false, range: 0, frame: 0, map: -1, refId: 0, ringbuf: false };

export function ptrReg(type: PtrType, fields: Partial<Omit<PtrReg, 'type'>> = {}): PtrReg {
  return { ...BASE, ...fields, type };
}

/** The kernel's name of a register type, as used in messages ("map_value_or_null", "fp", ...). */
export function regTypeName(r: RegState): string {
  switch (r.type) {
    case 'not_init':
      return '?';
    case 'scalar':
      return 'scalar';
    case 'stack':
      return 'fp';
    case 'map_value':
      return r.orNull ? 'map_value_or_null' : 'map_value';
    case 'mem':
      return `${r.ringbuf ? 'ringbuf_mem' : 'mem'}${r.orNull ? '_or_null' : ''}`;
    default:
      return r.type;
  }
}

/** True when the pointer's offset is the fixed part only. */
export const fixedOffset = (r: PtrReg): boolean => isConst(r.v) && constValue(r.v) === 0n;

/** One register as the kernel log prints it (`R1=ctx()`, `R10=fp0`, `R2=fp-8`, `R3=pkt(r=14)`). */
export function formatReg(r: RegState, mapName: (i: number) => string): string {
  if (r.type === 'not_init') return '?';
  if (r.type === 'scalar') return r.id ? `${formatScalar(r.v).replace(/^scalar\(/, `scalar(id=${r.id},`).replace(/,\)$/, ')')}` : formatScalar(r.v);
  if (r.type === 'stack' && fixedOffset(r)) return `fp${r.off === 0 ? '0' : r.off}${r.frame ? `[${r.frame}]` : ''}`;
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refId) parts.push(`ref_obj_id=${r.refId}`);
  if (r.off) parts.push(`off=${r.off}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${r.range}`);
  if (r.type === 'mem') parts.push(`sz=${r.range}`);
  if (r.type === 'map_value' || r.type === 'map_ptr') parts.push(`map=${mapName(r.map)}`);
  if (r.type === 'func') parts.push(`pc=${r.map}`);
  if (!fixedOffset(r)) parts.push(`var_off=${formatScalar(r.v)}`);
  if (r.type === 'stack' && r.frame) parts.push(`frame=${r.frame}`);
  return `${regTypeName(r)}(${parts.join(',')})`;
}

/**
 * Maps ids of an old state to ids of a new one during a comparison: a link (two registers with
 * one id) in the old state must be the same link in the new one (the kernel's check_ids).
 */
export class IdMap {
  readonly #map = new Map<number, number>();
  readonly #back = new Map<number, number>();
  check(oldId: number, curId: number): boolean {
    if (oldId === 0) return true;
    if (curId === 0) return false;
    const m = this.#map.get(oldId);
    const b = this.#back.get(curId);
    if (m === undefined && b === undefined) {
      this.#map.set(oldId, curId);
      this.#back.set(curId, oldId);
      return true;
    }
    return m === curId && b === oldId;
  }
}

/**
 * Is every concrete value `cur` can hold one that `old` allows, so that whatever was proven
 * safe from `old` is safe from `cur` (the kernel's regsafe)? `old` not initialized means the
 * explored paths never read it.
 */
export function regSafe(old: RegState, cur: RegState, ids: IdMap): boolean {
  if (old.type === 'not_init') return true;
  if (old.type === 'scalar') {
    if (cur.type !== 'scalar') return false;
    if (old.fn && (!cur.fn || !ids.check(old.fn.origin, cur.fn.origin) || !valueSetsEqual(old.fn, cur.fn))) return false;
    return scalarIn(old.v, cur.v) && ids.check(old.id, cur.id);
  }
  if (cur.type !== old.type) return false;
  const c = cur as PtrReg;
  if (old.off !== c.off || old.orNull !== c.orNull || old.frame !== c.frame || old.map !== c.map || old.ringbuf !== c.ringbuf || old.checkedAt !== c.checkedAt) return false;
  if (!scalarIn(old.v, c.v)) return false;
  switch (old.type) {
    case 'pkt':
    case 'pkt_meta':
      // more proven bytes is safer; the id decides which pointers a later check widens
      return c.range >= old.range && ids.check(old.id, c.id);
    case 'mem':
      return c.range === old.range && ids.check(old.id, c.id) && ids.check(old.refId, c.refId) && (old.refId === 0) === (c.refId === 0);
    case 'map_value':
      return !old.orNull || ids.check(old.id, c.id);
    default:
      return true;
  }
}

/** Exactly the same abstract value (infinite-loop detection). */
export function regEqual(a: RegState, b: RegState): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'not_init') return true;
  if (a.type === 'scalar') return scalarEquals(a.v, (b as ScalarReg).v) && valueSetsEqual(a.fn, (b as ScalarReg).fn);
  const c = b as PtrReg;
  return a.off === c.off && a.orNull === c.orNull && a.frame === c.frame && a.map === c.map && a.range === c.range && a.checkedAt === (b as PtrReg).checkedAt && scalarEquals(a.v, c.v);
}
