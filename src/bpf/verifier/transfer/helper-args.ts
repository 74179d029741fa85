import { STACK_FRAME_SIZE } from '../../validate.js';
import type { VerifierEnv } from '../env.js';
import { MAP_F_RDONLY_PROG, MAX_VAR_OFF } from '../env.js';
import type { HelperArg, HelperArgFlag, HelperProto } from '../../helper-protos.js';
import { MSG } from '../messages.js';
import { printkUses, type PrintkUse } from '../printk-format.js';
import type { PtrReg, RegState } from '../reg-state.js';
import { isPtr, regTypeName } from '../reg-state.js';
import { constValue, isConst } from '../scalar.js';
import { formatTnum } from '../tnum.js';
import type { VerifierState } from '../state.js';

/**
 * Helper arguments against their prototype (the kernel's check_func_arg and
 * check_helper_mem_access): each register must be the kind of value the helper takes, and
 * every byte a helper may read or write through a pointer argument must be memory the program
 * may read (initialized) or write. What a helper writes becomes initialized data.
 */
export interface CheckedArgs {
  /** the map of each ARG_CONST_MAP_PTR argument, by argument number (1-based) */
  readonly maps: Map<number, number>;
  /** the function of the ARG_PTR_TO_FUNC argument */
  funcPc?: number;
  /** the reference released by an OBJ_RELEASE argument */
  released?: number;
}

const MEMORY_TYPES = 'fp, pkt, pkt_meta, map_value, mem, ringbuf_mem';

const has = (arg: HelperArg, flag: HelperArgFlag): boolean => arg.flags?.includes(flag) === true;

/**
 * ARG_ANYTHING arguments that are an address the helper reads from with a checked copy
 * (-EFAULT on a bad address), by helper name and argument number: passing a pointer there
 * tells the program nothing (the kernel lets its tracing programs do it: allow_ptr_leaks).
 */
const ADDRESS_ARGS: ReadonlyMap<string, ReadonlySet<number>> = new Map(
  ['probe_read', 'probe_read_str', 'probe_read_user', 'probe_read_kernel', 'probe_read_user_str', 'probe_read_kernel_str'].map(
    (name) => [name, new Set([3])] as const,
  ),
);

/**
 * The variadic arguments of bpf_trace_printk (R3..R5) are ARG_DONTCARE in the kernel: clang
 * sets only the ones the format uses. With the format in frozen read-only data, each argument
 * it consumes must be set, and may be a pointer only where the helper reads through it (%s);
 * the ones it does not consume are not looked at. With a format not known here (built on the
 * stack, say), all three must be set numbers: an unset register or a pointer could be printed.
 */
function printkVarargs(env: VerifierEnv, regs: readonly RegState[]): (r: number) => 'unused' | PrintkUse {
  const fmt = regs[1] as RegState;
  const size = regs[2] as RegState;
  if (fmt.type !== 'map_value' || size.type !== 'scalar' || !isConst(size.v) || !isConst(fmt.v)) return () => 'value';
  const map = env.map(fmt.map);
  const off = fmt.off + Number(constValue(fmt.v));
  const n = Number(constValue(size.v));
  if (!map.frozen || !(map.flags & MAP_F_RDONLY_PROG) || off < 0 || n < 0 || off + n > map.frozen.bytes.length) return () => 'value';
  const uses = printkUses(map.frozen.bytes.subarray(off, off + n));
  return (r) => uses[r - 3] ?? 'unused';
}

