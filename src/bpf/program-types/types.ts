import { helpersForProgramType } from '../helper-protos.js';
import type { BufferContext, ContextStruct, PacketModel, ProgramType, ReturnRule } from './model.js';
import type { ProgramTypeName } from './names.js';
import { SKB_CTX_IN, skbContext } from './skb.js';
import { KPROBE_CONTEXT, PERF_EVENT_CONTEXT, RAW_TRACEPOINT_CONTEXT, TRACEPOINT_CONTEXT, TRACING_CONTEXT } from './tracing.js';
import { SKB_SHARED_INFO_SIZE, XDP_ACTIONS, XDP_CONTEXT, XDP_PACKET_HEADROOM } from './xdp.js';

/**
 * The program types a64jit runs, one entry each: kernel number, context, packet model under a
 * test run, return-value rule (kernel/bpf/verifier.c check_return_code), helpers.
 */

const PAGE = 4096;
/** ETH_HLEN */
export const ETH_HLEN = 14;
/** NET_SKB_PAD (+ NET_IP_ALIGN, 0 on arm64 and x86): bpf_prog_test_run_skb's headroom. */
export const NET_SKB_PAD = 64;

/** XDP: the page holds XDP_PACKET_HEADROOM, the frame, and skb_shared_info. */
const XDP_PACKET: PacketModel = {
  headroom: XDP_PACKET_HEADROOM,
  tailroom: SKB_SHARED_INFO_SIZE,
  maxSize: PAGE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE,
  minSize: ETH_HLEN,
  viewOffset: 0,
};
const skbPacket = (viewOffset: number): PacketModel => ({
  headroom: NET_SKB_PAD,
  tailroom: SKB_SHARED_INFO_SIZE,
  maxSize: PAGE - NET_SKB_PAD - SKB_SHARED_INFO_SIZE,
  minSize: ETH_HLEN,
  viewOffset,
});

const TC_ACTIONS: Readonly<Record<number, string>> = {
  [-1]: 'TC_ACT_UNSPEC', 0: 'TC_ACT_OK', 1: 'TC_ACT_RECLASSIFY', 2: 'TC_ACT_SHOT', 3: 'TC_ACT_PIPE',
  4: 'TC_ACT_STOLEN', 5: 'TC_ACT_QUEUED', 6: 'TC_ACT_REPEAT', 7: 'TC_ACT_REDIRECT', 8: 'TC_ACT_TRAP',
};
const anyReturn = (description: string): ReturnRule => ({ description });
const BUFFER: BufferContext = { struct: undefined };

interface Spec {
  readonly name: ProgramTypeName;
  readonly kernelId: number;
  readonly kernelName: string;
  readonly description: string;
  readonly context: ContextStruct | BufferContext;
  readonly packet?: PacketModel;
  readonly returns: ReturnRule;
  readonly returnsByAttach?: Readonly<Record<string, ReturnRule>>;
  readonly fieldsByAttach?: Readonly<Record<string, readonly string[]>>;
  readonly legacyPacketAccess?: boolean;
  readonly directPacketWrite?: boolean;
  readonly ctxIn?: readonly string[];
}

const TRACE_RETURN = anyReturn('any value (the kernel ignores it except for kprobe overrides)');

