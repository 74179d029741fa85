/**
 * Binding of the helper prototypes (src/bpf/helper-protos.ts) to implementations: the native
 * helpers of the addon (native/helpers.cc, native/maps.cc, native/output-maps.cc) by id for a
 * program type, and for the interpreter thin adapters that check every pointer argument
 * against its address space (sizes from the prototypes) and then call the same native
 * function. Imports src/bpf models, the addon and the map storage only.
 */
import {
  BpfHelperArgError,
  BpfRuntimeError,
  HELPER_PROTOS,
  helperName,
  writesArg,
  type HelperArg,
  type HelperEnv,
  type HelperFn,
  type HelperProto,
  type Memory,
  type ProgramType,
} from '../../bpf/index.js';
import { addon } from '../addon.js';
import type { BpfMap } from '../maps/index.js';

/** Helpers that are not table entries: bpf_tail_call is inline code / the interpreter's; bpf_loop is rewritten away. */
const NOT_NATIVE = new Set([12, 181]);

let table: Record<string, bigint> | undefined;
function nativeTable(): Record<string, bigint> {
  table ??= addon().helperTable();
  return table;
}

/** The native function implementing helper `proto` for a program type. */
function nativeName(proto: HelperProto, type: ProgramType): string {
  // bpf_skb_event_output / bpf_xdp_event_output append packet bytes (BPF_F_CTXLEN_MASK)
  if (proto.name === 'perf_event_output' && type.packet !== undefined) return 'perf_event_output_packet';
  // probe_read{,_str} of old tracing programs and the _user/_kernel forms read this process
  if (proto.name === 'probe_read_user' || proto.name === 'probe_read_kernel') return 'probe_read';
  if (proto.name === 'probe_read_user_str' || proto.name === 'probe_read_kernel_str') return 'probe_read_str';
  return proto.name;
}

const byType = new Map<string, ReadonlyMap<number, bigint>>();

/** Native helper addresses by id for programs of `type` (the ids the type may call); a fresh copy. */
export function nativeHelpers(type: ProgramType): Map<number, bigint> {
  let known = byType.get(type.name);
  if (!known) {
    known = bindNative(type);
    byType.set(type.name, known);
  }
  return new Map(known);
}

function bindNative(type: ProgramType): Map<number, bigint> {
  const t = nativeTable();
  const out = new Map<number, bigint>();
  for (const id of type.helpers) {
    if (NOT_NATIVE.has(id)) continue;
    const proto = HELPER_PROTOS.get(id)!;
    const address = t[nativeName(proto, type)];
    if (address === undefined) throw new Error(`native helper for ${helperName(id)} is missing from the addon (rebuild it: npm run prebuild)`);
    out.set(id, address);
  }
  return out;
}

/** What the interpreter's adapters need to know about the run. */
export interface AdapterRun {
  /** the map a BPF map pointer refers to (maps of the object, inner maps included) */
  map(address: bigint): BpfMap | undefined;
  /** the context pointer R1 held at the entry (undefined: plain buffer, no context) */
  readonly ctxAddress: bigint | undefined;
  /** called after a helper that moves the packet (changesPacketData): the packet regions follow */
  readonly packetMoved?: () => void;
}

const fail = (proto: HelperProto, n: number, arg: HelperArg, pc: number, reason: string): never => {
  throw new BpfRuntimeError(`${helperName(proto.id)} argument ${n} (${arg.name}): ${reason}`, pc);
};

/**
 * Interpreter helpers for programs of `type`: each checks its pointer arguments against the
 * interpreter's memory (a map pointer must be a map of the run, a key or value must lie in
 * mapped memory of the map's key/value size, memory of `size` bytes must be mapped and, when
 * the helper writes it, writable; a ringbuf record must be one this run reserved) and then
 * calls the native helper with the same arguments (interpreter addresses are real addresses).
 */
export function interpreterHelpers(type: ProgramType, run: AdapterRun): Map<number, HelperFn> {
  const natives = nativeHelpers(type);
  const reserved = new Set<bigint>();
  const out = new Map<number, HelperFn>();
  for (const [id, address] of natives) {
    const proto = HELPER_PROTOS.get(id)!;
    out.set(id, (r1, r2, r3, r4, r5, env) => {
      const args = [r1, r2, r3, r4, r5];
      proto.args.forEach((arg, i) => checkArg(proto, arg, i, args, env, run, reserved));
      const r0 = addon().callHelper(address, r1, r2, r3, r4, r5);
      if (proto.changesPacketData) run.packetMoved?.();
      if (proto.ret.kind === 'RET_PTR_TO_RINGBUF_MEM_OR_NULL' && r0 !== 0n) reserved.add(r0);
      return r0;
    });
  }
  return out;
}

