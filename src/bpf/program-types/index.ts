/**
 * Program types: the libbpf section-name conventions, each type's context struct (fields,
 * offsets, sizes, readable/writable, pointer kinds), what each context access becomes on the
 * runtime's internal context (the kernel's convert_ctx_access), its packet model under a test
 * run, its helpers and its return-value rule.
 *
 * Pure data and pure BPF -> BPF functions (src/bpf room: no arm64, no native code). Imports
 * only src/bpf modules (helper prototypes, instruction model).
 */
export { PROGRAM_TYPE_NAMES, isProgramTypeName } from './names.js';
export type { ProgramTypeName } from './names.js';
export type {
  AccessSize,
  BufferContext,
  ContextField,
  ContextFieldKind,
  ContextStruct,
  FieldTarget,
  PacketModel,
  ProgramType,
  ReturnRule,
} from './model.js';
export { hasStruct } from './model.js';
export { PROGRAM_TYPES, programType, returnRule, ETH_HLEN, NET_SKB_PAD } from './types.js';
export { SECTION_DEFS, sectionProgramType, parseProgramType, programTypeSpellings } from './sections.js';
export type { SectionDef, SectionMatch } from './sections.js';
export { checkContextAccess, contextField } from './access.js';
export type { ContextAccess, ContextAccessResult } from './access.js';
export { SKB_INTERNAL, SKB_INTERNAL_SIZE, SKB_CB_SIZE, SK_BUFF_SIZE, SKB_CTX_IN, skbContext } from './skb.js';
export type { SkbAccess } from './skb.js';
export {
  XDP_INTERNAL,
  XDP_INTERNAL_SIZE,
  XDP_MD_SIZE,
  XDP_PACKET_HEADROOM,
  XDP_FRAME_SIZE,
  XDP_META_MAX,
  XDP_ACTIONS,
  SKB_SHARED_INFO_SIZE,
  XDP_CONTEXT,
} from './xdp.js';
export { KPROBE_CONTEXT, TRACEPOINT_CONTEXT, RAW_TRACEPOINT_CONTEXT, TRACING_CONTEXT, PERF_EVENT_CONTEXT, PT_REGS_SIZE, TRACEPOINT_MAX_SIZE } from './tracing.js';
export { analyzeProvenance } from './provenance.js';
export type { ProgramFacts, CtxAccessFact, ProvenanceProblem, ProvenanceOptions } from './provenance.js';
export { convertContextAccess, BpfContextError } from './convert.js';
