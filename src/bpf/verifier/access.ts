import { STACK_FRAME_SIZE } from '../validate.js';
import type { VerifierEnv } from './env.js';
import { MAP_F_RDONLY_PROG, MAX_VAR_OFF } from './env.js';
import { MSG } from './messages.js';
import type { PtrReg, RegState } from './reg-state.js';
import { UNKNOWN, fixedOffset, isPtr, ptrReg, regTypeName, scalarReg } from './reg-state.js';
import { constScalar, constValue, isConst, scalarIn, scalarSext, scalarUnion, unsignedRange } from './scalar.js';
import type { StackProblem } from './stack-state.js';
import { isStackProblem } from './stack-state.js';
import type { VerifierState } from './state.js';
import { formatTnum, tnumIsAligned } from './tnum.js';

/**
 * Memory access checks, one per kind of pointer (the kernel's check_mem_access and the
 * check_*_access functions it dispatches to). A read returns what the register becomes; a
 * write stores `value` (undefined: data of unknown value). Every access proven in bounds is
 * recorded as a fact.
 */
export type AccessKind = 'read' | 'write' | 'atomic';

export interface Access {
  readonly pc: number;
  /** the register holding the pointer */
  readonly regno: number;
  readonly ptr: RegState;
  /** the instruction's offset */
  readonly off: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly kind: AccessKind;
  /** write: the register stored, or undefined for an immediate / unknown data */
  readonly value?: RegState;
  /** the register number of `value` (for leak messages) */
  readonly valueRegno?: number;
  /** LDX|MEMSX */
  readonly signed?: boolean;
  /** atomics and acquire/release need natural alignment (arm64 faults otherwise) */
  readonly aligned?: boolean;
}

const DATA: readonly RegState[] = [1, 2, 4].reduce<RegState[]>((a, n) => ((a[n] = scalarReg(unsignedRange(0n, (1n << BigInt(8 * n)) - 1n))), a), []);
/** What a load of `size` bytes of data gives: any number that fits. */
const dataOfSize = (size: number): RegState => (size === 8 ? UNKNOWN : (DATA[size] as RegState));

/** Offsets an access can start at: fixed part plus the variable part's range. */
function span(p: PtrReg, off: number): { lo: number; hi: number; fixed: boolean } {
  const base = p.off + off;
  if (isConst(p.v)) {
    const c = Number(BigInt.asIntN(64, constValue(p.v)));
    return { lo: base + c, hi: base + c, fixed: true };
  }
  const lo = p.v.smin < -BigInt(MAX_VAR_OFF) ? -MAX_VAR_OFF * 2 : Number(p.v.smin);
  const hi = p.v.umax >= BigInt(MAX_VAR_OFF) ? MAX_VAR_OFF * 2 : Number(p.v.umax);
  return { lo: base + lo, hi: base + hi, fixed: false };
}

/**
 * The highest start by the signed range of the variable part (span's `hi` is the unsigned
 * one, which a possibly negative offset makes huge): sandbox mode's certainly-out test.
 */
function signedHi(p: PtrReg, off: number): number {
  return p.v.smax >= BigInt(MAX_VAR_OFF) ? Infinity : p.off + off + Number(p.v.smax < -BigInt(MAX_VAR_OFF) ? -BigInt(MAX_VAR_OFF) * 2n : p.v.smax);
}

function checkAlignment(env: VerifierEnv, a: Access, p: PtrReg, desc: string): void {
  if (!a.aligned) return;
  const at = p.off + a.off;
  if (at % a.size !== 0 || !tnumIsAligned(p.v.t, a.size)) env.fail(MSG.misaligned(desc, formatTnum(p.v.t), p.off, a.off, a.size), a.pc);
}

/** A store of a pointer anywhere but a stack slot would hand its address to whoever reads that memory. */
function noLeak(env: VerifierEnv, a: Access, where: string): void {
  if (a.kind === 'write' && a.value && isPtr(a.value)) env.fail(MSG.leakInto(a.valueRegno ?? 0, where), a.pc);
}

/** Check one access and apply it; returns the loaded register for reads. */
export function checkAccess(env: VerifierEnv, state: VerifierState, a: Access): RegState | undefined {
  const p = a.ptr;
  if (p.type === 'not_init') return env.fail(MSG.notReadable(a.regno), a.pc);
  if (p.type === 'scalar') return env.fail(MSG.invalidMemAccess(a.regno, 'scalar'), a.pc);
  if (p.orNull) return env.fail(MSG.invalidMemAccess(a.regno, regTypeName(p)), a.pc);
  switch (p.type) {
    case 'stack':
      return stackAccess(env, state, a, p);
    case 'map_value':
      return mapValueAccess(env, a, p);
    case 'mem':
      return memAccess(env, a, p);
    case 'pkt':
    case 'pkt_meta':
      return packetAccess(env, a, p);
    case 'ctx':
      return contextAccess(env, a, p);
    default:
      return env.fail(MSG.invalidMemAccess(a.regno, regTypeName(p)), a.pc);
  }
}