function checkArg(proto: HelperProto, arg: HelperArg, i: number, args: readonly bigint[], env: HelperEnv, run: AdapterRun, reserved: Set<bigint>): void {
  const a = args[i]!;
  const n = i + 1;
  const memory = env.memory;
  const mapOf = (argNo: number): BpfMap => {
    const m = run.map(args[argNo - 1]!);
    if (m) return m;
    throw new BpfHelperArgError(env.pc, helperName(proto.id), argNo, proto.args[argNo - 1]!.name, args[argNo - 1]!, 'not-a-map', 'read', 0, memory.allRegions);
  };
  const mem = (size: bigint, writes: boolean): void => {
    if (size > 0x7fff_ffffn) fail(proto, n, arg, env.pc, `size ${size} is too large`);
    if (arg.flags?.includes('PTR_MAYBE_NULL') && a === 0n) {
      if (size !== 0n) fail(proto, n, arg, env.pc, `NULL with a size of ${size}`);
      return;
    }
    if (size === 0n) return;
    checkMemory(memory, a, Number(size), writes, { helper: helperName(proto.id), arg: n, argName: arg.name }, env.pc);
  };
  switch (arg.kind) {
    case 'ARG_CONST_MAP_PTR': {
      const m = mapOf(n);
      if (arg.mapTypes && !arg.mapTypes.includes(m.description.type)) fail(proto, n, arg, env.pc, `map '${m.name}' is a ${m.info.name}, not one this helper takes`);
      return;
    }
    case 'ARG_PTR_TO_MAP_KEY':
      mem(BigInt(mapOf(arg.mapArg!).description.keySize), false);
      return;
    case 'ARG_PTR_TO_MAP_VALUE':
      mem(BigInt(mapOf(arg.mapArg!).description.valueSize), writesArg(arg));
      return;
    case 'ARG_PTR_TO_MEM':
      mem(args[arg.sizeArg! - 1]!, writesArg(arg));
      return;
    case 'ARG_CONST_SIZE':
      if (a === 0n) fail(proto, n, arg, env.pc, 'must not be 0');
      return;
    case 'ARG_PTR_TO_CONST_STR': {
      const hit = memory.locate(a, 1);
      if (!hit) fail(proto, n, arg, env.pc, `0x${a.toString(16)} is not mapped memory`);
      if (hit!.region.bytes.subarray(hit!.offset).indexOf(0) < 0) fail(proto, n, arg, env.pc, `the string at 0x${a.toString(16)} is not NUL-terminated inside '${hit!.region.name}'`);
      return;
    }
    case 'ARG_PTR_TO_CTX':
      if (run.ctxAddress !== undefined && a !== run.ctxAddress) throw new BpfHelperArgError(env.pc, helperName(proto.id), n, arg.name, a, 'not-the-context', 'read', 0, memory.allRegions);
      return;
    case 'ARG_PTR_TO_RINGBUF_MEM':
      if (!reserved.delete(a)) throw new BpfHelperArgError(env.pc, helperName(proto.id), n, arg.name, a, 'not-a-record', 'write', 0, memory.allRegions);
      return;
    default:
      return;
  }
}

/** [address, address + size) must lie in one mapped region (writable when `writes`): else a BpfHelperArgError. */
export function checkMemory(memory: Memory, address: bigint, size: number, writes: boolean, what: { helper: string; arg: number; argName: string }, pc: number): void {
  const hit = memory.locate(address, size);
  const access = writes ? 'write' : 'read';
  if (!hit) throw new BpfHelperArgError(pc, what.helper, what.arg, what.argName, address, 'memory', access, size, memory.allRegions);
  if (writes && !hit.region.writable) throw new BpfHelperArgError(pc, what.helper, what.arg, what.argName, address, 'memory', access, size, memory.allRegions, 'read-only');
}

/** Take the printk output of this thread's runs so far. */
export function drainPrintk(): { lines: string[]; dropped: number } {
  return addon().drainPrintk();
}

/** The CPU per-CPU maps and bpf_get_smp_processor_id see (for this thread's runs). */
export function setRunCpu(cpu: number): void {
  addon().setCpu(cpu);
}

/** Make bpf_get_prandom_u32 repeatable: the same seed gives the same numbers. */
export function setPrandomSeed(seed: bigint): void {
  addon().setPrandomSeed(seed);
}
