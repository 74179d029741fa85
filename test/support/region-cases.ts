import { expect } from 'vitest';
import { BpfSandboxError } from '../../src/bpf/index.js';
import { openObject, type Engine } from '../../src/object/index.js';
import { compileBpfSource } from './bpf-clang.js';

/**
 * Exact run-time regions (issue 10): the packet is [data, data_end), its metadata
 * [data_meta, data), both following the helpers that move them; packets are read-only for
 * types that may not write them directly; a map value is exactly value_size bytes. Each
 * program below goes one byte (or one element) outside what the kernel would allow, and
 * must stop with a BpfSandboxError under the sandbox in the engine given; `fine` programs
 * are the correct neighbours and must run. Shared by the host test (interpreter) and the
 * native test (JIT under qemu): sandbox-regions.test.ts, sandbox-regions.native.test.ts.
 */
export const REGION_SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct twelve { __u32 a, b, c; };

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, struct twelve);
} arr SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} hash SEC(".maps");

#define LOAD(T, p) (*(volatile T *)(p))

/* 1 byte past data_end (inside the frame's tail room) */
SEC("xdp") int past_data_end(struct xdp_md *ctx) {
  unsigned char *end = (void *)(long)ctx->data_end;
  return LOAD(unsigned char, end);
}
/* 1 byte before data (inside the head room) */
SEC("xdp") int before_data(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data;
  return LOAD(unsigned char, data - 1);
}
/* 1 byte before data_meta */
SEC("xdp") int before_meta(struct xdp_md *ctx) {
  unsigned char *meta = (void *)(long)ctx->data_meta;
  return LOAD(unsigned char, meta - 1);
}
/* 2 bytes at data - 1: from the metadata into the packet */
SEC("xdp") int meta_into_data(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data;
  return LOAD(unsigned short, data - 1);
}
/* the metadata's last byte and the packet's last byte */
SEC("xdp") int fine_edges(struct xdp_md *ctx) {
  unsigned char *meta = (void *)(long)ctx->data_meta;
  unsigned char *data = (void *)(long)ctx->data;
  unsigned char *end = (void *)(long)ctx->data_end;
  return LOAD(unsigned char, meta) + LOAD(unsigned char, data - 1) + LOAD(unsigned char, end - 1) + LOAD(unsigned char, data);
}
/* after bpf_xdp_adjust_head(+14) the old first byte lies before data */
SEC("xdp") int after_adjust_head(struct xdp_md *ctx) {
  unsigned char *old = (void *)(long)ctx->data;
  if (bpf_xdp_adjust_head(ctx, 14)) return 0;
  return LOAD(unsigned char, old);
}
/* after bpf_xdp_adjust_tail(-10) the old last byte lies past data_end */
SEC("xdp") int after_adjust_tail(struct xdp_md *ctx) {
  unsigned char *end = (void *)(long)ctx->data_end;
  if (bpf_xdp_adjust_tail(ctx, -10)) return 0;
  return LOAD(unsigned char, end - 1);
}
/* bpf_xdp_adjust_head(-14) grows the packet: its new first byte may be written */
SEC("xdp") int fine_grown_head(struct xdp_md *ctx) {
  unsigned char *old = (void *)(long)ctx->data;
  if (bpf_xdp_adjust_head(ctx, -14)) return 0;
  *(volatile unsigned char *)(old - 14) = 0x5a;
  return LOAD(unsigned char, old - 14);
}
/* bpf_xdp_adjust_meta(-4) makes 4 bytes of metadata */
SEC("xdp") int fine_new_meta(struct xdp_md *ctx) {
  if (bpf_xdp_adjust_meta(ctx, -4)) return 0;
  unsigned char *meta = (void *)(long)ctx->data_meta;
  *(volatile __u32 *)meta = 7;
  return LOAD(__u32, meta);
}
/* cgroup skb programs may read the packet directly, not write it */
SEC("cgroup_skb/ingress") int write_read_only_packet(struct __sk_buff *skb) {
  unsigned char *data = (void *)(long)skb->data;
  *(volatile unsigned char *)data = 1;
  return 1;
}
SEC("cgroup_skb/ingress") int fine_read_packet(struct __sk_buff *skb) {
  unsigned char *data = (void *)(long)skb->data;
  return LOAD(unsigned char, data) == 0x45;
}
static struct twelve *elem(__u32 k) { return bpf_map_lookup_elem(&arr, &k); }
/* element 0's padding (value_size 12, 16 bytes apart) */
SEC("xdp") int array_padding(struct xdp_md *ctx) {
  struct twelve *v = elem(0);
  if (!v) return 0;
  return LOAD(__u32, (char *)v + 12);
}
/* 8 bytes from element 1's end into element 2 */
SEC("xdp") int array_cross(struct xdp_md *ctx) {
  struct twelve *v = elem(1);
  if (!v) return 0;
  return LOAD(__u64, (char *)v + 8);
}
/* one element past the last */
SEC("xdp") int array_past_last(struct xdp_md *ctx) {
  struct twelve *v = elem(3);
  if (!v) return 0;
  return LOAD(__u32, (char *)v + 16);
}
SEC("xdp") int fine_array(struct xdp_md *ctx) {
  struct twelve *v = elem(3);
  if (!v) return 0;
  v->c = 5;
  return LOAD(__u32, &v->c) + LOAD(__u64, v);
}
/* a hash map value of 4 bytes, read as 8 */
SEC("xdp") int hash_past_value(struct xdp_md *ctx) {
  __u32 k = 1, one = 1;
  bpf_map_update_elem(&hash, &k, &one, BPF_ANY);
  __u32 *v = bpf_map_lookup_elem(&hash, &k);
  if (!v) return 0;
  return LOAD(__u64, v);
}
SEC("xdp") int fine_hash(struct xdp_md *ctx) {
  __u32 k = 1, one = 41;
  bpf_map_update_elem(&hash, &k, &one, BPF_ANY);
  __u32 *v = bpf_map_lookup_elem(&hash, &k);
  if (!v) return 0;
  return LOAD(__u32, v) + 1;
}
char LICENSE[] SEC("license") = "GPL";
`;

export interface RegionCase {
  readonly program: string;
  /** the error's message, or the R0 of a correct program */
  readonly expect: RegExp | bigint;
  readonly access?: 'read' | 'write';
  /** bytes of XDP metadata in front of the packet */
  readonly meta?: number;
}

/** An IPv4-looking packet of 64 bytes (0x45 first for the cgroup skb programs' network header). */
export const PACKET = Uint8Array.from({ length: 64 }, (_, i) => (i === 14 ? 0x45 : i + 1));

export const REGION_CASES: readonly RegionCase[] = [
  { program: 'past_data_end', expect: /0 bytes past the end of packet 'packet'/, access: 'read' },
  { program: 'before_data', expect: /1 bytes below packet 'packet'/, access: 'read' },
  { program: 'before_meta', expect: /1 bytes below packet 'packet metadata'/, access: 'read', meta: 8 },
  { program: 'meta_into_data', expect: /out-of-bounds read of 2 bytes/, access: 'read', meta: 8 },
  { program: 'fine_edges', expect: BigInt(0xee + 0xee + PACKET[PACKET.length - 1]! + PACKET[0]!), meta: 8 },
  { program: 'after_adjust_head', expect: /below packet 'packet'/, access: 'read' },
  { program: 'after_adjust_tail', expect: /9 bytes past the end of packet 'packet'/, access: 'read' },
  { program: 'fine_grown_head', expect: 0x5an },
  { program: 'fine_new_meta', expect: 7n },
  { program: 'write_read_only_packet', expect: /read-only region 'packet'/, access: 'write' },
  { program: 'fine_read_packet', expect: 1n },
  { program: 'array_padding', expect: /0 bytes past the end of element 0 \(12 bytes, 16 apart\) of map_value 'map 'arr' values'/, access: 'read' },
  { program: 'array_cross', expect: /element 1 \(12 bytes, 16 apart\).*4 of its bytes lie past the element's end/, access: 'read' },
  { program: 'array_past_last', expect: /past the end of map_value 'map 'arr' values'/, access: 'read' },
  { program: 'fine_array', expect: 5n },
  { program: 'hash_past_value', expect: /element \d+ \(4 bytes, 8 apart\).*4 of its bytes lie past the element's end/, access: 'read' },
  { program: 'fine_hash', expect: 42n },
];

let compiled: Uint8Array | undefined;

/** Run one case under the sandbox in `engine` and check what it must do. */
export function checkRegionCase(c: RegionCase, engine: Engine): BpfSandboxError | bigint {
  compiled ??= compileBpfSource(REGION_SOURCE, { name: 'regions' });
  // the run-time checks alone (the sandbox's analysis would refuse most of these at load)
  const obj = openObject(compiled, { name: 'regions.o', sandbox: true, sandboxAnalysis: false });
  try {
    const meta = c.meta ?? 0;
    const ctxIn = new Uint8Array(24);
    new DataView(ctxIn.buffer).setUint32(0, meta, true);
    new DataView(ctxIn.buffer).setUint32(4, PACKET.length, true);
    const program = obj.program(c.program);
    const xdp = program.type.name === 'xdp';
    const dataIn = xdp && c.meta !== undefined ? Uint8Array.from([...new Uint8Array(meta).fill(0xee), ...PACKET]) : PACKET;
    if (xdp && c.meta !== undefined) new DataView(ctxIn.buffer).setUint32(4, dataIn.length, true);
    let result: bigint | BpfSandboxError;
    try {
      result = program.testRun({ dataIn, engine, ...(xdp && c.meta !== undefined ? { ctxIn } : {}) }).retval;
    } catch (e) {
      if (!(e instanceof BpfSandboxError)) throw e;
      result = e;
    }
    if (typeof c.expect === 'bigint') {
      expect(result, `${c.program} (${engine}) runs`).not.toBeInstanceOf(BpfSandboxError);
      expect(result, `${c.program} (${engine})`).toBe(c.expect);
    } else {
      expect(result, `${c.program} (${engine}) stops`).toBeInstanceOf(BpfSandboxError);
      const e = result as BpfSandboxError;
      expect(e.message, `${c.program} (${engine})`).toMatch(c.expect);
      expect(e.access).toBe(c.access);
    }
    return result;
  } finally {
    obj.close();
  }
}