function loaded(a: Access, r: RegState): RegState {
  if (!a.signed || r.type !== 'scalar') return r;
  return scalarReg(scalarSext(r.v, (a.size * 8) as 8 | 16 | 32));
}

function stackProblem(env: VerifierEnv, a: Access, problem: StackProblem, at: number, indirect = false): never {
  switch (problem.kind) {
    case 'uninit':
      return env.fail(indirect ? MSG.indirectStackRead(a.regno, at, problem.off - at, a.size) : MSG.uninitStackRead(a.regno, at, problem.off - at, a.size), a.pc);
    case 'pointer-part':
      return env.fail(MSG.fillSize(), a.pc);
    case 'corrupt-pointer':
      return env.fail(MSG.corruptSpill(), a.pc);
  }
}

function stackAccess(env: VerifierEnv, state: VerifierState, a: Access, p: PtrReg): RegState | undefined {
  const frame = state.frames[p.frame];
  if (!frame) return env.fail(MSG.invalidMemAccess(a.regno, 'fp'), a.pc);
  checkAlignment(env, a, p, 'stack ');
  const { lo, hi, fixed } = span(p, a.off);
  const write = a.kind !== 'read';
  const func = env.cfg.funcOf[frame.funcStart] as number;
  if (fixed) {
    if (lo < -STACK_FRAME_SIZE || lo + a.size > 0) return env.fail(write ? MSG.invalidStackOff(a.regno, lo, a.size) : MSG.invalidStackReadOff(a.regno, lo, a.size), a.pc);
    env.noteStack(func, -lo);
    env.facts.access(a.pc, { region: 'fp', minOff: lo, maxOff: lo, size: a.size, write });
    if (a.kind === 'read') {
      const r = frame.stack.read(lo, a.size);
      if (isStackProblem(r)) return stackProblem(env, a, r, lo);
      return loaded(a, r);
    }
    if (a.kind === 'atomic') {
      const problem = frame.stack.checkReadable(lo, lo + a.size);
      if (problem) return stackProblem(env, a, problem, lo);
      frame.writableStack().write(lo, a.size, undefined);
      return undefined;
    }
    const v = a.value;
    if (v && isPtr(v) && (a.size !== 8 || (lo & 7) !== 0)) return env.fail(MSG.spillSize(), a.pc);
    const problem = frame.writableStack().write(lo, a.size, v);
    if (problem) return stackProblem(env, a, problem, lo);
    return undefined;
  }
  const varOff = formatTnum(p.v.t);
  const message = write ? MSG.varStackWrite(a.regno, varOff, p.off + a.off, a.size) : MSG.varStackRead(a.regno, varOff, p.off + a.off, a.size);
  // sandbox mode: the starts inside the frame are what the bytes are checked for; starts
  // outside it are the run-time checks' (none inside: certainly out of bounds, refused)
  const first = Math.max(lo, -STACK_FRAME_SIZE);
  const last = env.sandbox ? Math.min(hi, signedHi(p, a.off), -a.size) : hi;
  if (lo < -STACK_FRAME_SIZE || hi + a.size > 0) {
    if (first > last) return env.fail(message, a.pc);
    env.leaveToRunTime(message, a.pc);
  }
  env.noteStack(func, -first);
  env.facts.access(a.pc, { region: 'fp', minOff: lo, maxOff: hi, size: a.size, write });
  if (a.kind === 'read' || a.kind === 'atomic') {
    const problem = frame.stack.checkReadable(first, last + a.size);
    if (problem) return env.fail(MSG.varStackRead(a.regno, varOff, p.off + a.off, a.size), a.pc);
    if (a.kind === 'read') return loaded(a, dataOfSize(a.size));
  }
  if (a.value && isPtr(a.value)) return env.fail(MSG.leakInto(a.valueRegno ?? 0, 'stack'), a.pc);
  const problem = frame.writableStack().writeVariable(first, last, a.size);
  if (problem) return stackProblem(env, a, problem, first);
  return undefined;
}

/**
 * The range check of map values and memory (the kernel's check_mem_region_access): a variable
 * offset must be bounded below (>= 0) and above (< BPF_MAX_VAR_OFF), and every byte it may
 * reach must lie in [0, size).
 */
