import { foldAddresses } from './addr-fold.js';
import { bitfields } from './bitfield.js';
import { recognizeBitPermutations } from './bitperm.js';
import { hoistConstants } from './const-hoist.js';
import { constantFold } from './const-fold.js';
import { conditionalSelects } from './csel.js';
import { deadCode } from './dce.js';
import { commonSubexpressions } from './gvn.js';
import { reassociateInduction } from './induction.js';
import { mergeLoads } from './load-merge.js';
import { foldOperands } from './operand-fold.js';
import { recognizeRotates } from './rotate.js';
import { strengthReduce } from './strength.js';
import { zeroExtensions } from './zext.js';
import type { Func, Inst } from './ir.js';

/**
 * The pass manager: every transformation of the optimization tier by name, in the order they
 * run, each one switchable (`OptimizeOptions.disable`) for bisecting a miscompilation, and
 * counted: `run` returns how often the pass changed something, which the compiler reports
 * per program (CompiledProgram.optimizer) and the fuzzer sums over a run.
 *
 * Three kinds: `build` passes are choices of the SSA builder, `ir` passes rewrite the SSA
 * form, `emit` passes are choices of register allocation and code emission.
 */
export type PassKind = 'build' | 'ir' | 'emit';

export interface PassContext {
  /** loads whose value another instruction now provides (removable although loads may fault) */
  readonly redundantLoads: Set<Inst>;
  /** the program was verified: no load can fault, so dead loads may go */
  readonly verified: boolean;
  /** memory accesses must stay exactly as written (sandbox checks): no load merging */
  readonly exactMemory: boolean;
  /** the program is constant-blinded: AX values stay opaque (never folded) */
  readonly blinded: boolean;
}

export interface Pass {
  readonly name: PassName;
  readonly kind: PassKind;
  /** what it does, for `--help`-style listings and the design note */
  readonly summary: string;
  readonly run?: (fn: Func, ctx: PassContext) => number;
}

export const PASS_NAMES = [
  'copy-propagation',
  'stack-slots',
  'const-fold',
  'zero-extension',
  'cse',
  'induction',
  'load-merge',
  'bit-permute',
  'rotate',
  'strength',
  'const-hoist',
  'operand-fold',
  'bitfield',
  'address-fold',
  'csel',
  'dead-code',
  'leaf-frame',
  'compare-branch',
] as const;
export type PassName = (typeof PASS_NAMES)[number];

export const PASSES: readonly Pass[] = [
  { name: 'copy-propagation', kind: 'build', summary: 'register copies name the same value (mov + op become one three-operand instruction)' },
  { name: 'stack-slots', kind: 'build', summary: 'constant-offset R10 slots whose address never escapes live in registers' },
  { name: 'const-fold', kind: 'ir', summary: 'constant propagation and folding, algebraic identities, branches on constants', run: constantFold },
  { name: 'zero-extension', kind: 'ir', summary: 'zero-extensions of values whose upper bits are known zero are removed', run: zeroExtensions },
  { name: 'cse', kind: 'ir', summary: 'common subexpressions, equal constants and phis, repeated loads within a block', run: commonSubexpressions },
  { name: 'induction', kind: 'ir', summary: 'values derived from an induction variable after its increment are computed from the new value', run: reassociateInduction },
  { name: 'load-merge', kind: 'ir', summary: 'byte/halfword load ladders become one load of the full width (REV for big-endian)', run: mergeLoads },
  { name: 'bit-permute', kind: 'ir', summary: 'shift/mask/OR trees that permute the bits of one value become RBIT, REV, REV16 or ROR', run: recognizeBitPermutations },
  { name: 'rotate', kind: 'ir', summary: 'shift/or pairs become ROR, EXTR and RORV', run: recognizeRotates },
  { name: 'strength', kind: 'ir', summary: 'multiplies and unsigned divides by constants become shifts and shifted adds', run: strengthReduce },
  { name: 'const-hoist', kind: 'ir', summary: 'constants that need materializing are computed once, outside loops', run: hoistConstants },
  { name: 'operand-fold', kind: 'ir', summary: 'shifted and extended register operands, BIC/ORN/EON, MADD/MSUB (again after bitfield)', run: (fn, ctx) => foldOperands(fn, ctx) },
  { name: 'bitfield', kind: 'ir', summary: 'shift and mask pairs become UBFX, SBFX, UBFIZ, BFI; masks become UXTB/UXTH', run: (fn, ctx) => bitfields(fn, ctx) + foldOperands(fn, ctx) },
  { name: 'address-fold', kind: 'ir', summary: 'address arithmetic into [base, #imm], [base, index] and [base, index, lsl #n]', run: foldAddresses },
  { name: 'csel', kind: 'ir', summary: 'small diamonds and triangles become CSEL, CSINC, CSINV, CSNEG', run: conditionalSelects },
  { name: 'dead-code', kind: 'ir', summary: 'unused results without side effects, and frame stores nobody reads, are removed', run: deadCode },
  { name: 'leaf-frame', kind: 'emit', summary: 'functions without calls, stack or callee-saved registers get no frame record (LR stays in x30)' },
  { name: 'compare-branch', kind: 'emit', summary: 'TBZ/TBNZ for single-bit tests (CBZ/CBNZ for zero tests are the shared branch emitter\'s)' },
];

/** Which passes run: all of them but the disabled ones. */
export class PassSet {
  readonly #off: ReadonlySet<string>;
  constructor(disable: readonly string[] = []) {
    for (const n of disable) if (!(PASS_NAMES as readonly string[]).includes(n)) throw new RangeError(`unknown optimizer pass '${n}' (passes: ${PASS_NAMES.join(', ')})`);
    this.#off = new Set(disable);
  }
  on(name: PassName): boolean {
    return !this.#off.has(name);
  }
}

/** How often each pass fired, summed over functions (and, by callers, over programs). */
export type PassCounts = Partial<Record<PassName, number>>;

export function addCount(counts: PassCounts, name: PassName, n: number): void {
  if (n > 0) counts[name] = (counts[name] ?? 0) + n;
}
