/**
 * Names of the program types a64jit runs: libbpf's names for the kernel's BPF_PROG_TYPE_*
 * (libbpf_bpf_prog_type_str), plus `plain`, a64jit's own type for programs with no section
 * type (R1 = a byte buffer, R2 = its length; no context struct). Kept apart so that the helper
 * prototypes (which say which types may call each helper) and the program types (which list
 * their helpers) can both name types without importing each other.
 */
export const PROGRAM_TYPE_NAMES = [
  'plain',
  'socket_filter',
  'kprobe',
  'sched_cls',
  'sched_act',
  'tracepoint',
  'xdp',
  'perf_event',
  'cgroup_skb',
  'raw_tracepoint',
  'tracing',
] as const;

export type ProgramTypeName = (typeof PROGRAM_TYPE_NAMES)[number];

export function isProgramTypeName(name: string): name is ProgramTypeName {
  return (PROGRAM_TYPE_NAMES as readonly string[]).includes(name);
}