export function checkHelperArgs(env: VerifierEnv, state: VerifierState, pc: number, proto: HelperProto): CheckedArgs {
  const regs = state.cur.regs;
  const out: CheckedArgs = { maps: new Map() };
  const reg = (i: number): RegState => regs[i] as RegState;
  const vararg = proto.name === 'trace_printk' ? printkVarargs(env, regs) : undefined;
  proto.args.forEach((arg, k) => {
    const r = k + 1;
    const v = reg(r);
    const use = vararg && r >= 3 ? vararg(r) : undefined;
    if (use === 'unused') return;
    if (v.type === 'not_init') env.fail(MSG.notReadable(r), pc);
    switch (arg.kind) {
      case 'ARG_ANYTHING':
        if (isPtr(v) && use !== 'memory' && !ADDRESS_ARGS.get(proto.name)?.has(r)) env.fail(MSG.leakHelper(r), pc);
        return;
      case 'ARG_CONST_MAP_PTR': {
        if (v.type !== 'map_ptr') env.fail(MSG.argType(r, regTypeName(v), 'map_ptr'), pc);
        const p = v as PtrReg;
        const map = env.map(p.map);
        if (arg.mapTypes && !arg.mapTypes.includes(map.type)) env.fail(MSG.mapIncompatible(map.type, `bpf_${proto.name}`, proto.id), pc);
        out.maps.set(r, p.map);
        return;
      }
      case 'ARG_CONST_SIZE':
      case 'ARG_CONST_SIZE_OR_ZERO':
        // checked with the memory argument they size
        sizeOf(env, v, r, pc, arg.kind === 'ARG_CONST_SIZE');
        return;
      case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
        if (v.type !== 'scalar' || !isConst(v.v)) env.fail(MSG.argNotConst(r), pc);
        return;
      case 'ARG_PTR_TO_CTX': {
        if (v.type !== 'ctx') env.fail(MSG.argType(r, regTypeName(v), 'ctx'), pc);
        const p = v as PtrReg;
        if (p.off !== 0 || !isConst(p.v) || constValue(p.v) !== 0n) env.fail(MSG.ctxModified(r, p.off), pc);
        return;
      }
      case 'ARG_PTR_TO_STACK':
        if (has(arg, 'PTR_MAYBE_NULL') && v.type === 'scalar' && isConst(v.v) && constValue(v.v) === 0n) return;
        if (v.type !== 'stack') env.fail(MSG.argType(r, regTypeName(v), 'fp'), pc);
        return;
      case 'ARG_PTR_TO_FUNC':
        if (v.type !== 'func') env.fail(MSG.argType(r, regTypeName(v), 'func'), pc);
        out.funcPc = (v as PtrReg).map;
        return;
      case 'ARG_PTR_TO_RINGBUF_MEM': {
        if (v.type !== 'mem' || !(v as PtrReg).ringbuf || (v as PtrReg).orNull) env.fail(MSG.argType(r, regTypeName(v), 'ringbuf_mem'), pc);
        const p = v as PtrReg;
        if (p.off !== 0 || !isConst(p.v) || constValue(p.v) !== 0n) env.fail(MSG.releaseOffset(r, p.off), pc);
        if (!state.refs.some((ref) => ref.id === p.refId)) env.fail(MSG.releaseNotAcquired(r), pc);
        out.released = p.refId;
        return;
      }
      case 'ARG_PTR_TO_MAP_KEY':
      case 'ARG_PTR_TO_MAP_VALUE': {
        const m = out.maps.get(arg.mapArg ?? 1);
        if (m === undefined) return env.fail(MSG.argType(arg.mapArg ?? 1, 'scalar', 'map_ptr'), pc);
        const map = env.map(m);
        const size = arg.kind === 'ARG_PTR_TO_MAP_KEY' ? map.keySize : map.valueSize;
        const uninit = has(arg, 'MEM_UNINIT');
        helperMemory(env, state, pc, r, v, size, size, !uninit, uninit || has(arg, 'MEM_WRITE'), proto.pktAccess);
        return;
      }
      case 'ARG_PTR_TO_MEM': {
        const sizeRegno = arg.sizeArg ?? r + 1;
        const sizeReg = reg(sizeRegno);
        // the size is checked first, as the kernel checks the memory with its size argument
        const sizeKind = proto.args[sizeRegno - 1]?.kind;
        if (sizeReg.type === 'scalar') sizeOf(env, sizeReg, sizeRegno, pc, sizeKind === 'ARG_CONST_SIZE');
        const sz = sizeReg.type === 'scalar' ? sizeReg.v : undefined;
        const min = sz ? Number(sz.umin < BigInt(MAX_VAR_OFF) ? sz.umin : BigInt(MAX_VAR_OFF)) : 0;
        const max = sz ? Number(sz.umax < BigInt(MAX_VAR_OFF) ? sz.umax : BigInt(MAX_VAR_OFF)) : 0;
        if (has(arg, 'PTR_MAYBE_NULL') && v.type === 'scalar' && isConst(v.v) && constValue(v.v) === 0n) return;
        const uninit = has(arg, 'MEM_UNINIT');
        const write = uninit || has(arg, 'MEM_WRITE');
        helperMemory(env, state, pc, r, v, min, max, !uninit, write, true);
        return;
      }
      case 'ARG_PTR_TO_CONST_STR': {
        if (v.type !== 'map_value') env.fail(MSG.argType(r, regTypeName(v), 'map_value'), pc);
        const p = v as PtrReg;
        const map = env.map(p.map);
        if (!(map.flags & MAP_F_RDONLY_PROG)) env.fail(`R${r} does not point to a readonly map'`, pc);
        if (!isConst(p.v) || p.off < 0 || p.off >= map.valueSize) env.fail(MSG.mapValueAccess(map.valueSize, p.off, 1), pc);
        return;
      }
      default: {
        const unknown: never = arg.kind;
        env.fail(`helper ${proto.name}: argument kind ${String(unknown)} is not supported by the verifier`, pc);
      }
    }
  });
  return out;
}

