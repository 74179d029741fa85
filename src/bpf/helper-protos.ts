import type { ProgramTypeName } from './program-types/names.js';

/**
 * Linux BPF helpers as data: every helper id 0..211 with its name (the kernel's
 * include/uapi/linux/bpf.h __BPF_FUNC_MAPPER order; 210-211 from libbpf's bpf_helper_defs.h),
 * and, for the helpers a64jit implements, the prototype in the kernel's own terms
 * (struct bpf_func_proto in the kernel: argument and return kinds with their modifiers) plus
 * which program types may call it (the kernel's per-type func_proto tables, as seen by a
 * process with CAP_BPF and CAP_PERFMON).
 *
 * Pure data, read by the verifier (argument checks: which memory each pointer argument must
 * reach and how big it is), the listing (`call bpf_ktime_get_ns#5`), the interpreter's helper
 * adapters (which pointer arguments to check against its address space, and how many bytes),
 * and the JIT. The implementations live elsewhere (src/runtime, native/), bound by id.
 */

/** Helper names by id: HELPER_NAMES[5] === 'ktime_get_ns' (without the `bpf_` prefix). */
export const HELPER_NAMES: readonly string[] = [
  'unspec', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'probe_read', 'ktime_get_ns',
  'trace_printk', 'get_prandom_u32', 'get_smp_processor_id', 'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace',
  'tail_call', 'clone_redirect', 'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm', 'get_cgroup_classid',
  'skb_vlan_push', 'skb_vlan_pop', 'skb_get_tunnel_key', 'skb_set_tunnel_key', 'perf_event_read', 'redirect',
  'get_route_realm', 'perf_event_output', 'skb_load_bytes', 'get_stackid', 'csum_diff', 'skb_get_tunnel_opt',
  'skb_set_tunnel_opt', 'skb_change_proto', 'skb_change_type', 'skb_under_cgroup', 'get_hash_recalc', 'get_current_task',
  'probe_write_user', 'current_task_under_cgroup', 'skb_change_tail', 'skb_pull_data', 'csum_update', 'set_hash_invalid',
  'get_numa_node_id', 'skb_change_head', 'xdp_adjust_head', 'probe_read_str', 'get_socket_cookie', 'get_socket_uid',
  'set_hash', 'setsockopt', 'skb_adjust_room', 'redirect_map', 'sk_redirect_map', 'sock_map_update',
  'xdp_adjust_meta', 'perf_event_read_value', 'perf_prog_read_value', 'getsockopt', 'override_return', 'sock_ops_cb_flags_set',
  'msg_redirect_map', 'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'bind', 'xdp_adjust_tail',
  'skb_get_xfrm_state', 'get_stack', 'skb_load_bytes_relative', 'fib_lookup', 'sock_hash_update', 'msg_redirect_hash',
  'sk_redirect_hash', 'lwt_push_encap', 'lwt_seg6_store_bytes', 'lwt_seg6_adjust_srh', 'lwt_seg6_action', 'rc_repeat',
  'rc_keydown', 'skb_cgroup_id', 'get_current_cgroup_id', 'get_local_storage', 'sk_select_reuseport', 'skb_ancestor_cgroup_id',
  'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'map_push_elem', 'map_pop_elem', 'map_peek_elem',
  'msg_push_data', 'msg_pop_data', 'rc_pointer_rel', 'spin_lock', 'spin_unlock', 'sk_fullsock',
  'tcp_sock', 'skb_ecn_set_ce', 'get_listener_sock', 'skc_lookup_tcp', 'tcp_check_syncookie', 'sysctl_get_name',
  'sysctl_get_current_value', 'sysctl_get_new_value', 'sysctl_set_new_value', 'strtol', 'strtoul', 'sk_storage_get',
  'sk_storage_delete', 'send_signal', 'tcp_gen_syncookie', 'skb_output', 'probe_read_user', 'probe_read_kernel',
  'probe_read_user_str', 'probe_read_kernel_str', 'tcp_send_ack', 'send_signal_thread', 'jiffies64', 'read_branch_records',
  'get_ns_current_pid_tgid', 'xdp_output', 'get_netns_cookie', 'get_current_ancestor_cgroup_id', 'sk_assign', 'ktime_get_boot_ns',
  'seq_printf', 'seq_write', 'sk_cgroup_id', 'sk_ancestor_cgroup_id', 'ringbuf_output', 'ringbuf_reserve',
  'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query', 'csum_level', 'skc_to_tcp6_sock', 'skc_to_tcp_sock',
  'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'get_task_stack', 'load_hdr_opt', 'store_hdr_opt',
  'reserve_hdr_opt', 'inode_storage_get', 'inode_storage_delete', 'd_path', 'copy_from_user', 'snprintf_btf',
  'seq_printf_btf', 'skb_cgroup_classid', 'redirect_neigh', 'per_cpu_ptr', 'this_cpu_ptr', 'redirect_peer',
  'task_storage_get', 'task_storage_delete', 'get_current_task_btf', 'bprm_opts_set', 'ktime_get_coarse_ns', 'ima_inode_hash',
  'sock_from_file', 'check_mtu', 'for_each_map_elem', 'snprintf', 'sys_bpf', 'btf_find_by_name_kind',
  'sys_close', 'timer_init', 'timer_set_callback', 'timer_start', 'timer_cancel', 'get_func_ip',
  'get_attach_cookie', 'task_pt_regs', 'get_branch_snapshot', 'trace_vprintk', 'skc_to_unix_sock', 'kallsyms_lookup_name',
  'find_vma', 'loop', 'strncmp', 'get_func_arg', 'get_func_ret', 'get_func_arg_cnt',
  'get_retval', 'set_retval', 'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'copy_from_user_task',
  'skb_set_tstamp', 'ima_file_hash', 'kptr_xchg', 'map_lookup_percpu_elem', 'skc_to_mptcp_sock', 'dynptr_from_mem',
  'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_read', 'dynptr_write', 'dynptr_data',
  'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6', 'tcp_raw_check_syncookie_ipv4', 'tcp_raw_check_syncookie_ipv6', 'ktime_get_tai_ns', 'user_ringbuf_drain',
  'cgrp_storage_get', 'cgrp_storage_delete',

];

