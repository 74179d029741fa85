import type { AccessSize, ContextField, ContextFieldKind, ContextStruct, FieldTarget } from './model.js';

/**
 * struct __sk_buff (include/uapi/linux/bpf.h) for socket filters, tc (sched_cls/sched_act)
 * and cgroup skb programs, with the access rules of net/core/filter.c
 * (bpf_skb_is_valid_access, sk_filter_is_valid_access, tc_cls_act_is_valid_access,
 * cg_skb_is_valid_access) and the runtime's internal socket buffer each field maps to.
 */

/**
 * The internal socket buffer the runtime builds for a run (little-endian, 8-aligned). The
 * packet pointers are real 64-bit addresses; head/end bound the buffer (headroom + data +
 * tailroom) for skb_change_head; mac_header / network_header serve LD_ABS's SKF_LL_OFF /
 * SKF_NET_OFF. Fields the kernel keeps as __u16 are 2 bytes here too, so a 32-bit store keeps
 * only the low half, as in the kernel.
 */
export const SKB_INTERNAL = {
  data: { offset: 0, size: 8 },
  data_end: { offset: 8, size: 8 },
  data_meta: { offset: 16, size: 8 },
  head: { offset: 24, size: 8 },
  end: { offset: 32, size: 8 },
  mac_header: { offset: 40, size: 8 },
  network_header: { offset: 48, size: 8 },
  tstamp: { offset: 56, size: 8 },
  hwtstamp: { offset: 64, size: 8 },
  sk: { offset: 72, size: 8 },
  len: { offset: 80, size: 4 },
  pkt_type: { offset: 84, size: 4 },
  mark: { offset: 88, size: 4 },
  queue_mapping: { offset: 92, size: 2 },
  protocol: { offset: 96, size: 2 },
  vlan_present: { offset: 100, size: 4 },
  vlan_tci: { offset: 104, size: 2 },
  vlan_proto: { offset: 108, size: 2 },
  priority: { offset: 112, size: 4 },
  ingress_ifindex: { offset: 116, size: 4 },
  ifindex: { offset: 120, size: 4 },
  tc_index: { offset: 124, size: 2 },
  cb: { offset: 128, size: 4 },
  hash: { offset: 148, size: 4 },
  tc_classid: { offset: 152, size: 2 },
  napi_id: { offset: 156, size: 4 },
  wire_len: { offset: 160, size: 4 },
  gso_segs: { offset: 164, size: 4 },
  gso_size: { offset: 168, size: 4 },
  tstamp_type: { offset: 172, size: 1 },
} as const satisfies Record<string, FieldTarget>;
export const SKB_INTERNAL_SIZE = 176;
/** cb[5]: 20 bytes at SKB_INTERNAL.cb.offset */
export const SKB_CB_SIZE = 20;

/** sizeof(struct __sk_buff) */
export const SK_BUFF_SIZE = 192;

/** Which socket-buffer program family reads the struct. */
export type SkbAccess = 'socket' | 'tc' | 'cgroup';

type Rw = '' | 'r' | 'rw';
interface Row {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly kind?: ContextFieldKind;
  /** the field's own size class: 'u32' (narrow reads 1/2/4, writes 4), 'u64', 'ptr32', 'bytes', 'u8', 'ptr64' */
  readonly shape: 'u32' | 'u64' | 'ptr32' | 'bytes' | 'u8' | 'ptr64' | 'u32only';
  readonly target?: keyof typeof SKB_INTERNAL;
  readonly access: Readonly<Record<SkbAccess, Rw>>;
  readonly storeBelow?: number;
}

const acc = (socket: Rw, tc: Rw, cgroup: Rw): Readonly<Record<SkbAccess, Rw>> => ({ socket, tc, cgroup });
const NONE = acc('', '', '');
const R = acc('r', 'r', 'r');

