/** Condition codes (ARM ARM C1.2.4), as their 4-bit encodings. */
export const Cond = {
  EQ: 0,
  NE: 1,
  HS: 2,
  LO: 3,
  MI: 4,
  PL: 5,
  VS: 6,
  VC: 7,
  HI: 8,
  LS: 9,
  GE: 10,
  LT: 11,
  GT: 12,
  LE: 13,
  AL: 14,
  NV: 15,
  /** Aliases: carry set / clear are the unsigned >= / < tests. */
  CS: 2,
  CC: 3,
} as const;
export type Cond = (typeof Cond)[keyof typeof Cond];

const NAMES = ['eq', 'ne', 'hs', 'lo', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'] as const;
export type CondName = (typeof NAMES)[number];

/** LLVM's spelling of a condition (`hs`/`lo`, not `cs`/`cc`). */
export function condName(c: Cond): CondName {
  return NAMES[c]!;
}

/**
 * The opposite condition. Flipping bit 0 inverts every pair except AL/NV, which both mean
 * "always" (NV exists only as an encoding) and have no inverse.
 */
export function invertCond(c: Cond): Cond {
  if (c >= 14) throw new RangeError(`condition ${condName(c)} has no inverse`);
  return (c ^ 1) as Cond;
}

export const ALL_CONDS: readonly Cond[] = Array.from({ length: 16 }, (_, i) => i as Cond);
