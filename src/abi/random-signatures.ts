/**
 * A seeded random signature generator: the same seed always gives the same signatures. It mixes
 * register pressure (many integers or many FP values, so the stack rules get exercised), HFAs,
 * small and large composites, and - with probability `exotic` per type - the types koffi cannot
 * express (__int128, long double, short vectors, HVAs, 16-byte aligned structs).
 */
import { formatSignature } from './signature-text.js';
import { layoutOf, scalar, struct, type AbiType, type ScalarKind, type Signature } from './types.js';
import { Rng } from './values.js';

export interface RandomOptions {
  /** probability that a type is one koffi cannot express (default 0.05) */
  readonly exotic?: number;
  /** probability that a signature is variadic (default 0.1) */
  readonly variadic?: number;
  /**
   * probability that a signature is one a BPF program can call (default 0): 1 to 12 integers and
   * pointers of mixed widths, mostly 6 or more (the stack-argument slots), not variadic, an
   * integer or void result
   */
  readonly integerOnly?: number;
}

const INTS: readonly ScalarKind[] = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'ptr'];
const FLOATS: readonly ScalarKind[] = ['f32', 'f64'];
/** types a variadic argument can have after the C default argument promotions */
const PROMOTED: readonly ScalarKind[] = ['i32', 'u32', 'i64', 'u64', 'ptr', 'f64'];

class Generator {
  constructor(
    readonly rng: Rng,
    readonly exotic: number,
  ) {}

  exoticType(): AbiType {
    const r = this.rng;
    switch (r.int(6)) {
      case 0: return scalar('i128');
      case 1: return scalar('f128');
      case 2: return scalar(r.pick(['v64', 'v128'] as const));
      case 3: return struct([[scalar(r.pick(['v64', 'v128'] as const)), r.range(1, 4)]]);
      case 4: return struct([scalar('u64'), scalar(r.pick(INTS))], 16);
      default: return struct([[scalar('f128'), r.range(1, 2)]]);
    }
  }

  hfa(): AbiType {
    const r = this.rng;
    const base = scalar(r.pick(FLOATS));
    const n = r.range(1, 4);
    if (n >= 2 && r.chance(0.25)) {
      const k = r.range(1, n - 1);
      return struct([struct([[base, k]]), [base, n - k]]);
    }
    return r.chance(0.5) ? struct([[base, n]]) : struct(Array.from({ length: n }, () => base));
  }

  /** A composite of at most `max` bytes of integers and floats (not necessarily non-homogeneous). */
  smallStruct(max: number): AbiType {
    const r = this.rng;
    for (;;) {
      const members: (AbiType | [AbiType, number])[] = [];
      const n = r.range(1, 5);
      for (let i = 0; i < n; i++) {
        const t = scalar(r.chance(0.75) ? r.pick(INTS) : r.pick(FLOATS));
        members.push(r.chance(0.2) ? [t, r.range(2, 5)] : t);
      }
      if (r.chance(0.1)) members.push(struct([scalar(r.pick(INTS)), scalar('u8')]));
      const s = struct(members);
      if (layoutOf(s).size <= max) return s;
    }
  }

  bigStruct(): AbiType {
    const r = this.rng;
    const members: (AbiType | [AbiType, number])[] = [scalar(r.pick([...INTS, ...FLOATS]))];
    while (layoutOf(struct(members)).size <= 16) members.push(r.chance(0.3) ? [scalar(r.pick(INTS)), r.range(2, 9)] : scalar(r.pick([...INTS, ...FLOATS])));
    return struct(members);
  }

  type(): AbiType {
    const r = this.rng;
    if (r.chance(this.exotic)) return this.exoticType();
    const k = r.int(100);
    if (k < 40) return scalar(r.pick(INTS));
    if (k < 65) return scalar(r.pick(FLOATS));
    if (k < 77) return this.hfa();
    if (k < 92) return this.smallStruct(16);
    return this.bigStruct();
  }

  variadicType(): AbiType {
    const r = this.rng;
    const k = r.int(100);
    if (k < 75) return scalar(r.pick(PROMOTED));
    if (k < 85) return this.hfa();
    if (k < 95) return this.smallStruct(16);
    return this.bigStruct();
  }
}

/** 1 to 12 integer/pointer arguments, 6 to 12 three times in four; an integer or void result. */
function integerOnlySignature(rng: Rng, id: string): Signature {
  const n = rng.chance(0.75) ? rng.range(6, 12) : rng.range(1, 5);
  const params = Array.from({ length: n }, () => scalar(rng.pick(INTS)));
  return { id, result: rng.chance(0.2) ? null : scalar(rng.pick(INTS)), params };
}

export function randomSignature(rng: Rng, id: string, options: RandomOptions = {}): Signature {
  // no draw unless asked for, so the signatures of a seed stay what they were without the knob
  if (options.integerOnly && rng.chance(options.integerOnly)) return integerOnlySignature(rng, id);
  const g = new Generator(rng, options.exotic ?? 0.05);
  const n = rng.chance(0.35) ? rng.range(8, 18) : rng.range(0, 8);
  // register pressure of one class makes the stack rules for it (and the other class) visible
  const pressure = rng.int(4);
  const params: AbiType[] = [];
  for (let i = 0; i < n; i++) {
    if (pressure === 1 && rng.chance(0.6)) params.push(scalar(rng.pick(INTS)));
    else if (pressure === 2 && rng.chance(0.6)) params.push(rng.chance(0.8) ? scalar(rng.pick(FLOATS)) : g.hfa());
    else params.push(g.type());
  }
  const result = rng.chance(0.2) ? null : g.type();
  if (params.length >= 1 && rng.chance(options.variadic ?? 0.1)) {
    const from = rng.range(1, params.length);
    const extra = rng.range(1, 6);
    for (let i = 0; i < extra; i++) params.push(g.variadicType());
    for (let i = from; i < params.length; i++) params[i] = promote(params[i]!, g);
    return { id, result, params, variadicFrom: from };
  }
  return { id, result, params };
}

/** Anonymous arguments must be of a type the C default argument promotions leave alone. */
function promote(t: AbiType, g: Generator): AbiType {
  if (t.kind === 'scalar' && !PROMOTED.includes(t.scalar) && !['i128', 'f128', 'v64', 'v128'].includes(t.scalar)) return g.variadicType();
  return t;
}

/** `count` signatures from `seed`, named rand-<seed>-<i>. */
export function randomSignatures(seed: number, count: number, options: RandomOptions = {}): Signature[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => randomSignature(rng, `rand-${seed}-${i}`, options));
}

export { formatSignature };
