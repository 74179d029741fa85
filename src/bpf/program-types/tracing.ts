import type { AccessSize, ContextField, ContextStruct } from './model.js';

/**
 * Contexts of the tracing types. Attaching to the kernel is out of scope: the program runs
 * with a context buffer the user gives, laid out as the kernel would pass it. These contexts
 * are `raw`: the runtime's buffer has the uapi layout, so no access is rewritten; the rules
 * below only say which bytes may be read (all are read-only).
 */

const ANY: readonly AccessSize[] = [1, 2, 4, 8];

const u64s = (prefix: string, count: number, base: number, read: readonly AccessSize[], narrowAtStart = false): ContextField[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `${prefix}[${i}]`,
    offset: base + 8 * i,
    size: 8,
    kind: 'scalar' as const,
    read,
    write: [],
    ...(narrowAtStart ? { narrowAtStart } : {}),
  }));

/** arm64 struct user_pt_regs: regs[31], sp, pc, pstate (the bpf_user_pt_regs_t of arm64). */
const ptRegsFields = (read: readonly AccessSize[]): ContextField[] => [
  ...u64s('regs', 31, 0, read),
  { name: 'sp', offset: 248, size: 8, kind: 'scalar', read, write: [] },
  { name: 'pc', offset: 256, size: 8, kind: 'scalar', read, write: [] },
  { name: 'pstate', offset: 264, size: 8, kind: 'scalar', read, write: [] },
];
export const PT_REGS_SIZE = 272;

/** kprobe / uprobe: struct pt_regs as arm64 user space sees it (PT_REGS_PARM1 = regs[0]). */
export const KPROBE_CONTEXT: ContextStruct = { struct: 'struct pt_regs', size: PT_REGS_SIZE, fields: ptRegsFields(ANY), internal: 'raw' };

/** PERF_MAX_TRACE_SIZE */
export const TRACEPOINT_MAX_SIZE = 2048;
/**
 * tracepoint: the raw trace record. The kernel lets programs read from byte 8 (after the
 * common header the program may not see) to PERF_MAX_TRACE_SIZE (tp_prog_is_valid_access).
 */
export const TRACEPOINT_CONTEXT: ContextStruct = {
  struct: 'tracepoint record',
  size: TRACEPOINT_MAX_SIZE,
  fields: [{ name: 'record', offset: 8, size: TRACEPOINT_MAX_SIZE - 8, kind: 'scalar', read: ANY, write: [] }],
  internal: 'raw',
};

/** MAX_BPF_FUNC_ARGS */
const MAX_ARGS = 12;
/** raw_tracepoint: u64 args[12] (struct bpf_raw_tracepoint_args), any aligned read. */
export const RAW_TRACEPOINT_CONTEXT: ContextStruct = {
  struct: 'struct bpf_raw_tracepoint_args',
  size: 8 * MAX_ARGS,
  fields: u64s('args', MAX_ARGS, 0, ANY),
  internal: 'raw',
};

/**
 * tracing (fentry, fexit, fmod_ret, tp_btf): the traced function's arguments as u64 slots,
 * and for fexit the return value in the slot after the last argument; reads start at a slot.
 */
export const TRACING_CONTEXT: ContextStruct = {
  struct: 'u64 args[]',
  size: 8 * (MAX_ARGS + 1),
  fields: u64s('args', MAX_ARGS + 1, 0, ANY, true),
  internal: 'raw',
};

/** perf_event: struct bpf_perf_event_data { regs; u64 sample_period; u64 addr; } (pe_prog_is_valid_access). */
export const PERF_EVENT_CONTEXT: ContextStruct = {
  struct: 'struct bpf_perf_event_data',
  size: PT_REGS_SIZE + 16,
  fields: [
    ...ptRegsFields([8]),
    { name: 'sample_period', offset: PT_REGS_SIZE, size: 8, kind: 'scalar', read: ANY, write: [] },
    { name: 'addr', offset: PT_REGS_SIZE + 8, size: 8, kind: 'scalar', read: ANY, write: [] },
  ],
  internal: 'raw',
};