/** The number of helper ids Linux defines (__BPF_FUNC_MAX_ID). */
export const HELPER_ID_COUNT = HELPER_NAMES.length;

/** `bpf_<name>` for a known id, `helper#<id>` otherwise. */
export function helperName(id: number): string {
  const name = Number.isInteger(id) ? HELPER_NAMES[id] : undefined;
  return name === undefined || id === 0 ? `helper#${id}` : `bpf_${name}`;
}

/** The id of `bpf_<name>` or `<name>`, or undefined. */
export function helperIdByName(name: string): number | undefined {
  const bare = name.startsWith('bpf_') ? name.slice(4) : name;
  const id = HELPER_NAMES.indexOf(bare);
  return id > 0 ? id : undefined;
}

/**
 * Base kinds of helper arguments (the kernel's enum bpf_arg_type). Which memory a pointer
 * kind may reach:
 * - ARG_PTR_TO_MAP_KEY / ARG_PTR_TO_MAP_VALUE: stack, packet, map value or read-only data,
 *   exactly `key_size` / `value_size` bytes of the map in `mapArg`;
 * - ARG_PTR_TO_MEM: stack, packet, map value, global data, ringbuf memory: `sizeArg`'s value
 *   bytes (or `fixedSize`);
 * - ARG_PTR_TO_CTX: the program's context (R1 at entry), at offset 0;
 * - ARG_PTR_TO_STACK: the stack of the calling frame (bpf_loop's callback context);
 * - ARG_PTR_TO_RINGBUF_MEM: a pointer returned by bpf_ringbuf_reserve, unmodified;
 * - ARG_PTR_TO_CONST_STR: a NUL-terminated string inside a read-only map value (.rodata);
 * - ARG_PTR_TO_FUNC: a function address (LDDW src 4), called back with `callback`'s arguments.
 * Scalars: ARG_ANYTHING (any initialized value), ARG_CONST_SIZE(_OR_ZERO) (a bounded scalar,
 * > 0 or >= 0, that is the size of the memory argument `sizeOf`), ARG_CONST_ALLOC_SIZE_OR_ZERO
 * (a known constant: the size of the memory the helper returns), ARG_CONST_MAP_PTR (a map
 * loaded with LDDW src 1, of one of `mapTypes` when given).
 */
