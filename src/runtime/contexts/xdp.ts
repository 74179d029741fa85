import { SKB_SHARED_INFO_SIZE, XDP_INTERNAL as T, XDP_INTERNAL_SIZE, XDP_META_MAX, type ContextStruct, type ProgramType } from '../../bpf/index.js';
import { BpfRunInputError } from './errors.js';
import { getField, putField, readCtxIn, uapiValue, viewOf } from './fields.js';
import type { ContextBuilder, RunInput } from './index.js';

/**
 * An XDP frame for a test run, as bpf_prog_test_run_xdp builds it: a 4 KiB frame with
 * XDP_PACKET_HEADROOM (256) bytes of headroom and skb_shared_info at its end; the first
 * `ctx_in.data` bytes of data_in are metadata (at most 32, a multiple of 4), so data_meta
 * points at them and data right after; ctx_in's data_end must be the packet size and
 * data_meta and egress_ifindex 0. data_out runs from data_meta to data_end; ctx_out gives
 * data and data_end as offsets from data_meta.
 */
const FRAME = 4096;

export function xdpContext(type: ProgramType): ContextBuilder {
  const pkt = type.packet!;
  const ctx = type.context as ContextStruct;
  const check = (input: RunInput): { data: Uint8Array; uapi: Uint8Array; meta: number } => {
    const data = input.dataIn;
    if (data === undefined) throw new BpfRunInputError(`xdp programs need a packet (at least ${pkt.minSize} bytes)`, 'data_in');
    const max = input.maxPacket ?? pkt.maxSize;
    if (data.length < pkt.minSize) throw new BpfRunInputError(`a packet of ${data.length} bytes is shorter than the Ethernet header (${pkt.minSize} bytes)`, 'data_in');
    if (data.length > max) throw new BpfRunInputError(`a packet of ${data.length} bytes is larger than the maximum of ${max} for xdp (one 4 KiB frame; multi-buffer frames are not supported)`, 'data_in');
    const uapi = readCtxIn(ctx, input.ctxIn, type.ctxIn);
    const u = (name: string): bigint => uapiValue(ctx, uapi, name);
    let meta = 0;
    if (input.ctxIn !== undefined) {
      if (u('data_meta') !== 0n) throw new BpfRunInputError('must be 0 (the metadata starts the packet; give its length as data)', 'ctx_in', 'data_meta');
      if (u('data_end') !== BigInt(data.length)) throw new BpfRunInputError(`must be the packet size ${data.length}, is ${u('data_end')}`, 'ctx_in', 'data_end');
      meta = Number(u('data'));
      if (meta > data.length) throw new BpfRunInputError(`${meta} is past data_end`, 'ctx_in', 'data');
      if (meta > XDP_META_MAX || meta % 4 !== 0) throw new BpfRunInputError(`metadata of ${meta} bytes: at most ${XDP_META_MAX}, a multiple of 4`, 'ctx_in', 'data');
      if (u('egress_ifindex') !== 0n) throw new BpfRunInputError('must be 0 in a test run', 'ctx_in', 'egress_ifindex');
    }
    return { data, uapi, meta };
  };
  return {
    plan: (input) => {
      check(input);
      return { ctxSize: XDP_INTERNAL_SIZE, packetSize: FRAME };
    },
    build: (input, target) => {
      const { data, uapi, meta } = check(input);
      if (target.packet.length < FRAME) throw new RangeError(`xdp frame buffer of ${target.packet.length} bytes, need ${FRAME}`);
      target.packet.fill(0);
      const metaAt = pkt.headroom - meta;
      target.packet.set(data, metaAt);
      target.ctx.fill(0);
      const v = viewOf(target.ctx);
      const base = target.packetAddress;
      putField(v, T.data_hard_start, base);
      putField(v, T.data_hard_end, base + BigInt(FRAME - SKB_SHARED_INFO_SIZE));
      putField(v, T.data_meta, base + BigInt(metaAt));
      putField(v, T.data, base + BigInt(pkt.headroom));
      putField(v, T.data_end, base + BigInt(metaAt + data.length));
      putField(v, T.ingress_ifindex, uapiValue(ctx, uapi, 'ingress_ifindex'));
      putField(v, T.rx_queue_index, uapiValue(ctx, uapi, 'rx_queue_index'));
      return {
        r1: target.ctxAddress,
        r2: 0n,
        dataOut: () => {
          const from = Number(getField(v, T.data_meta) - base);
          const to = Number(getField(v, T.data_end) - base);
          return Uint8Array.from(target.packet.subarray(from, Math.max(from, to)));
        },
        ctxOut: () => {
          const out = new Uint8Array(ctx.size);
          const ov = viewOf(out);
          const metaPtr = getField(v, T.data_meta);
          ov.setUint32(0, Number(getField(v, T.data) - metaPtr), true);
          ov.setUint32(4, Number(getField(v, T.data_end) - metaPtr), true);
          ov.setUint32(12, Number(getField(v, T.ingress_ifindex)), true);
          ov.setUint32(16, Number(getField(v, T.rx_queue_index)), true);
          ov.setUint32(20, Number(getField(v, T.egress_ifindex)), true);
          return out;
        },
      };
    },
  };
}
