import { MAX_CALL_FRAMES } from '../../validate.js';
import type { VerifierEnv } from '../env.js';
import type { HelperProto } from '../../helper-protos.js';
import { mapTypeInfo } from '../../maps.js';
import { MSG } from '../messages.js';
import type { PtrReg, RegState } from '../reg-state.js';
import { NOT_INIT, UNKNOWN, isPtr, ptrReg, regTypeName, scalarReg } from '../reg-state.js';
import { constValue, formatScalar, isConst, makeScalar, signedRange } from '../scalar.js';
import { BOUNDS_UNKNOWN, min as bmin } from '../bounds.js';
import type { VerifierState } from '../state.js';
import { FrameState } from '../state.js';
import { TNUM_UNKNOWN } from '../tnum.js';
import type { StepContext, Successor } from './common.js';
import { readReg } from './common.js';
import { checkHelperArgs } from './helper-args.js';

/**
 * Calls and returns: helpers by prototype (including helpers that call back into the program,
 * like bpf_loop), bpf-to-bpf calls with a frame of their own, callx through a function
 * address, native functions (trusted code: only their arguments' readability is checked), and
 * exit, which returns to the caller, ends a callback run, or ends the program.
 */

/** R1-R5 are caller-saved: after any call they hold nothing readable. */
function clobberArgs(frame: FrameState): void {
  for (let r = 1; r <= 5; r++) frame.regs[r] = NOT_INIT;
  frame.argsOut = frame.argsOut.map(() => undefined);
}

export function callLocal(ctx: StepContext, target: number): Successor[] {
  const { state, pc } = ctx;
  if (state.frames.length >= MAX_CALL_FRAMES) ctx.env.fail(`the call stack of ${state.frames.length + 1} frames is too deep`, pc);
  const caller = state.cur;
  const callee = FrameState.entry(state.frames.length, target, pc);
  for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r] as RegState;
  callee.argsIn = caller.argsOut.slice();
  caller.argsOut = caller.argsOut.map(() => undefined);
  state.frames.push(callee);
  return [{ state, pc: target }];
}

/**
 * A native function (CALL src 2) is the embedder's own trusted code: what it is given is its
 * business (the stack-argument rules are validate.ts's). It returns a number.
 */
export function callNative(ctx: StepContext, _id: number): Successor[] {
  const { state, pc } = ctx;
  const frame = state.cur;
  clobberArgs(frame);
  frame.regs[0] = UNKNOWN;
  return [{ state, pc: pc + 1 }];
}

export function callx(ctx: StepContext, reg: number): Successor[] {
  const { env, state, pc } = ctx;
  const v = readReg(env, state, reg, pc);
  if (v.type === 'func') return callLocal(ctx, (v as PtrReg).map);
  // uBPF's convention (and bpf_conformance's callx test): a register holding a helper id
  if (v.type === 'scalar' && isConst(v.v)) {
    const id = constValue(v.v);
    if (id <= 0x7fff_ffffn && env.helpers.has(Number(id))) return callHelper(ctx, Number(id));
  }
  return env.fail(MSG.callxTarget(reg, v.type === 'scalar' ? formatScalar(v.v) : regTypeName(v)), pc);
}

const BPF_MAX_LOOPS = 1 << 23;

export function callHelper(ctx: StepContext, id: number): Successor[] {
  const { env, state, pc } = ctx;
  const proto: HelperProto | undefined = env.helpers.get(id);
  if (!proto && env.options.trustedHelpers?.has(id)) return callNative(ctx, id);
  if (!proto) return env.fail(MSG.invalidFunc(id), pc);
  if (!(proto.programTypes as ReadonlySet<string>).has(env.typeName)) return env.fail(MSG.helperNotAllowed(`bpf_${proto.name}`, id), pc);
  const checked = checkHelperArgs(env, state, pc, proto);
  // the kernel's check_map_func_compatibility: which helpers a map type works with
  for (const slot of checked.maps.values()) {
    const info = mapTypeInfo(env.map(slot).type);
    if (info && !info.helpers.includes(id)) env.fail(MSG.mapIncompatible(info.id, `bpf_${proto.name}`, id), pc);
  }
  const caller = state.cur;
  const args = caller.regs.slice(0, 6);
  const callbackArg = proto.args.find((a) => a.callback);

  // the state after the helper returns
  const after = callbackArg ? state.clone() : state;
  const frame = after.cur;
  if (checked.released !== undefined) release(after, checked.released);
  if (proto.changesPacketData) invalidatePackets(after);
  frame.regs[0] = helperResult(env, after, proto, args, checked, pc);
  clobberArgs(frame);
  const out: Successor[] = [];
  if (callbackArg?.callback && checked.funcPc !== undefined) {
    // Run the callback (any number of times: it comes back to this call, which runs it
    // again until the states converge) and continue after the helper.
    if (state.frames.length >= MAX_CALL_FRAMES) env.fail(`the call stack of ${state.frames.length + 1} frames is too deep`, pc);
    const cb = callbackArg.callback;
    const callee = FrameState.entry(state.frames.length, checked.funcPc, pc, { callPc: pc, returns: cb.returns });
    cb.args.forEach((a, k) => {
      const r = k + 1;
      if (a.kind === 'arg') callee.regs[r] = args[a.fromArg] as RegState;
      else callee.regs[r] = a.name === 'index' ? scalarReg(makeScalar(TNUM_UNKNOWN, { ...BOUNDS_UNKNOWN, umax: BigInt(BPF_MAX_LOOPS - 1) })!) : UNKNOWN;
    });
    state.frames.push(callee);
    out.push({ state, pc: checked.funcPc });
  }
  out.push({ state: after, pc: pc + 1 });
  return out;
}