export type HelperArgKind =
  | 'ARG_ANYTHING'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_MEM'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_PTR_TO_STACK'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_RINGBUF_MEM'
  | 'ARG_PTR_TO_CONST_STR';

/**
 * Modifiers (the kernel's type flags OR-ed into the arg type):
 * - MEM_RDONLY: the helper only reads the memory (read-only memory is fine);
 * - MEM_UNINIT: the helper writes all of it before anything reads it: the memory need not be
 *   initialized, and it must be writable (the kernel also sets MEM_WRITE for these);
 * - MEM_WRITE: the helper writes the memory (it must be writable);
 * - PTR_MAYBE_NULL: NULL (with size 0) is accepted;
 * - OBJ_RELEASE: the helper releases the reference the pointer carries (ringbuf submit/discard).
 */
export type HelperArgFlag = 'MEM_RDONLY' | 'MEM_UNINIT' | 'MEM_WRITE' | 'PTR_MAYBE_NULL' | 'OBJ_RELEASE';

/** What a callback (ARG_PTR_TO_FUNC) receives in R1.. and may return. */
export interface CallbackProto {
  /** per callback argument: a scalar, or the same kind of pointer the helper was given in argument `fromArg` */
  readonly args: readonly ({ readonly kind: 'scalar'; readonly name: string } | { readonly kind: 'arg'; readonly fromArg: number; readonly name: string })[];
  /** allowed R0 at the callback's exit (the kernel checks it: "At callback return the register R0 has ...") */
  readonly returns: { readonly min: number; readonly max: number };
}

export interface HelperArg {
  /** the C parameter name, for messages */
  readonly name: string;
  readonly kind: HelperArgKind;
  readonly flags?: readonly HelperArgFlag[];
  /** ARG_PTR_TO_MEM: the argument (1-based) whose value is the size in bytes */
  readonly sizeArg?: number;
  /** ARG_CONST_SIZE*: the argument (1-based) of the memory this size belongs to */
  readonly sizeOf?: number;
  /** ARG_PTR_TO_MAP_KEY / ARG_PTR_TO_MAP_VALUE: the argument (1-based) holding the map that sizes it */
  readonly mapArg?: number;
  /** ARG_CONST_MAP_PTR: the map types accepted (BPF_MAP_TYPE_* numbers); absent: any data map */
  readonly mapTypes?: readonly number[];
  /** ARG_PTR_TO_FUNC */
  readonly callback?: CallbackProto;
  /** ARG_ANYTHING that the helper requires to be a specific value at run time (flags that must be 0) */
  readonly mustBeZero?: boolean;
}

/**
 * Return kinds (the kernel's enum bpf_return_type):
 * - RET_INTEGER: a scalar in [min, max] when given;
 * - RET_VOID: R0 is not readable afterwards;
 * - RET_PTR_TO_MAP_VALUE_OR_NULL: NULL or a pointer to `value_size` bytes of the map in
 *   `mapArg` (for array/hash of maps: NULL or the inner map itself);
 * - RET_PTR_TO_RINGBUF_MEM_OR_NULL: NULL or `sizeArg`'s constant value bytes of ringbuf memory,
 *   a reference that must be released (submit or discard) on every path.
 */
export type HelperReturnKind = 'RET_INTEGER' | 'RET_VOID' | 'RET_PTR_TO_MAP_VALUE_OR_NULL' | 'RET_PTR_TO_RINGBUF_MEM_OR_NULL';

export interface HelperReturn {
  readonly kind: HelperReturnKind;
  readonly mapArg?: number;
  readonly sizeArg?: number;
  /** RET_INTEGER: the signed range the result is known to lie in */
  readonly min?: bigint;
  readonly max?: bigint;
  /** RET_INTEGER: the result is at most the value of this argument (the kernel refines probe_read_str's R0 so) */
  readonly maxFromArg?: number;
}

