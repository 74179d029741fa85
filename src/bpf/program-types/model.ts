import type { ProgramTypeName } from './names.js';

/**
 * The shape of a program type: its context (what R1 points at on entry), which context
 * accesses are valid, what each one becomes on the runtime's internal context struct (the
 * kernel's convert_ctx_access), its packet (for packet types), helpers and return values.
 */

export type AccessSize = 1 | 2 | 4 | 8;

/**
 * What a context field holds. Pointer kinds are 32-bit fields in the uapi struct that the
 * program reads as 64-bit pointers (after conversion):
 * - packet: the first byte of packet data (PTR_TO_PACKET);
 * - packet_end: one past the last byte (PTR_TO_PACKET_END): compared against, never read;
 * - packet_meta: the first byte of XDP/tc metadata, right before `data` (PTR_TO_PACKET_META);
 * - sock_common_or_null: struct bpf_sock * (PTR_TO_SOCK_COMMON_OR_NULL): always NULL here,
 *   since a test run has no socket.
 */
export type ContextFieldKind = 'scalar' | 'packet' | 'packet_end' | 'packet_meta' | 'sock_common_or_null';

/** Where the runtime keeps a field in its internal context struct. */
export interface FieldTarget {
  readonly offset: number;
  /** bytes of the internal field (it may be narrower than the uapi field: __u16 in sk_buff) */
  readonly size: AccessSize;
}

export interface ContextField {
  readonly name: string;
  /** offset and size in the uapi struct (arrays: the whole array) */
  readonly offset: number;
  readonly size: number;
  readonly kind: ContextFieldKind;
  /** load sizes allowed (empty: not readable); each access must be naturally aligned */
  readonly read: readonly AccessSize[];
  /** store sizes allowed (empty: not writable) */
  readonly write: readonly AccessSize[];
  /** narrower loads must start at the field's first byte (tracing arguments) */
  readonly narrowAtStart?: boolean;
  /** sign-extending loads (LDX|MEMSX) are refused (the kernel refuses them for packet pointers) */
  readonly noSignedLoad?: boolean;
  /** internal field; absent for raw contexts, whose internal layout is the uapi layout */
  readonly target?: FieldTarget;
  /**
   * Stores of values >= this are dropped, as the kernel does for queue_mapping
   * (NO_QUEUE_MAPPING): the store becomes `if src >= guard goto +1; store`.
   */
  readonly storeBelow?: number;
}

/**
 * A context struct. `fields` cover every accessible byte; an access must lie inside one
 * field, be naturally aligned, and have one of the field's sizes.
 */
export interface ContextStruct {
  /** the C type name, as the program declares its argument (`struct xdp_md`) */
  readonly struct: string;
  /** sizeof the uapi struct; accesses at or past it are invalid */
  readonly size: number;
  readonly fields: readonly ContextField[];
  /**
   * The internal struct the runtime builds and the program reaches after conversion. For
   * `raw` contexts (tracing types) this is the uapi layout itself and nothing is rewritten.
   */
  readonly internal: { readonly struct: string; readonly size: number; readonly fields: Readonly<Record<string, FieldTarget>> } | 'raw';
}

/** a64jit's plain type: R1 = a byte buffer, R2 = its length; no struct, no rewriting. */
export interface BufferContext {
  readonly struct: undefined;
}

/** What the kernel does with a program's R0. */
export interface ReturnRule {
  /** values the kernel verifier accepts at exit (check_return_code); absent: anything */
  readonly enforced?: { readonly min: number; readonly max: number };
  /** names of the meaningful values (XDP_DROP, TC_ACT_SHOT, ...) */
  readonly meanings?: Readonly<Record<number, string>>;
  readonly description: string;
}

/**
 * The packet of a packet program type under a test run (BPF_PROG_TEST_RUN): room before and
 * after the data for adjust_head / adjust_meta / adjust_tail / change_head, the largest
 * packet, and where the program's view starts.
 */
export interface PacketModel {
  /** bytes reserved before the packet (XDP_PACKET_HEADROOM, NET_SKB_PAD) */
  readonly headroom: number;
  /** bytes reserved after it (the kernel's skb_shared_info, not usable as data) */
  readonly tailroom: number;
  /** largest packet data_in accepted (a page minus head- and tailroom, as the kernel) */
  readonly maxSize: number;
  /** smallest packet (ETH_HLEN for skb types) */
  readonly minSize: number;
  /**
   * Bytes of the packet before the program's `data`: 0 for XDP and tc (the program sees the
   * Ethernet header), ETH_HLEN for socket filters and cgroup skb programs (data starts at the
   * network header, the Ethernet header is in the headroom), as bpf_prog_test_run_skb.
   */
  readonly viewOffset: number;
}

export interface ProgramType {
  readonly name: ProgramTypeName;
  /** BPF_PROG_TYPE_* (0 for plain) */
  readonly kernelId: number;
  readonly kernelName: string;
  readonly description: string;
  readonly context: ContextStruct | BufferContext;
  /** packet types only */
  readonly packet?: PacketModel;
  readonly returns: ReturnRule;
  /** return rules of attach types that differ (cgroup_skb/egress) */
  readonly returnsByAttach?: Readonly<Record<string, ReturnRule>>;
  /** context fields only some attach types may read (xdp/devmap: egress_ifindex) */
  readonly fieldsByAttach?: Readonly<Record<string, readonly string[]>>;
  /** LD_ABS / LD_IND are defined (socket buffer types; R6 must be the context) */
  readonly legacyPacketAccess: boolean;
  /** stores through packet pointers are allowed (the kernel's may_access_direct_pkt_data for writes: tc and XDP) */
  readonly directPacketWrite: boolean;
  /** helper ids the type may call (from helper-protos.ts) */
  readonly helpers: ReadonlySet<number>;
  /**
   * uapi fields a test run's ctx_in may set (others must be zero); the rest are computed
   * from the packet (len, protocol, ...) or fixed.
   */
  readonly ctxIn: readonly string[];
}

export function hasStruct(c: ContextStruct | BufferContext): c is ContextStruct {
  return c.struct !== undefined;
}