function helperResult(env: VerifierEnv, s: VerifierState, proto: HelperProto, args: readonly RegState[], checked: { maps: Map<number, number> }, pc: number): RegState {
  const ret = proto.ret;
  switch (ret.kind) {
    case 'RET_VOID':
      return NOT_INIT;
    case 'RET_INTEGER': {
      let hi = ret.max;
      const bound = ret.maxFromArg !== undefined ? args[ret.maxFromArg] : undefined;
      if (bound?.type === 'scalar' && bound.v.umax <= 0x7fff_ffff_ffff_ffffn) hi = hi === undefined ? bound.v.umax : bmin(hi, bound.v.umax);
      if (ret.min === undefined && hi === undefined) return UNKNOWN;
      return scalarReg(signedRange(ret.min ?? -(1n << 63n), hi ?? (1n << 63n) - 1n));
    }
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL': {
      const map = checked.maps.get(ret.mapArg ?? 1);
      if (map === undefined) return env.fail(`helper ${proto.name}: no map argument for its result`, pc);
      if (mapTypeInfo(env.map(map).type)?.lookup === 'inner_map') {
        // a map of maps gives NULL or the inner map itself
        const inner = env.innerSlot(map);
        if (inner === undefined) return env.fail(`map '${env.map(map).name}' has no inner map description`, pc);
        return ptrReg('map_ptr', { map: inner, orNull: true, id: env.nextId() });
      }
      return ptrReg('map_value', { map, orNull: true, id: env.nextId() });
    }
    case 'RET_PTR_TO_RINGBUF_MEM_OR_NULL': {
      const size = args[ret.sizeArg ?? 2] as RegState;
      const bytes = size.type === 'scalar' && isConst(size.v) ? Number(constValue(size.v)) : 0;
      const id = env.nextId();
      s.refs = [...s.refs, { id, pc }];
      return ptrReg('mem', { range: bytes, orNull: true, id, refId: id, ringbuf: true });
    }
    default:
      return env.fail(`helper ${proto.name}: return kind ${ret.kind} is not supported by the verifier`, pc);
  }
}

/** A released reference: every copy of its pointer becomes unreadable. */
function release(s: VerifierState, refId: number): void {
  s.refs = s.refs.filter((r) => r.id !== refId);
  s.forEachReg((r, set) => {
    if (isPtr(r) && r.refId === refId) set(NOT_INIT);
  });
}

/** A helper that moves packet data (adjust_head, ...) invalidates every packet pointer. */
function invalidatePackets(s: VerifierState): void {
  s.forEachReg((r, set) => {
    if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end') set(NOT_INIT);
  });
}

/**
 * exit: from the entry function the program ends (R0 must be a scalar in the type's range,
 * every reference released); from a callee it returns R0 to the caller; from a callback it
 * goes back to the helper call that runs it.
 */
export function exitStep(ctx: StepContext): Successor[] {
  const { env, state, pc } = ctx;
  const frame = state.cur;
  if (state.frames.length > 1 && !frame.callback) {
    // a function returning void leaves R0 unset: the caller just cannot read it
    const r0 = frame.regs[0] as RegState;
    if (r0.type === 'stack' && (r0 as PtrReg).frame === frame.frameNo) env.fail(MSG.returnStackPtr(), pc);
    state.frames.pop();
    const caller = state.cur;
    caller.regs[0] = r0;
    for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
    return [{ state, pc: frame.callsite + 1 }];
  }
  const r0 = readReg(env, state, 0, pc);
  if (frame.callback) {
    if (r0.type !== 'scalar') return env.fail(MSG.leakReturn(), pc);
    const { min, max } = frame.callback.returns;
    if (r0.v.smin < BigInt(min) || r0.v.smax > BigInt(max)) env.fail(MSG.callbackReturn(formatScalar(r0.v), `[${min}, ${max}]`), pc);
    state.frames.pop();
    return [{ state, pc: frame.callback.callPc }];
  }
  if (r0.type !== 'scalar') env.fail(MSG.leakReturn(), pc);
  const range = env.returnRange;
  if (range && r0.type === 'scalar' && (r0.v.smin < BigInt(range.min) || r0.v.smax > BigInt(range.max))) {
    env.fail(MSG.programReturn(formatScalar(r0.v), `[${range.min}, ${range.max}]`), pc);
  }
  const leaked = state.refs[0];
  if (leaked) env.fail(MSG.unreleased(leaked.id, leaked.pc), pc);
  return [];
}