export interface HelperProto {
  readonly id: number;
  /** without the bpf_ prefix */
  readonly name: string;
  readonly args: readonly HelperArg[];
  readonly ret: HelperReturn;
  /** the kernel allows it only to GPL-compatible programs */
  readonly gplOnly: boolean;
  /** the kernel's pkt_access: packet pointers are accepted as memory arguments */
  readonly pktAccess: boolean;
  /** bpf_helper_changes_pkt_data: every packet pointer is invalid after the call */
  readonly changesPacketData: boolean;
  /** program types that may call it */
  readonly programTypes: ReadonlySet<ProgramTypeName>;
}

/** BPF_MAX_LOOPS: bpf_loop refuses more iterations (-E2BIG). */
export const BPF_MAX_LOOPS = 1 << 23;
/** MAX_TAIL_CALL_CNT: at most 33 tail calls in a row. */
export const MAX_TAIL_CALL_CNT = 33;
/** MAX_BPRINTF_VARARGS: snprintf / trace_vprintk take at most 12 u64 arguments. */
export const MAX_BPRINTF_VARARGS = 12;
/** TASK_COMM_LEN */
export const TASK_COMM_LEN = 16;
/** Maximum errno value: error returns are -1 .. -MAX_ERRNO. */
export const MAX_ERRNO = 4095n;

// Map type numbers used by the prototypes (the same values as maps.ts MapType; repeated as
// plain numbers so this file does not depend on the map model).
const PROG_ARRAY = 3;
const PERF_EVENT_ARRAY = 4;
const QUEUE = 22;
const STACK = 23;
const RINGBUF = 27;

const all = (...groups: readonly (readonly ProgramTypeName[])[]): ReadonlySet<ProgramTypeName> => new Set(groups.flat());
/** Program types with a socket buffer (struct __sk_buff). */
const SKB: readonly ProgramTypeName[] = ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb'];
const TC: readonly ProgramTypeName[] = ['sched_cls', 'sched_act'];
const XDP: readonly ProgramTypeName[] = ['xdp'];
/** bpf_tracing_func_proto users. */
const TRACING: readonly ProgramTypeName[] = ['kprobe', 'tracepoint', 'raw_tracepoint', 'perf_event', 'tracing'];
/** bpf_base_func_proto: every program type (and a64jit's plain buffers). */
const BASE: readonly ProgramTypeName[] = ['plain', ...SKB, ...XDP, ...TRACING];

