import type { ProgramTypeName } from './names.js';
import { isProgramTypeName } from './names.js';

/**
 * libbpf's section-name conventions (the SEC_DEF table of libbpf.c): which program type (and
 * expected attach type) a section name selects. Matching follows libbpf's sec_def_matches:
 * a name ending in `+` matches itself exactly or followed by `/...` (the attach target: the
 * function of `kprobe/do_sys_open`, the tracepoint of `tp/syscalls/sys_enter_openat`); a name
 * ending in `/` matches as a prefix; any other name matches exactly. The first match wins.
 */

export interface SectionDef {
  readonly pattern: string;
  /** a type a64jit runs, or the kernel type name of one it does not */
  readonly type: ProgramTypeName | { readonly unsupported: string };
  /** the expected attach type, in lower case without BPF_ (e.g. cgroup_inet_egress, xdp_devmap) */
  readonly attach?: string;
}

const U = (unsupported: string): { readonly unsupported: string } => ({ unsupported });

export const SECTION_DEFS: readonly SectionDef[] = [
  { pattern: 'socket', type: 'socket_filter' },
  { pattern: 'sk_reuseport/migrate', type: U('BPF_PROG_TYPE_SK_REUSEPORT') },
  { pattern: 'sk_reuseport', type: U('BPF_PROG_TYPE_SK_REUSEPORT') },
  { pattern: 'kprobe+', type: 'kprobe' },
  { pattern: 'uprobe+', type: 'kprobe' },
  { pattern: 'uprobe.s+', type: 'kprobe' },
  { pattern: 'kretprobe+', type: 'kprobe' },
  { pattern: 'uretprobe+', type: 'kprobe' },
  { pattern: 'uretprobe.s+', type: 'kprobe' },
  { pattern: 'kprobe.multi+', type: 'kprobe', attach: 'trace_kprobe_multi' },
  { pattern: 'kretprobe.multi+', type: 'kprobe', attach: 'trace_kprobe_multi' },
  { pattern: 'uprobe.multi+', type: 'kprobe', attach: 'trace_uprobe_multi' },
  { pattern: 'uretprobe.multi+', type: 'kprobe', attach: 'trace_uprobe_multi' },
  { pattern: 'ksyscall+', type: 'kprobe' },
  { pattern: 'kretsyscall+', type: 'kprobe' },
  { pattern: 'usdt+', type: 'kprobe' },
  { pattern: 'tc/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { pattern: 'tc/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { pattern: 'tcx/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { pattern: 'tcx/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { pattern: 'tc', type: 'sched_cls' },
  { pattern: 'classifier', type: 'sched_cls' },
  { pattern: 'action', type: 'sched_act' },
  { pattern: 'tracepoint+', type: 'tracepoint' },
  { pattern: 'tp+', type: 'tracepoint' },
  { pattern: 'raw_tracepoint+', type: 'raw_tracepoint' },
  { pattern: 'raw_tp+', type: 'raw_tracepoint' },
  { pattern: 'raw_tracepoint.w+', type: U('BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE') },
  { pattern: 'raw_tp.w+', type: U('BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE') },
  { pattern: 'tp_btf+', type: 'tracing', attach: 'trace_raw_tp' },
  { pattern: 'fentry+', type: 'tracing', attach: 'trace_fentry' },
  { pattern: 'fmod_ret+', type: 'tracing', attach: 'trace_modify_return' },
  { pattern: 'fexit+', type: 'tracing', attach: 'trace_fexit' },
  { pattern: 'fentry.s+', type: 'tracing', attach: 'trace_fentry' },
  { pattern: 'fmod_ret.s+', type: 'tracing', attach: 'trace_modify_return' },
  { pattern: 'fexit.s+', type: 'tracing', attach: 'trace_fexit' },
  { pattern: 'freplace+', type: U('BPF_PROG_TYPE_EXT') },
  { pattern: 'lsm+', type: U('BPF_PROG_TYPE_LSM') },
  { pattern: 'lsm.s+', type: U('BPF_PROG_TYPE_LSM') },
  { pattern: 'lsm_cgroup+', type: U('BPF_PROG_TYPE_LSM') },
  { pattern: 'iter+', type: 'tracing', attach: 'trace_iter' },
  { pattern: 'iter.s+', type: 'tracing', attach: 'trace_iter' },
  { pattern: 'syscall', type: U('BPF_PROG_TYPE_SYSCALL') },
  { pattern: 'xdp.frags/devmap', type: 'xdp', attach: 'xdp_devmap' },
  { pattern: 'xdp/devmap', type: 'xdp', attach: 'xdp_devmap' },
  { pattern: 'xdp.frags/cpumap', type: 'xdp', attach: 'xdp_cpumap' },
  { pattern: 'xdp/cpumap', type: 'xdp', attach: 'xdp_cpumap' },
  { pattern: 'xdp.frags', type: 'xdp', attach: 'xdp' },
  { pattern: 'xdp', type: 'xdp', attach: 'xdp' },
  { pattern: 'perf_event', type: 'perf_event' },
  { pattern: 'lwt_in', type: U('BPF_PROG_TYPE_LWT_IN') },
  { pattern: 'lwt_out', type: U('BPF_PROG_TYPE_LWT_OUT') },
  { pattern: 'lwt_xmit', type: U('BPF_PROG_TYPE_LWT_XMIT') },
  { pattern: 'lwt_seg6local', type: U('BPF_PROG_TYPE_LWT_SEG6LOCAL') },
  { pattern: 'sockops', type: U('BPF_PROG_TYPE_SOCK_OPS') },
  { pattern: 'sk_skb/stream_parser', type: U('BPF_PROG_TYPE_SK_SKB') },
  { pattern: 'sk_skb/stream_verdict', type: U('BPF_PROG_TYPE_SK_SKB') },
  { pattern: 'sk_skb/verdict', type: U('BPF_PROG_TYPE_SK_SKB') },
  { pattern: 'sk_skb', type: U('BPF_PROG_TYPE_SK_SKB') },
  { pattern: 'sk_msg', type: U('BPF_PROG_TYPE_SK_MSG') },
  { pattern: 'lirc_mode2', type: U('BPF_PROG_TYPE_LIRC_MODE2') },
  { pattern: 'flow_dissector', type: U('BPF_PROG_TYPE_FLOW_DISSECTOR') },
  { pattern: 'cgroup_skb/ingress', type: 'cgroup_skb', attach: 'cgroup_inet_ingress' },
  { pattern: 'cgroup_skb/egress', type: 'cgroup_skb', attach: 'cgroup_inet_egress' },
  { pattern: 'cgroup/skb', type: 'cgroup_skb' },
  { pattern: 'cgroup/', type: U('BPF_PROG_TYPE_CGROUP_SOCK / SOCK_ADDR / DEVICE / SYSCTL / SOCKOPT') },
  { pattern: 'struct_ops+', type: U('BPF_PROG_TYPE_STRUCT_OPS') },
  { pattern: 'struct_ops.s+', type: U('BPF_PROG_TYPE_STRUCT_OPS') },
  { pattern: 'sk_lookup', type: U('BPF_PROG_TYPE_SK_LOOKUP') },
  { pattern: 'netfilter', type: U('BPF_PROG_TYPE_NETFILTER') },
];

/** What a section name says about its programs. */
export type SectionMatch =
  | { readonly kind: 'type'; readonly type: ProgramTypeName; readonly attach?: string; readonly pattern: string; readonly target?: string }
  | { readonly kind: 'unsupported'; readonly kernelType: string; readonly pattern: string }
  /** no libbpf definition matches (.text, or a name of the user's own): a plain buffer program */
  | { readonly kind: 'none' };

function matches(pattern: string, section: string): { target?: string } | undefined {
  if (pattern.endsWith('/')) return section.startsWith(pattern) ? {} : undefined;
  if (pattern.endsWith('+')) {
    const stem = pattern.slice(0, -1);
    if (section === stem) return {};
    if (section.startsWith(`${stem}/`)) return { target: section.slice(stem.length + 1) };
    return undefined;
  }
  return section === pattern ? {} : undefined;
}

/** The program type libbpf would give a program in `section`. */
export function sectionProgramType(section: string): SectionMatch {
  for (const def of SECTION_DEFS) {
    const m = matches(def.pattern, section);
    if (m === undefined) continue;
    if (typeof def.type === 'object') return { kind: 'unsupported', kernelType: def.type.unsupported, pattern: def.pattern };
    return {
      kind: 'type',
      type: def.type,
      pattern: def.pattern,
      ...(def.attach !== undefined ? { attach: def.attach } : {}),
      ...(m.target !== undefined && m.target !== '' ? { target: m.target } : {}),
    };
  }
  return { kind: 'none' };
}

/** Names `--type` accepts besides the type names themselves. */
const ALIASES: Readonly<Record<string, { readonly type: ProgramTypeName; readonly attach?: string }>> = {
  socket: { type: 'socket_filter' },
  tc: { type: 'sched_cls' },
  classifier: { type: 'sched_cls' },
  action: { type: 'sched_act' },
  uprobe: { type: 'kprobe' },
  kretprobe: { type: 'kprobe' },
  uretprobe: { type: 'kprobe' },
  tp: { type: 'tracepoint' },
  raw_tp: { type: 'raw_tracepoint' },
  fentry: { type: 'tracing', attach: 'trace_fentry' },
  fexit: { type: 'tracing', attach: 'trace_fexit' },
  fmod_ret: { type: 'tracing', attach: 'trace_modify_return' },
  tp_btf: { type: 'tracing', attach: 'trace_raw_tp' },
  'cgroup_skb/ingress': { type: 'cgroup_skb', attach: 'cgroup_inet_ingress' },
  'cgroup_skb/egress': { type: 'cgroup_skb', attach: 'cgroup_inet_egress' },
  'xdp/devmap': { type: 'xdp', attach: 'xdp_devmap' },
  buffer: { type: 'plain' },
};

/**
 * A program type named by the user (`--type`): a type name (xdp, sched_cls, ...), a kernel
 * name (BPF_PROG_TYPE_XDP), an alias (tc, socket, fentry, ...) or a section name libbpf knows.
 * Undefined when the text names none.
 */
export function parseProgramType(text: string): { readonly type: ProgramTypeName; readonly attach?: string } | undefined {
  const t = text.trim();
  const lower = t.toLowerCase().replace(/^bpf_prog_type_/, '');
  if (isProgramTypeName(lower)) return { type: lower };
  const alias = ALIASES[lower];
  if (alias) return alias;
  const sec = sectionProgramType(t);
  if (sec.kind === 'type') return { type: sec.type, ...(sec.attach !== undefined ? { attach: sec.attach } : {}) };
  return undefined;
}

/** Every name parseProgramType accepts besides section names, for help texts. */
export function programTypeSpellings(): readonly string[] {
  return Object.keys(ALIASES);
}
