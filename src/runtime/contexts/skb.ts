import { ETH_HLEN, SKB_CB_SIZE, SKB_INTERNAL as T, SKB_INTERNAL_SIZE, type ContextStruct, type ProgramType } from '../../bpf/index.js';
import { BpfRunInputError } from './errors.js';
import { getField, putField, readCtxIn, uapiValue, viewOf } from './fields.js';
import type { BuiltContext, ContextBuilder, ContextTarget, RunInput } from './index.js';

/**
 * A socket buffer for a test run, as bpf_prog_test_run_skb builds it: the packet after
 * NET_SKB_PAD bytes of headroom, eth_type_trans on the loopback device (protocol from the
 * EtherType, pkt_type from the destination MAC, ifindex 1), data at the Ethernet header for
 * tc and at the network header for socket filters and cgroup skb programs (the Ethernet
 * header stays in the headroom, where LD_ABS's SKF_LL_OFF finds it). ctx_in sets the fields
 * SKB_CTX_IN lists; ctx_out gives every field back (packet pointers as 0, like the kernel).
 */

/** enum: PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST */
const PACKET = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3 } as const;
/** the loopback device a test run uses */
const LOOPBACK_IFINDEX = 1n;

function pktType(eth: Uint8Array): number {
  const dst = eth.subarray(0, 6);
  if (dst.every((b) => b === 0xff)) return PACKET.BROADCAST;
  if ((dst[0]! & 1) !== 0) return PACKET.MULTICAST;
  // The loopback device's address is 00:00:00:00:00:00.
  return dst.every((b) => b === 0) ? PACKET.HOST : PACKET.OTHERHOST;
}

export function skbContext(type: ProgramType): ContextBuilder {
  const pkt = type.packet!;
  const ctx = type.context as ContextStruct;
  const check = (input: RunInput): Uint8Array => {
    const data = input.dataIn;
    if (data === undefined) throw new BpfRunInputError(`${type.name} programs need a packet (at least ${pkt.minSize} bytes)`, 'data_in');
    const max = input.maxPacket ?? pkt.maxSize;
    if (data.length < pkt.minSize) throw new BpfRunInputError(`a packet of ${data.length} bytes is shorter than the Ethernet header (${ETH_HLEN} bytes)`, 'data_in');
    if (data.length > max) throw new BpfRunInputError(`a packet of ${data.length} bytes is larger than the maximum of ${max} for ${type.name}`, 'data_in');
    return data;
  };
  return {
    plan: (input) => {
      const data = check(input);
      readCtxIn(ctx, input.ctxIn, type.ctxIn);
      return { ctxSize: SKB_INTERNAL_SIZE, packetSize: pkt.headroom + data.length + pkt.tailroom };
    },
    build: (input, target) => build(type, ctx, check(input), readCtxIn(ctx, input.ctxIn, type.ctxIn), target),
  };
}

function build(type: ProgramType, ctx: ContextStruct, data: Uint8Array, uapi: Uint8Array, target: ContextTarget): BuiltContext {
  const pkt = type.packet!;
  target.packet.fill(0);
  target.packet.set(data, pkt.headroom);
  target.ctx.fill(0);
  const v = viewOf(target.ctx);
  const base = target.packetAddress;
  const mac = base + BigInt(pkt.headroom);
  const dataEnd = mac + BigInt(data.length);
  const start = mac + BigInt(pkt.viewOffset);
  const u = (name: string): bigint => uapiValue(ctx, uapi, name);
  putField(v, T.data, start);
  putField(v, T.data_end, dataEnd);
  putField(v, T.data_meta, start);
  putField(v, T.head, base);
  putField(v, T.end, base + BigInt(target.packet.length));
  putField(v, T.mac_header, mac);
  putField(v, T.network_header, mac + BigInt(ETH_HLEN));
  putField(v, T.len, BigInt(data.length - pkt.viewOffset));
  // The protocol is the EtherType as the kernel stores it: network byte order in memory.
  putField(v, T.protocol, u('protocol') || BigInt(data[12]! | (data[13]! << 8)));
  putField(v, T.pkt_type, u('pkt_type') || BigInt(pktType(data)));
  putField(v, T.ifindex, u('ifindex') || LOOPBACK_IFINDEX);
  putField(v, T.wire_len, u('wire_len') || BigInt(data.length));
  for (const name of ['mark', 'queue_mapping', 'vlan_tci', 'vlan_proto', 'priority', 'ingress_ifindex', 'tc_index', 'hash', 'tc_classid', 'napi_id', 'gso_segs', 'gso_size', 'tstamp', 'hwtstamp', 'tstamp_type'] as const) {
    putField(v, T[name], u(name));
  }
  putField(v, T.vlan_present, u('vlan_tci') !== 0n || u('vlan_proto') !== 0n ? 1n : 0n);
  const cb = ctx.fields.find((f) => f.name === 'cb')!;
  target.ctx.set(uapi.subarray(cb.offset, cb.offset + SKB_CB_SIZE), T.cb.offset);
  return {
    r1: target.ctxAddress,
    r2: 0n,
    dataOut: () => {
      // From the MAC header again (bpf_prog_test_run_skb pushes it back for non-L2 types).
      const from = Number(getField(v, T.data) - base) - pkt.viewOffset;
      const to = Number(getField(v, T.data_end) - base);
      return Uint8Array.from(target.packet.subarray(Math.max(0, from), Math.max(from, to)));
    },
    ctxOut: () => ctxOut(ctx, target.ctx),
  };
}

/** The uapi __sk_buff of an internal one: scalars copied, packet pointers and sk as 0. */
function ctxOut(ctx: ContextStruct, internal: Uint8Array): Uint8Array {
  const out = new Uint8Array(ctx.size);
  const ov = viewOf(out);
  const iv = viewOf(internal);
  for (const f of ctx.fields) {
    if (f.target === undefined || f.kind !== 'scalar') continue;
    if (f.name === 'cb') {
      out.set(internal.subarray(f.target.offset, f.target.offset + SKB_CB_SIZE), f.offset);
      continue;
    }
    const value = getField(iv, f.target);
    if (f.size === 8) ov.setBigUint64(f.offset, value, true);
    else if (f.size === 4) ov.setUint32(f.offset, Number(value), true);
    else ov.setUint8(f.offset, Number(value));
  }
  return out;
}