const anything = (name: string, extra: Partial<HelperArg> = {}): HelperArg => ({ name, kind: 'ARG_ANYTHING', ...extra });
const mapPtr = (mapTypes?: readonly number[], name = 'map'): HelperArg => ({ name, kind: 'ARG_CONST_MAP_PTR', ...(mapTypes ? { mapTypes } : {}) });
const ctxArg = (name: string): HelperArg => ({ name, kind: 'ARG_PTR_TO_CTX' });
const ctx = ctxArg('ctx');
const skb = ctxArg('skb');
const xdp = ctxArg('xdp_md');
const integer: HelperReturn = { kind: 'RET_INTEGER' };
const errorOrZero: HelperReturn = { kind: 'RET_INTEGER', min: -MAX_ERRNO, max: 0n };
/** (void *dst, u32 size, const void *unsafe_ptr): the probe_read family. */
const probeArgs: readonly HelperArg[] = [
  { name: 'dst', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'], sizeArg: 2 },
  { name: 'size', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 1 },
  anything('unsafe_ptr'),
];
const probeStrReturn: HelperReturn = { kind: 'RET_INTEGER', min: -MAX_ERRNO, maxFromArg: 2 };

type ProtoSpec = Omit<HelperProto, 'id' | 'gplOnly' | 'pktAccess' | 'changesPacketData'> &
  Partial<Pick<HelperProto, 'gplOnly' | 'pktAccess' | 'changesPacketData'>>;

const SPECS: readonly ProtoSpec[] = [
  {
    name: 'map_lookup_elem',
    args: [mapPtr(), { name: 'key', kind: 'ARG_PTR_TO_MAP_KEY', mapArg: 1 }],
    ret: { kind: 'RET_PTR_TO_MAP_VALUE_OR_NULL', mapArg: 1 },
    pktAccess: true,
    programTypes: all(BASE),
  },
  {
    name: 'map_update_elem',
    args: [mapPtr(), { name: 'key', kind: 'ARG_PTR_TO_MAP_KEY', mapArg: 1 }, { name: 'value', kind: 'ARG_PTR_TO_MAP_VALUE', mapArg: 1 }, anything('flags')],
    ret: errorOrZero,
    pktAccess: true,
    programTypes: all(BASE),
  },
  {
    name: 'map_delete_elem',
    args: [mapPtr(), { name: 'key', kind: 'ARG_PTR_TO_MAP_KEY', mapArg: 1 }],
    ret: errorOrZero,
    pktAccess: true,
    programTypes: all(BASE),
  },
  { name: 'probe_read', args: probeArgs, ret: errorOrZero, gplOnly: true, programTypes: all(['plain'], TRACING) },
  { name: 'ktime_get_ns', args: [], ret: { kind: 'RET_INTEGER', min: 0n }, programTypes: all(BASE) },
  {
    name: 'trace_printk',
    args: [
      { name: 'fmt', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'], sizeArg: 2 },
      { name: 'fmt_size', kind: 'ARG_CONST_SIZE', sizeOf: 1 },
      anything('arg1'),
      anything('arg2'),
      anything('arg3'),
    ],
    ret: integer,
    gplOnly: true,
    programTypes: all(BASE),
  },
  { name: 'get_prandom_u32', args: [], ret: { kind: 'RET_INTEGER', min: 0n, max: 0xffff_ffffn }, programTypes: all(BASE) },
  // The kernel bounds R0 by nr_cpu_ids - 1; the CPU count is a run-time option here, so the
  // static bound is the largest CPU count a64jit accepts (maps.ts MAX_CPUS - 1).
  { name: 'get_smp_processor_id', args: [], ret: { kind: 'RET_INTEGER', min: 0n, max: 1023n }, programTypes: all(BASE) },
  {
    name: 'skb_store_bytes',
    args: [skb, anything('offset'), { name: 'from', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'], sizeArg: 4 }, { name: 'len', kind: 'ARG_CONST_SIZE', sizeOf: 3 }, anything('flags')],
    ret: errorOrZero,
    changesPacketData: true,
    programTypes: all(TC),
  },
  {
    name: 'l3_csum_replace',
    args: [skb, anything('offset'), anything('from'), anything('to'), anything('size')],
    ret: errorOrZero,
    changesPacketData: true,
    programTypes: all(TC),
  },
  {
    name: 'l4_csum_replace',
    args: [skb, anything('offset'), anything('from'), anything('to'), anything('flags')],
    ret: errorOrZero,
    changesPacketData: true,
    programTypes: all(TC),
  },
  // Returns only when the tail call fails (empty slot, index out of range, 33 calls done);
  // then R0 is not readable (RET_VOID, as the kernel's bpf_tail_call_proto).
  { name: 'tail_call', args: [ctx, mapPtr([PROG_ARRAY], 'prog_array_map'), anything('index')], ret: { kind: 'RET_VOID' }, programTypes: all(BASE) },
  { name: 'get_current_pid_tgid', args: [], ret: { kind: 'RET_INTEGER', min: 0n }, programTypes: all(['plain'], TRACING) },
  { name: 'get_current_uid_gid', args: [], ret: { kind: 'RET_INTEGER', min: 0n }, programTypes: all(['plain'], TRACING) },
  {
    name: 'get_current_comm',
    args: [
      { name: 'buf', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'], sizeArg: 2 },
      { name: 'size_of_buf', kind: 'ARG_CONST_SIZE', sizeOf: 1 },
    ],
    ret: errorOrZero,
    programTypes: all(['plain'], TRACING),
  },
  {
    name: 'perf_event_output',
    args: [
      ctx,
      mapPtr([PERF_EVENT_ARRAY]),
      anything('flags'),
      { name: 'data', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'], sizeArg: 5 },
      { name: 'size', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 4 },
    ],
    ret: errorOrZero,
    gplOnly: true,
    programTypes: all(['plain'], SKB, XDP, TRACING),
  },
  {
    name: 'skb_load_bytes',
    args: [skb, anything('offset'), { name: 'to', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'], sizeArg: 4 }, { name: 'len', kind: 'ARG_CONST_SIZE', sizeOf: 3 }],
    ret: errorOrZero,
    programTypes: all(SKB),
  },
  {
    name: 'csum_diff',
    args: [
      { name: 'from', kind: 'ARG_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RDONLY'], sizeArg: 2 },
      { name: 'from_size', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 1 },
      { name: 'to', kind: 'ARG_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RDONLY'], sizeArg: 4 },
      { name: 'to_size', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 3 },
      anything('seed'),
    ],
    ret: integer,
    pktAccess: true,
    programTypes: all(TC, XDP),
  },
  { name: 'skb_change_head', args: [skb, anything('len'), anything('flags', { mustBeZero: true })], ret: errorOrZero, changesPacketData: true, programTypes: all(TC) },
  { name: 'xdp_adjust_head', args: [xdp, anything('delta')], ret: errorOrZero, changesPacketData: true, programTypes: all(XDP) },
  { name: 'probe_read_str', args: probeArgs, ret: probeStrReturn, gplOnly: true, programTypes: all(['plain'], TRACING) },
  { name: 'xdp_adjust_meta', args: [xdp, anything('delta')], ret: errorOrZero, changesPacketData: true, programTypes: all(XDP) },
  { name: 'xdp_adjust_tail', args: [xdp, anything('delta')], ret: errorOrZero, changesPacketData: true, programTypes: all(XDP) },
  {
    name: 'map_push_elem',
    args: [mapPtr([QUEUE, STACK]), { name: 'value', kind: 'ARG_PTR_TO_MAP_VALUE', mapArg: 1 }, anything('flags')],
    ret: errorOrZero,
    programTypes: all(BASE),
  },
  {
    name: 'map_pop_elem',
    args: [mapPtr([QUEUE, STACK]), { name: 'value', kind: 'ARG_PTR_TO_MAP_VALUE', flags: ['MEM_UNINIT', 'MEM_WRITE'], mapArg: 1 }],
    ret: errorOrZero,
    programTypes: all(BASE),
  },
  {
    name: 'map_peek_elem',
    args: [mapPtr([QUEUE, STACK]), { name: 'value', kind: 'ARG_PTR_TO_MAP_VALUE', flags: ['MEM_UNINIT', 'MEM_WRITE'], mapArg: 1 }],
    ret: errorOrZero,
    programTypes: all(BASE),
  },
  { name: 'probe_read_user', args: probeArgs, ret: errorOrZero, gplOnly: true, programTypes: all(BASE) },
  { name: 'probe_read_kernel', args: probeArgs, ret: errorOrZero, gplOnly: true, programTypes: all(BASE) },
  { name: 'probe_read_user_str', args: probeArgs, ret: probeStrReturn, gplOnly: true, programTypes: all(BASE) },
  { name: 'probe_read_kernel_str', args: probeArgs, ret: probeStrReturn, gplOnly: true, programTypes: all(BASE) },
  { name: 'ktime_get_boot_ns', args: [], ret: { kind: 'RET_INTEGER', min: 0n }, programTypes: all(BASE) },
  {
    name: 'ringbuf_output',
    args: [mapPtr([RINGBUF], 'ringbuf'), { name: 'data', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'], sizeArg: 3 }, { name: 'size', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 2 }, anything('flags')],
    ret: errorOrZero,
    programTypes: all(BASE),
  },
  {
    name: 'ringbuf_reserve',
    args: [mapPtr([RINGBUF], 'ringbuf'), { name: 'size', kind: 'ARG_CONST_ALLOC_SIZE_OR_ZERO' }, anything('flags', { mustBeZero: true })],
    ret: { kind: 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', sizeArg: 2 },
    programTypes: all(BASE),
  },
  { name: 'ringbuf_submit', args: [{ name: 'data', kind: 'ARG_PTR_TO_RINGBUF_MEM', flags: ['OBJ_RELEASE'] }, anything('flags')], ret: { kind: 'RET_VOID' }, programTypes: all(BASE) },
  { name: 'ringbuf_discard', args: [{ name: 'data', kind: 'ARG_PTR_TO_RINGBUF_MEM', flags: ['OBJ_RELEASE'] }, anything('flags')], ret: { kind: 'RET_VOID' }, programTypes: all(BASE) },
  { name: 'ringbuf_query', args: [mapPtr([RINGBUF], 'ringbuf'), anything('flags')], ret: { kind: 'RET_INTEGER', min: 0n }, programTypes: all(BASE) },
  { name: 'ktime_get_coarse_ns', args: [], ret: { kind: 'RET_INTEGER', min: 0n }, programTypes: all(BASE) },
  {
    name: 'snprintf',
    args: [
      { name: 'str', kind: 'ARG_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_WRITE'], sizeArg: 2 },
      { name: 'str_size', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 1 },
      { name: 'fmt', kind: 'ARG_PTR_TO_CONST_STR' },
      { name: 'data', kind: 'ARG_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RDONLY'], sizeArg: 5 },
      { name: 'data_len', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 4 },
    ],
    ret: integer,
    gplOnly: true,
    programTypes: all(BASE),
  },
  {
    name: 'trace_vprintk',
    args: [
      { name: 'fmt', kind: 'ARG_PTR_TO_MEM', flags: ['MEM_RDONLY'], sizeArg: 2 },
      { name: 'fmt_size', kind: 'ARG_CONST_SIZE', sizeOf: 1 },
      { name: 'data', kind: 'ARG_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RDONLY'], sizeArg: 4 },
      { name: 'data_len', kind: 'ARG_CONST_SIZE_OR_ZERO', sizeOf: 3 },
    ],
    ret: integer,
    gplOnly: true,
    programTypes: all(BASE),
  },
  {
    name: 'loop',
    args: [
      anything('nr_loops'),
      {
        name: 'callback_fn',
        kind: 'ARG_PTR_TO_FUNC',
        callback: { args: [{ kind: 'scalar', name: 'index' }, { kind: 'arg', fromArg: 3, name: 'ctx' }], returns: { min: 0, max: 1 } },
      },
      { name: 'callback_ctx', kind: 'ARG_PTR_TO_STACK', flags: ['PTR_MAYBE_NULL'] },
      anything('flags', { mustBeZero: true }),
    ],
    ret: { kind: 'RET_INTEGER', min: -MAX_ERRNO, max: BigInt(BPF_MAX_LOOPS) },
    programTypes: all(BASE),
  },
];

function buildProtos(): ReadonlyMap<number, HelperProto> {
  const out = new Map<number, HelperProto>();
  for (const s of SPECS) {
    const id = HELPER_NAMES.indexOf(s.name);
    if (id <= 0) throw new Error(`helper-protos: '${s.name}' is not a Linux helper name`);
    out.set(id, { id, gplOnly: false, pktAccess: false, changesPacketData: false, ...s });
  }
  return out;
}

/** Prototypes of the helpers a64jit implements, by id. */
export const HELPER_PROTOS: ReadonlyMap<number, HelperProto> = buildProtos();

export function helperProto(id: number): HelperProto | undefined {
  return HELPER_PROTOS.get(id);
}

/** Helper ids a program type may call. */
export function helpersForProgramType(type: ProgramTypeName): ReadonlySet<number> {
  return new Set([...HELPER_PROTOS.values()].filter((p) => p.programTypes.has(type)).map((p) => p.id));
}

/** Whether an argument is a pointer the helper dereferences (memory it reads or writes). */
export function isMemoryArg(arg: HelperArg): boolean {
  return arg.kind === 'ARG_PTR_TO_MAP_KEY' || arg.kind === 'ARG_PTR_TO_MAP_VALUE' || arg.kind === 'ARG_PTR_TO_MEM' || arg.kind === 'ARG_PTR_TO_CONST_STR';
}

/** Whether the helper writes through the argument (it must be writable memory). */
export function writesArg(arg: HelperArg): boolean {
  return arg.flags?.includes('MEM_WRITE') === true || arg.flags?.includes('MEM_UNINIT') === true;
}
