import type { ContextField, ContextStruct, FieldTarget } from './model.js';

/**
 * struct xdp_md (include/uapi/linux/bpf.h) with the kernel's access rules
 * (net/core/filter.c xdp_is_valid_access: read-only, exactly 4 bytes, egress_ifindex only for
 * BPF_XDP_DEVMAP programs) and the runtime's internal xdp_buff each field maps to.
 */

/**
 * The internal xdp_buff (little-endian): real 64-bit packet pointers, the start of the
 * headroom (data_hard_start; bpf_xdp_adjust_head/meta never go below it + XDP_FRAME_SIZE) and
 * the end of the frame (data_hard_end: adjust_tail never grows past it).
 */
export const XDP_INTERNAL = {
  data: { offset: 0, size: 8 },
  data_end: { offset: 8, size: 8 },
  data_meta: { offset: 16, size: 8 },
  data_hard_start: { offset: 24, size: 8 },
  data_hard_end: { offset: 32, size: 8 },
  ingress_ifindex: { offset: 40, size: 4 },
  rx_queue_index: { offset: 44, size: 4 },
  egress_ifindex: { offset: 48, size: 4 },
} as const satisfies Record<string, FieldTarget>;
export const XDP_INTERNAL_SIZE = 56;

/** sizeof(struct xdp_md) */
export const XDP_MD_SIZE = 24;
/** XDP_PACKET_HEADROOM */
export const XDP_PACKET_HEADROOM = 256;
/** sizeof(struct xdp_frame): the start of the headroom the frame keeps for itself */
export const XDP_FRAME_SIZE = 40;
/** The largest XDP metadata (xdp_metalen_invalid: at most 32 bytes, a multiple of 4). */
export const XDP_META_MAX = 32;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on 64-bit kernels: the tail of a frame data cannot use. */
export const SKB_SHARED_INFO_SIZE = 320;

/** XDP actions (enum xdp_action). */
export const XDP_ACTIONS: Readonly<Record<number, string>> = { 0: 'XDP_ABORTED', 1: 'XDP_DROP', 2: 'XDP_PASS', 3: 'XDP_TX', 4: 'XDP_REDIRECT' };

const field = (name: keyof typeof XDP_INTERNAL, offset: number, kind: ContextField['kind']): ContextField => ({
  name,
  offset,
  size: 4,
  kind,
  read: [4],
  write: [],
  ...(kind !== 'scalar' ? { noSignedLoad: true } : {}),
  target: XDP_INTERNAL[name],
});

export const XDP_CONTEXT: ContextStruct = {
  struct: 'struct xdp_md',
  size: XDP_MD_SIZE,
  fields: [
    field('data', 0, 'packet'),
    field('data_end', 4, 'packet_end'),
    field('data_meta', 8, 'packet_meta'),
    field('ingress_ifindex', 12, 'scalar'),
    field('rx_queue_index', 16, 'scalar'),
    field('egress_ifindex', 20, 'scalar'),
  ],
  internal: { struct: 'a64jit internal xdp_buff', size: XDP_INTERNAL_SIZE, fields: XDP_INTERNAL },
};