function regionCheck(env: VerifierEnv, a: Access, p: PtrReg, size: number | undefined, message: (size: number | undefined, off: number, len: number) => string): { lo: number; hi: number; proven: boolean } {
  const { lo, hi, fixed } = span(p, a.off);
  // a fixed offset outside, or no start inside [0, size - a.size]: certainly out of bounds
  const certain = fixed || Math.min(hi, signedHi(p, a.off)) < 0 || Math.max(lo, 0) > (size === undefined ? Infinity : size - a.size);
  const problem = (reason: string): void => (certain ? env.fail(reason, a.pc) : env.leaveToRunTime(reason, a.pc));
  let proven = true;
  const check = (bad: boolean, reason: () => string): void => {
    if (!bad) return;
    proven = false;
    problem(reason());
  };
  check(!fixed && p.v.smin < 0n, () => MSG.minNegative(a.regno));
  check(lo < 0, () => message(size, lo, a.size));
  check(!fixed && p.v.umax >= BigInt(MAX_VAR_OFF), () => MSG.unbounded(a.regno));
  check(size !== undefined && hi + a.size > size, () => message(size, hi, a.size));
  return { lo, hi, proven };
}

function mapValueAccess(env: VerifierEnv, a: Access, p: PtrReg): RegState | undefined {
  const map = env.map(p.map);
  if (p.checkedAt !== undefined) {
    // the access is at t + rel in the value, t the offset the check at checkedAt produced
    const check = env.facts.pointerCheckAt(p.checkedAt);
    if (check) {
      const rel = p.off - check.base + a.off;
      env.facts.pointerDemand(p.checkedAt, -rel, map.valueSize - a.size - rel);
    }
  }
  checkAlignment(env, a, p, '');
  const { lo, hi, proven } = regionCheck(env, a, p, map.valueSize, (_s, off, len) => MSG.mapValueAccess(map.valueSize, off, len));
  if (a.kind !== 'read' && map.flags & MAP_F_RDONLY_PROG) env.fail(MSG.mapWriteForbidden(map.valueSize, hi, a.size), a.pc);
  noLeak(env, a, 'map');
  env.facts.access(a.pc, { region: 'map_value', minOff: lo, maxOff: hi, size: a.size, write: a.kind !== 'read' });
  if (a.kind !== 'read') return undefined;
  // sandbox mode, bounds unproven: the offsets inside the value are the ones a read can give
  if (!proven) return loaded(a, frozenRead(env, a, p, Math.max(lo, 0), Math.min(hi, map.valueSize - a.size)) ?? dataOfSize(a.size));
  return loaded(a, frozenRead(env, a, p, lo, hi) ?? dataOfSize(a.size));
}

/** Most offsets a variable-offset read from frozen data is split into. */
const MAX_FROZEN_SPLIT = 256;

/**
 * A read from frozen contents: the constant (or the pointer placed there) at each offset the
 * read can start at, joined. Reading part of a placed pointer would hand out address bits, and
 * is refused; undefined when the map has no frozen contents (or too many offsets).
 */
