/** Barriers, hints and exception generation (ARM ARM C4.1.3 "System", "Hints", "Barriers"). */
import { A64EncodeError } from './errors.js';
import { uimm } from './operands.js';
import type { XReg } from './registers.js';

/** Barrier domain/type options of DMB and DSB, as their CRm values. */
export const BARRIER_OPTIONS = {
  oshld: 1, oshst: 2, osh: 3, nshld: 5, nshst: 6, nsh: 7, ishld: 9, ishst: 10, ish: 11, ld: 13, st: 14, sy: 15,
} as const;
export type BarrierOption = keyof typeof BARRIER_OPTIONS;

function barrier(mn: string, baseWord: number, option: BarrierOption | number): number {
  const crm = typeof option === 'number' ? uimm(mn, 'option', option, 4) : BARRIER_OPTIONS[option];
  if (crm === undefined) throw new A64EncodeError(mn, 'option', `${String(option)} is not a barrier option`);
  return (baseWord | (crm << 8)) >>> 0;
}
export const dmb = (option: BarrierOption | number = 'sy'): number => barrier('dmb', 0xd50330bf, option);
export const dsb = (option: BarrierOption | number = 'sy'): number => barrier('dsb', 0xd503309f, option);
/** ISB: only the SY option exists architecturally; others are reserved. */
export const isb = (): number => 0xd5033fdf;

/** HINT #n (0..127). NOP, BTI, PACIASP etc. are hints, so they execute as NOPs on older cores. */
export const hint = (n: number): number => (0xd503201f | (uimm('hint', 'imm', n, 7) << 5)) >>> 0;
export const nop = (): number => hint(0);

const BTI_TARGETS = { '': 32, c: 34, j: 36, jc: 38 } as const;
export type BtiTarget = keyof typeof BTI_TARGETS;
/** BTI {c|j|jc}: branch target identification landing pad (FEAT_BTI). */
export function bti(target: BtiTarget = ''): number {
  const n = BTI_TARGETS[target];
  if (n === undefined) throw new A64EncodeError('bti', 'target', `${String(target)} (allowed: c, j, jc or none)`);
  return hint(n);
}
/** PACIASP/AUTIASP: sign/authenticate LR with key A and SP as modifier (FEAT_PAuth). */
export const paciasp = (): number => hint(25);
export const autiasp = (): number => hint(29);

/**
 * System registers MRS can read here, as (op0, op1, CRn, CRm, op2) (ARM ARM D23 "AArch64 System
 * register descriptions"): the generic timer's virtual count and its frequency, both readable
 * at EL0 on Linux (CNTKCTL_EL1.EL0VCTEN, set by the kernel for the vDSO).
 */
export const SYSTEM_REGISTERS = {
  cntvct_el0: [3, 3, 14, 0, 2],
  cntfrq_el0: [3, 3, 14, 0, 0],
} as const satisfies Record<string, readonly [number, number, number, number, number]>;
export type SystemRegister = keyof typeof SYSTEM_REGISTERS;

/** MRS Xt, <systemreg> (C6.2.248): 1101010100 1 1 o0 op1 CRn CRm op2 Rt, op0 = 2 + o0. */
export function mrs(rt: XReg, reg: SystemRegister): number {
  const fields = SYSTEM_REGISTERS[reg];
  if (fields === undefined) throw new A64EncodeError('mrs', 'systemreg', `${String(reg)} (known: ${Object.keys(SYSTEM_REGISTERS).join(', ')})`);
  if (rt.width !== 64 || rt.kind !== 'gp' || rt.isSp) throw new A64EncodeError('mrs', 'rt', `${rt.name} is not an X register or XZR`);
  const [op0, op1, crn, crm, op2] = fields;
  return (0xd5300000 | ((op0 - 2) << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | rt.num) >>> 0;
}

/** BRK #imm16: breakpoint exception; the immediate is for the debugger. */
export const brk = (imm16: number): number => (0xd4200000 | (uimm('brk', 'imm', imm16, 16) << 5)) >>> 0;
/** UDF #imm16: permanently undefined, raises SIGILL. */
export const udf = (imm16: number): number => uimm('udf', 'imm', imm16, 16);