const SPECS: readonly Spec[] = [
  {
    name: 'plain',
    kernelId: 0,
    kernelName: 'BPF_PROG_TYPE_UNSPEC',
    description: 'a64jit plain buffer: R1 = the bytes given, R2 = their length',
    context: BUFFER,
    returns: anyReturn('any value'),
  },
  {
    name: 'socket_filter',
    kernelId: 1,
    kernelName: 'BPF_PROG_TYPE_SOCKET_FILTER',
    description: 'socket filter: struct __sk_buff, the packet from the network header; R0 = bytes to keep (0 drops)',
    context: skbContext('socket'),
    packet: skbPacket(ETH_HLEN),
    returns: anyReturn('the number of bytes of the packet to keep; 0 drops it'),
    legacyPacketAccess: true,
    ctxIn: SKB_CTX_IN,
  },
  {
    name: 'kprobe',
    kernelId: 2,
    kernelName: 'BPF_PROG_TYPE_KPROBE',
    description: 'kprobe/uprobe: struct pt_regs (arm64), read-only, given by the user',
    context: KPROBE_CONTEXT,
    returns: TRACE_RETURN,
    ctxIn: ['*'],
  },
  {
    name: 'sched_cls',
    directPacketWrite: true,
    kernelId: 3,
    kernelName: 'BPF_PROG_TYPE_SCHED_CLS',
    description: 'tc classifier: struct __sk_buff, the packet from the Ethernet header',
    context: skbContext('tc'),
    packet: skbPacket(0),
    returns: { meanings: TC_ACTIONS, description: 'a TC_ACT_* verdict (direct action) or a class id' },
    legacyPacketAccess: true,
    ctxIn: SKB_CTX_IN,
  },
  {
    name: 'sched_act',
    directPacketWrite: true,
    kernelId: 4,
    kernelName: 'BPF_PROG_TYPE_SCHED_ACT',
    description: 'tc action: struct __sk_buff, the packet from the Ethernet header',
    context: skbContext('tc'),
    packet: skbPacket(0),
    returns: { meanings: TC_ACTIONS, description: 'a TC_ACT_* verdict' },
    legacyPacketAccess: true,
    ctxIn: SKB_CTX_IN,
  },
  {
    name: 'tracepoint',
    kernelId: 5,
    kernelName: 'BPF_PROG_TYPE_TRACEPOINT',
    description: 'tracepoint: the raw trace record (read from byte 8), given by the user',
    context: TRACEPOINT_CONTEXT,
    returns: TRACE_RETURN,
    ctxIn: ['*'],
  },
  {
    name: 'xdp',
    directPacketWrite: true,
    kernelId: 6,
    kernelName: 'BPF_PROG_TYPE_XDP',
    description: 'XDP: struct xdp_md over a frame with 256 bytes of headroom',
    context: XDP_CONTEXT,
    packet: XDP_PACKET,
    returns: { meanings: XDP_ACTIONS, description: 'an XDP action; any other value is treated as XDP_ABORTED' },
    fieldsByAttach: { egress_ifindex: ['xdp_devmap'] },
    ctxIn: ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'],
  },
  {
    name: 'perf_event',
    kernelId: 7,
    kernelName: 'BPF_PROG_TYPE_PERF_EVENT',
    description: 'perf event: struct bpf_perf_event_data, given by the user',
    context: PERF_EVENT_CONTEXT,
    returns: TRACE_RETURN,
    ctxIn: ['*'],
  },
  {
    name: 'cgroup_skb',
    kernelId: 8,
    kernelName: 'BPF_PROG_TYPE_CGROUP_SKB',
    description: 'cgroup skb: struct __sk_buff, the packet from the network header; R0 = 1 allows, 0 drops',
    context: skbContext('cgroup'),
    packet: skbPacket(ETH_HLEN),
    returns: { enforced: { min: 0, max: 1 }, meanings: { 0: 'drop', 1: 'allow' }, description: '1 allows the packet, 0 drops it' },
    returnsByAttach: {
      cgroup_inet_egress: {
        enforced: { min: 0, max: 3 },
        meanings: { 0: 'drop', 1: 'allow', 2: 'drop + congestion notification', 3: 'allow + congestion notification' },
        description: 'bit 0: allow, bit 1: congestion notification',
      },
    },
    legacyPacketAccess: true,
    ctxIn: SKB_CTX_IN,
  },
  {
    name: 'raw_tracepoint',
    kernelId: 17,
    kernelName: 'BPF_PROG_TYPE_RAW_TRACEPOINT',
    description: 'raw tracepoint: u64 args[12], given by the user',
    context: RAW_TRACEPOINT_CONTEXT,
    returns: TRACE_RETURN,
    ctxIn: ['*'],
  },
  {
    name: 'tracing',
    kernelId: 26,
    kernelName: 'BPF_PROG_TYPE_TRACING',
    description: 'fentry/fexit/fmod_ret/tp_btf: the traced function arguments as u64 slots, given by the user',
    context: TRACING_CONTEXT,
    returns: { enforced: { min: 0, max: 0 }, description: 'fentry/fexit must return 0; fmod_ret returns the value to use' },
    returnsByAttach: { trace_modify_return: anyReturn('the traced function returns this value instead (non-zero) or runs (0)') },
    ctxIn: ['*'],
  },
];

const TYPES = new Map<ProgramTypeName, ProgramType>(
  SPECS.map((s) => [
    s.name,
    {
      ...s,
      legacyPacketAccess: s.legacyPacketAccess ?? false,
      directPacketWrite: s.directPacketWrite ?? false,
      helpers: helpersForProgramType(s.name),
      ctxIn: s.ctxIn ?? [],
    },
  ]),
);

/** Every program type, plain first. */
export const PROGRAM_TYPES: readonly ProgramType[] = [...TYPES.values()];

export function programType(name: ProgramTypeName): ProgramType {
  return TYPES.get(name)!;
}

/** The return rule for an attach type (cgroup_skb/egress differs from ingress). */
export function returnRule(type: ProgramType, attach?: string): ReturnRule {
  return (attach !== undefined ? type.returnsByAttach?.[attach] : undefined) ?? type.returns;
}