function frozenRead(env: VerifierEnv, a: Access, p: PtrReg, lo: number, hi: number): RegState | undefined {
  const map = env.map(p.map);
  const frozen = map.frozen;
  const pointers = map.frozen?.pointers ?? [];
  if (!frozen || !(map.flags & MAP_F_RDONLY_PROG)) {
    // writable data may hold placed pointers too: never read them as numbers
    for (const ptr of map.frozen?.pointers ?? []) if (ptr.offset < hi + a.size && lo < ptr.offset + ptr.width) env.fail(MSG.pointerInMap(lo, a.size), a.pc);
    return undefined;
  }
  const offsets: number[] = [];
  for (let off = lo; off <= hi && offsets.length <= MAX_FROZEN_SPLIT; off++) {
    if (p.v.t.mask === 0n || tnumContainsOffset(p, off - p.off - a.off)) offsets.push(off);
  }
  if (offsets.length > MAX_FROZEN_SPLIT) {
    for (const ptr of pointers) if (ptr.offset < hi + a.size && lo < ptr.offset + ptr.width) env.fail(MSG.pointerInMap(lo, a.size), a.pc);
    return undefined;
  }
  let result: RegState | undefined;
  for (const off of offsets) {
    const ptr = pointers.find((q) => q.offset < off + a.size && off < q.offset + q.width);
    let one: RegState;
    if (ptr) {
      if (ptr.offset !== off || ptr.width !== 8 || a.size !== 8) return env.fail(MSG.pointerInMap(off, a.size), a.pc);
      const slot = env.mapSlot('data', ptr.target);
      if (slot === undefined) return env.fail(MSG.invalidMapIndex(ptr.target), a.pc);
      one = ptrReg('map_value', { map: slot, v: constScalar(BigInt(ptr.targetOffset)) });
    } else {
      let v = 0n;
      for (let i = a.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(frozen.bytes[off + i] ?? 0);
      one = scalarReg(constScalar(v));
    }
    result = result === undefined ? one : joinRegs(result, one);
    if (result === undefined) return env.fail(MSG.pointerInMap(lo, a.size), a.pc);
  }
  if (result && isPtr(result) && isConst(result.v)) {
    // fold a known offset into the fixed part
    return { ...result, off: result.off + Number(constValue(result.v)), v: constScalar(0n) };
  }
  return result;
}

function tnumContainsOffset(p: PtrReg, varValue: number): boolean {
  const v = BigInt.asUintN(64, BigInt(varValue));
  return (v & ~p.v.t.mask) === p.v.t.value && scalarIn(p.v, constScalar(v));
}

/** Two values a frozen read can give: both numbers, or pointers into the same data. */
function joinRegs(a: RegState, b: RegState): RegState | undefined {
  if (a.type === 'scalar' && b.type === 'scalar') return scalarReg(scalarUnion(a.v, b.v));
  if (a.type === 'map_value' && b.type === 'map_value' && a.map === b.map && a.off === b.off) return { ...a, v: scalarUnion(a.v, b.v) };
  return undefined;
}

/** Plain buffer (size -1 = not given: the verifier works out what it needs) and ringbuf records. */
function memAccess(env: VerifierEnv, a: Access, p: PtrReg): RegState | undefined {
  checkAlignment(env, a, p, '');
  const known = p.range >= 0 ? p.range : undefined;
  const { lo, hi, proven } = regionCheck(env, a, p, known, MSG.memAccess);
  // an access left to run time tells nothing about the memory a run must give
  if (known === undefined && proven) env.requiredMem = Math.max(env.requiredMem, hi + a.size);
  if (a.kind === 'atomic' && !p.ringbuf) env.memAtomics = true;
  noLeak(env, a, 'mem');
  env.facts.access(a.pc, { region: regTypeName(p), minOff: lo, maxOff: hi, size: a.size, write: a.kind !== 'read' });
  return a.kind === 'read' ? loaded(a, dataOfSize(a.size)) : undefined;
}

function packetAccess(env: VerifierEnv, a: Access, p: PtrReg): RegState | undefined {
  if (a.kind === 'atomic') env.fail(MSG.atomicNotAllowed(a.regno, regTypeName(p)), a.pc);
  // sandbox mode: a variable offset is left to the run-time checks (the analysis loses track
  // of packet lengths the program checked through a variable offset, and at loop heads it
  // widens cursors to one). A FIXED offset outside [0, r) is refused as in normal mode: r is
  // exactly what this path compared against data_end (a widened pointer has a variable
  // offset), so the access depends on a length the program never checked; at run time it
  // would pass or stop by the packet it happens to get (a 14-byte one lets `data + 13` through).
  if (!fixedOffset(p) && p.v.smin < 0n) env.leaveToRunTime(MSG.minNegative(a.regno), a.pc);
  const off = p.off + a.off;
  if (off < 0 || off + a.size > p.range) {
    const reason = MSG.packetAccess(off, a.size, a.regno, p.id, p.off, p.range);
    if (fixedOffset(p)) env.fail(reason, a.pc);
    env.leaveToRunTime(reason, a.pc);
  }
  if (a.kind === 'write' && !env.context?.packetWritable) env.fail(MSG.readonlyMem(a.regno, 'packet'), a.pc);
  noLeak(env, a, 'packet');
  env.facts.access(a.pc, { region: p.type, minOff: off, maxOff: off, size: a.size, write: a.kind !== 'read' });
  return a.kind === 'read' ? loaded(a, dataOfSize(a.size)) : undefined;
}

function contextAccess(env: VerifierEnv, a: Access, p: PtrReg): RegState | undefined {
  if (a.kind === 'atomic') env.fail(MSG.atomicNotAllowed(a.regno, 'ctx'), a.pc);
  if (!fixedOffset(p)) env.fail(MSG.ctxVarAccess(formatTnum(p.v.t), p.off + a.off, a.size), a.pc);
  // the access is rewritten by its instruction offset (convert_ctx_access): the pointer must be the context itself
  if (p.off !== 0) env.fail(MSG.ctxModified(a.regno, p.off), a.pc);
  const off = p.off + a.off;
  const rules = env.context;
  if (!rules) return env.fail(MSG.ctxAccess(off, a.size), a.pc);
  noLeak(env, a, 'ctx');
  const result = rules.access(off, a.size, a.kind === 'write', a.signed === true);
  if (typeof result === 'string' && result !== 'scalar') return env.fail(result, a.pc);
  env.facts.ctxField(a.pc, { off, size: a.size, write: a.kind === 'write' });
  env.facts.access(a.pc, { region: 'ctx', minOff: off, maxOff: off, size: a.size, write: a.kind === 'write' });
  if (a.kind === 'write') return undefined;
  return result === 'scalar' ? loaded(a, dataOfSize(a.size)) : result;
}

export { stackProblem };