/** Every field of struct __sk_buff, in order (offsets checked against clang-22 by the tests). */
const ROWS: readonly Row[] = [
  { name: 'len', offset: 0, size: 4, shape: 'u32', target: 'len', access: R },
  { name: 'pkt_type', offset: 4, size: 4, shape: 'u32', target: 'pkt_type', access: R },
  { name: 'mark', offset: 8, size: 4, shape: 'u32', target: 'mark', access: acc('r', 'rw', 'rw') },
  // NO_QUEUE_MAPPING (0xffff) and above are not stored (bpf_convert_ctx_access).
  { name: 'queue_mapping', offset: 12, size: 4, shape: 'u32', target: 'queue_mapping', access: acc('r', 'rw', 'r'), storeBelow: 0xffff },
  { name: 'protocol', offset: 16, size: 4, shape: 'u32', target: 'protocol', access: R },
  { name: 'vlan_present', offset: 20, size: 4, shape: 'u32', target: 'vlan_present', access: R },
  { name: 'vlan_tci', offset: 24, size: 4, shape: 'u32', target: 'vlan_tci', access: R },
  { name: 'vlan_proto', offset: 28, size: 4, shape: 'u32', target: 'vlan_proto', access: R },
  { name: 'priority', offset: 32, size: 4, shape: 'u32', target: 'priority', access: acc('r', 'rw', 'rw') },
  { name: 'ingress_ifindex', offset: 36, size: 4, shape: 'u32', target: 'ingress_ifindex', access: R },
  { name: 'ifindex', offset: 40, size: 4, shape: 'u32', target: 'ifindex', access: R },
  { name: 'tc_index', offset: 44, size: 4, shape: 'u32', target: 'tc_index', access: acc('r', 'rw', 'r') },
  { name: 'cb', offset: 48, size: 20, shape: 'bytes', target: 'cb', access: acc('rw', 'rw', 'rw') },
  { name: 'hash', offset: 68, size: 4, shape: 'u32', target: 'hash', access: R },
  { name: 'tc_classid', offset: 72, size: 4, shape: 'u32', target: 'tc_classid', access: acc('', 'rw', '') },
  { name: 'data', offset: 76, size: 4, kind: 'packet', shape: 'ptr32', target: 'data', access: acc('', 'r', 'r') },
  { name: 'data_end', offset: 80, size: 4, kind: 'packet_end', shape: 'ptr32', target: 'data_end', access: acc('', 'r', 'r') },
  { name: 'napi_id', offset: 84, size: 4, shape: 'u32', target: 'napi_id', access: R },
  // family .. local_port: only for sk_skb programs (not a64jit types).
  { name: 'family', offset: 88, size: 4, shape: 'u32', access: NONE },
  { name: 'remote_ip4', offset: 92, size: 4, shape: 'u32only', access: NONE },
  { name: 'local_ip4', offset: 96, size: 4, shape: 'u32only', access: NONE },
  { name: 'remote_ip6', offset: 100, size: 16, shape: 'u32only', access: NONE },
  { name: 'local_ip6', offset: 116, size: 16, shape: 'u32only', access: NONE },
  { name: 'remote_port', offset: 132, size: 4, shape: 'u32', access: NONE },
  { name: 'local_port', offset: 136, size: 4, shape: 'u32', access: NONE },
  { name: 'data_meta', offset: 140, size: 4, kind: 'packet_meta', shape: 'ptr32', target: 'data_meta', access: acc('', 'r', '') },
  // flow_keys: only for flow dissector programs.
  { name: 'flow_keys', offset: 144, size: 8, shape: 'ptr64', access: NONE },
  { name: 'tstamp', offset: 152, size: 8, shape: 'u64', target: 'tstamp', access: acc('', 'rw', 'rw') },
  { name: 'wire_len', offset: 160, size: 4, shape: 'u32', target: 'wire_len', access: acc('', 'r', '') },
  { name: 'gso_segs', offset: 164, size: 4, shape: 'u32', target: 'gso_segs', access: R },
  { name: 'sk', offset: 168, size: 8, kind: 'sock_common_or_null', shape: 'ptr64', target: 'sk', access: R },
  { name: 'gso_size', offset: 176, size: 4, shape: 'u32', target: 'gso_size', access: R },
  { name: 'tstamp_type', offset: 180, size: 1, shape: 'u8', target: 'tstamp_type', access: acc('', 'r', '') },
  // 181..183: padding, never accessible.
  { name: 'hwtstamp', offset: 184, size: 8, shape: 'u64', target: 'hwtstamp', access: acc('', 'r', 'r') },
];

const READS: Readonly<Record<Row['shape'], readonly AccessSize[]>> = {
  u32: [1, 2, 4],
  u32only: [4],
  u64: [8],
  ptr32: [4],
  ptr64: [8],
  bytes: [1, 2, 4, 8],
  u8: [1],
};
const WRITES: Readonly<Record<Row['shape'], readonly AccessSize[]>> = {
  u32: [4],
  u32only: [4],
  u64: [8],
  ptr32: [],
  ptr64: [],
  bytes: [1, 2, 4, 8],
  u8: [],
};

/** struct __sk_buff as one socket-buffer family sees it. */
export function skbContext(family: SkbAccess): ContextStruct {
  const fields: ContextField[] = ROWS.map((r) => {
    const rw = r.access[family];
    const kind = r.kind ?? 'scalar';
    return {
      name: r.name,
      offset: r.offset,
      size: r.size,
      kind,
      read: rw === '' ? [] : READS[r.shape],
      write: rw === 'rw' ? WRITES[r.shape] : [],
      ...(kind !== 'scalar' ? { noSignedLoad: true } : {}),
      ...(r.target !== undefined ? { target: SKB_INTERNAL[r.target] } : {}),
      ...(r.storeBelow !== undefined ? { storeBelow: r.storeBelow } : {}),
    };
  });
  return { struct: 'struct __sk_buff', size: SK_BUFF_SIZE, fields, internal: { struct: 'a64jit internal sk_buff', size: SKB_INTERNAL_SIZE, fields: SKB_INTERNAL } };
}

/**
 * __sk_buff fields a test run's ctx_in may set: the kernel's (convert___skb_to_skb: mark,
 * priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size, hwtstamp),
 * plus fields the kernel fills from a real device or the packet that a user-space test wants
 * to choose (pkt_type, queue_mapping, protocol, vlan_*, tc_index, hash, tc_classid, napi_id).
 * len, data, data_end, data_meta come from the packet, vlan_present from vlan_tci/vlan_proto
 * (the kernel's vlan_all != 0); sk is always NULL.
 */
export const SKB_CTX_IN = [
  'pkt_type', 'mark', 'queue_mapping', 'protocol', 'vlan_tci', 'vlan_proto', 'priority',
  'ingress_ifindex', 'ifindex', 'tc_index', 'cb', 'hash', 'tc_classid', 'napi_id', 'tstamp', 'wire_len',
  'gso_segs', 'gso_size', 'tstamp_type', 'hwtstamp',
] as const;