function sizeOf(env: VerifierEnv, v: RegState, r: number, pc: number, nonZero: boolean): void {
  if (v.type !== 'scalar') return env.fail(MSG.argType(r, regTypeName(v), 'scalar'), pc);
  if (v.v.smin < 0n) env.fail(MSG.argNegativeSize(r), pc);
  if (v.v.umax >= BigInt(MAX_VAR_OFF)) env.fail(MSG.argUnboundedSize(r), pc);
  if (nonZero && v.v.umin === 0n) env.fail(MSG.argZeroSize(r), pc);
}

/** `min`..`max` bytes through register r: read (must be initialized) and/or written by the helper. */
function helperMemory(env: VerifierEnv, state: VerifierState, pc: number, r: number, v: RegState, min: number, max: number, read: boolean, write: boolean, pktAccess: boolean): void {
  if (!isPtr(v)) return env.fail(MSG.argType(r, regTypeName(v), MEMORY_TYPES), pc);
  if (v.orNull) return env.fail(MSG.argType(r, regTypeName(v), MEMORY_TYPES), pc);
  if (max === 0) return;
  const varLo = isConst(v.v) ? Number(BigInt.asIntN(64, constValue(v.v))) : v.v.smin < -BigInt(MAX_VAR_OFF) ? -MAX_VAR_OFF : Number(v.v.smin);
  const varHi = isConst(v.v) ? varLo : v.v.umax >= BigInt(MAX_VAR_OFF) ? MAX_VAR_OFF : Number(v.v.umax);
  const lo = v.off + varLo;
  const hi = v.off + varHi;
  const fixed = varLo === varHi;
  switch (v.type) {
    case 'stack': {
      const frame = state.frames[v.frame]!;
      if (lo < -STACK_FRAME_SIZE || hi + max > 0) {
        if (fixed) env.fail(MSG.helperStackAccess(r, lo, max), pc);
        env.fail(MSG.varHelperStackAccess(r, formatTnum(v.v.t), v.off, max), pc);
      }
      env.noteStack(env.cfg.funcOf[frame.funcStart] as number, -lo);
      if (read) {
        const problem = frame.stack.checkReadable(lo, hi + max);
        if (problem) env.fail(MSG.indirectStackRead(r, lo, problem.off - lo, max), pc);
      }
      if (write) {
        if (fixed) {
          frame.writableStack().fill(lo, lo + min);
          const p = frame.writableStack().writeVariable(lo + min, lo + min, max - min);
          if (p && max > min) env.fail(MSG.corruptSpill(), pc);
        } else if (frame.writableStack().writeVariable(lo, hi, max)) env.fail(MSG.corruptSpill(), pc);
      }
      return;
    }
    case 'map_value': {
      const map = env.map(v.map);
      if (varLo < 0) env.fail(MSG.minNegative(r), pc);
      if (lo < 0 || hi + max > map.valueSize) env.fail(MSG.mapValueAccess(map.valueSize, lo < 0 ? lo : hi, max), pc);
      if (write && map.flags & MAP_F_RDONLY_PROG) env.fail(MSG.mapWriteForbidden(map.valueSize, lo, max), pc);
      return;
    }
    case 'mem': {
      if (varLo < 0) env.fail(MSG.minNegative(r), pc);
      if (lo < 0 || (v.range >= 0 && hi + max > v.range)) env.fail(MSG.memAccess(v.range >= 0 ? v.range : undefined, lo < 0 ? lo : hi, max), pc);
      if (v.range < 0) env.requiredMem = Math.max(env.requiredMem, hi + max);
      return;
    }
    case 'pkt':
    case 'pkt_meta': {
      if (!pktAccess) env.fail(MSG.argType(r, regTypeName(v), 'fp, map_value, mem'), pc);
      if (varLo < 0) env.fail(MSG.minNegative(r), pc);
      if (v.off < 0 || v.off + max > v.range) env.fail(MSG.packetAccess(v.off, max, r, v.id, v.off, v.range), pc);
      if (write && !env.context?.packetWritable) env.fail(MSG.readonlyMem(r, 'packet'), pc);
      return;
    }
    default:
      env.fail(MSG.argType(r, regTypeName(v), MEMORY_TYPES), pc);
  }
}
