import { expect } from 'vitest';
import { addon } from '../../src/runtime/addon.js';
import { indexKey, LpmTrieMap, MapOfMaps, ProgArrayMap, RingbufMap, type PerfEventArrayMap } from '../../src/runtime/maps/index.js';
import type { BpfObjectFile, Engine, TestRunOptions, TestRunResult } from '../../src/object/index.js';
import { openFixture } from './object-fixtures.js';
import { checksum, ETH_P_ARP, ipv4Packet, onesSum } from './packets.js';

/**
 * The fixture programs' scenarios: what to set up, which runs to make, and what the results
 * must be (from the packets' and the helpers' documented semantics). The host suite runs them
 * in the interpreter; the arm64 suite runs each under the JIT and the interpreter, on two
 * fresh objects, and also requires equal results and equal final map contents.
 */
export interface Step {
  readonly program: string;
  readonly input?: Omit<TestRunOptions, 'engine'>;
  /** something to do before this run (fill a map slot, ...) */
  readonly before?: (obj: BpfObjectFile) => void;
}

export interface Scenario {
  readonly name: string;
  readonly fixture: string;
  readonly open?: Parameters<typeof openFixture>[1];
  /** before load (rodata) and after */
  readonly preload?: (obj: BpfObjectFile) => void;
  readonly setup?: (obj: BpfObjectFile) => void;
  readonly steps: readonly Step[];
  /** results of the steps, in order, and the object after them */
  readonly check: (results: readonly TestRunResult[], obj: BpfObjectFile, engine: Engine) => void;
  /** step results that legitimately differ between engines (time-dependent), compared as equal */
  readonly mask?: (r: TestRunResult) => TestRunResult;
}

const u32 = (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
const u64 = (b: Uint8Array, off = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
const le32 = (n: number) => indexKey(n);
const le64 = (n: bigint | number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
const be32 = (ip: readonly number[]) => Uint8Array.from(ip);
const skbCtx = (fields: Record<number, number>) => {
  const c = new Uint8Array(192);
  for (const [off, v] of Object.entries(fields)) new DataView(c.buffer).setUint32(Number(off), v, true);
  return c;
};
/** the IPv4 header at `at` sums (with its checksum) to 0xffff */
const ipChecksumOk = (p: Uint8Array, at: number) => onesSum(p.subarray(at, at + (p[at]! & 0xf) * 4)) === 0xffff;
/** a TCP/UDP checksum over the RFC 793 pseudo-header */
function l4ChecksumOk(p: Uint8Array, ip: number): boolean {
  const ihl = (p[ip]! & 0xf) * 4;
  const total = (p[ip + 2]! << 8) | p[ip + 3]!;
  const l4 = p.subarray(ip + ihl, ip + total);
  const pseudo = new Uint8Array(12 + l4.length);
  pseudo.set(p.subarray(ip + 12, ip + 20), 0);
  pseudo[9] = p[ip + 9]!;
  new DataView(pseudo.buffer).setUint16(10, l4.length);
  pseudo.set(l4, 12);
  return checksum(pseudo) === 0;
}

/** A NUL-terminated file name in this process's memory, kept alive, and its address. */
const names: Buffer[] = [];
function fileName(s: string): bigint {
  const b = Buffer.from(`${s}\0`);
  names.push(b);
  return addon().bufferAddress(b);
}
function sysEnter(fname: bigint, flags: number): Uint8Array {
  const c = new Uint8Array(64);
  const v = new DataView(c.buffer);
  v.setBigInt64(8, 257n, true);
  v.setBigUint64(16 + 8, fname, true);
  v.setBigUint64(16 + 16, BigInt(flags), true);
  return c;
}
function sysExit(ret: number): Uint8Array {
  const c = new Uint8Array(24);
  const v = new DataView(c.buffer);
  v.setBigInt64(8, 257n, true);
  v.setBigInt64(16, BigInt(ret), true);
  return c;
}

const tcp80 = ipv4Packet({ dport: 80 });
const tcp22 = ipv4Packet({ dport: 22 });

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'XDP filter: Ethernet/IPv4/TCP through data/data_end, drop port 80, verdicts in an array',
    fixture: 'xdp_filter',
    steps: [
      { program: 'xdp_filter', input: { dataIn: tcp80 } },
      { program: 'xdp_filter', input: { dataIn: tcp22 } },
      { program: 'xdp_filter', input: { dataIn: ipv4Packet({ protocol: 17, dport: 80 }) } },
      { program: 'xdp_filter', input: { dataIn: ipv4Packet({ ethType: ETH_P_ARP }) } },
      { program: 'xdp_filter', input: { dataIn: tcp80.slice(0, 40) } },
      { program: 'xdp_filter', input: { dataIn: tcp80, repeat: 5 } },
    ],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([1n, 2n, 2n, 2n, 2n, 1n]);
      expect(r[0]!.dataOut).toEqual(tcp80);
      const v = obj.maps.get('verdicts')!;
      expect([0, 1, 2].map((i) => u64(v.lookup(le32(i))!))).toEqual([0n, 6n, 4n]);
    },
  },
  {
    name: 'XDP adjust_head (IPIP encapsulation), adjust_meta, adjust_tail, csum_diff',
    fixture: 'xdp_adjust',
    steps: [
      { program: 'xdp_encap', input: { dataIn: tcp22 } },
      { program: 'xdp_meta', input: { dataIn: tcp22 } },
      { program: 'xdp_tail', input: { dataIn: ipv4Packet({ payload: new Uint8Array(46).fill(0xaa) }) } },
    ],
    check: (r) => {
      expect(r[0]!.retval).toBe(3n); // XDP_TX
      const out = r[0]!.dataOut!;
      expect(out.length).toBe(tcp22.length + 20);
      expect([...out.subarray(14, 16)]).toEqual([0x45, 0]);
      expect((out[16]! << 8) | out[17]!).toBe(tcp22.length - 14 + 20);
      expect(out[23]).toBe(4); // IPPROTO_IPIP
      expect([...out.subarray(26, 34)]).toEqual([192, 168, 0, 1, 192, 168, 0, 2]);
      expect(ipChecksumOk(out, 14)).toBe(true);
      expect(out.subarray(34)).toEqual(tcp22.subarray(14));
      expect(r[1]!.retval).toBe(3n);
      const meta = r[1]!.dataOut!;
      expect(u32(meta, 0)).toBe(0xfeedface);
      expect(u32(meta, 4)).toBe(tcp22.length);
      expect(meta.subarray(8)).toEqual(tcp22);
      expect(u32(r[1]!.ctxOut!, 0)).toBe(8); // ctx_out data: the metadata length
      expect(r[2]!.retval).toBe(64n + 1000n + 10000n);
      expect(r[2]!.dataOut!.length).toBe(64);
      expect([...r[2]!.dataOut!.subarray(60)]).toEqual([0, 0, 0, 0]);
    },
  },
  {
    name: 'tc: __sk_buff fields and cb[], narrow loads, bpf_skb_change_head',
    fixture: 'tc_fields',
    steps: [
      { program: 'tc_fields', input: { dataIn: ipv4Packet({ payload: new Uint8Array(80) }), ctxIn: skbCtx({ 8: 5, 56: 11, 60: 31, 12: 3 }) } },
      { program: 'tc_narrow', input: { dataIn: tcp22, ctxIn: skbCtx({ 8: 0xa1b2c3d4, 12: 0x77 }) } },
      { program: 'tc_push', input: { dataIn: tcp22 } },
    ],
    check: (r) => {
      expect(r[0]!.retval).toBe(2n);
      const c = r[0]!.ctxOut!;
      expect([u32(c, 48), u32(c, 64), u32(c, 8), u32(c, 32), u32(c, 44), u32(c, 72), u32(c, 12)]).toEqual([5, 42, 16, 7, 0x2345, 2, 3]);
      expect(r[1]!.retval).toBe(BigInt(((0xc3d4 << 16) | (0xa1b2 << 8) | tcp22[0]! | (0x77 << 24)) >>> 0));
      expect(r[2]!.retval).toBe(114n);
      expect([...r[2]!.dataOut!.subarray(0, 4)]).toEqual([0xde, 0xad, 0xbe, 0xef]);
      expect(r[2]!.dataOut!.subarray(4)).toEqual(tcp22);
    },
  },
  {
    name: 'hash-map flow counter, per-CPU hash, LRU eviction, NOEXIST/EXIST errors',
    fixture: 'flow_counter',
    steps: [
      { program: 'count_flow', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 2] }) } },
      { program: 'count_flow', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 2] }) } },
      { program: 'count_flow', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 3], protocol: 17, dport: 53 }) } },
      { program: 'count_flow', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 4], sport: 1234 }), cpu: 1 } },
      { program: 'count_flow', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 5], protocol: 1 }) } },
    ],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([0n, 0n, 0n, 0n, 0n]);
      const flows = obj.typed('flows');
      const entries = [...flows.entries()] as [Record<string, number>, Record<string, bigint>][];
      expect(entries.length).toBe(4);
      const a = entries.find(([k]) => k.daddr === 0x0200000a)!;
      expect(a[1]).toEqual({ packets: 2n, bytes: BigInt(2 * (tcp80.length)) });
      const res = obj.typed('results');
      expect([0, 1, 2, 3].map((i) => res.get(i))).toEqual([0n, -17n, -2n, -2n]);
      expect(obj.typed('per_proto').get(6)).toEqual([2n, 1n]);
      expect(obj.typed('per_proto').get(17)).toEqual([1n, 0n]);
      // LRU of 3: the first flow (touched last at the second run) was evicted by the fourth
      const recent = [...obj.typed('recent').entries()].map(([k]) => (k as Record<string, number>).daddr);
      expect(recent.sort()).toEqual([0x0300000a, 0x0400000a, 0x0500000a]);
      const dst = [...obj.typed('recent_dst').entries()].map(([k]) => k);
      expect((dst as number[]).sort()).toEqual([0x0400000a, 0x0500000a]);
    },
  },
  {
    name: 'LPM route lookup: the longest matching prefix gives the next hop',
    fixture: 'lpm_route',
    setup: (obj) => {
      const routes = obj.maps.get('routes')!;
      routes.update(LpmTrieMap.key(8, [10, 0, 0, 0]), le32(1));
      routes.update(LpmTrieMap.key(16, [10, 1, 0, 0]), le32(2));
      routes.update(LpmTrieMap.key(0, [0, 0, 0, 0]), le32(3));
    },
    steps: [
      { program: 'route', input: { dataIn: ipv4Packet({ dst: [10, 1, 2, 3] }) } },
      { program: 'route', input: { dataIn: ipv4Packet({ dst: [10, 9, 9, 9] }) } },
      { program: 'route', input: { dataIn: ipv4Packet({ dst: [8, 8, 8, 8] }) } },
      { program: 'route_admin', input: { dataIn: tcp22 } },
      { program: 'route', input: { dataIn: ipv4Packet({ dst: [172, 16, 5, 9] }) } },
      { program: 'route', input: { dataIn: ipv4Packet({ dst: [8, 8, 8, 8] }) }, before: (obj) => void obj.maps.get('routes')!.delete(LpmTrieMap.key(0, [0, 0, 0, 0])) },
    ],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([102n, 101n, 103n, 15n, 107n, 1n]);
      expect([1, 2, 3, 7].map((i) => u64(obj.maps.get('hits')!.lookup(le32(i))!))).toEqual([1n, 1n, 1n, 1n]);
    },
  },
  {
    name: 'tail calls: 33 at most, dispatch through a prog array filled by the object and by JavaScript',
    fixture: 'tailcall',
    steps: [
      { program: 'chain', input: { dataIn: tcp22 } },
      { program: 'dispatch', input: { dataIn: tcp22 } },
      { program: 'dispatch', input: { dataIn: ipv4Packet({ protocol: 17 }) } },
      { program: 'dispatch', input: { dataIn: ipv4Packet({ protocol: 17 }) }, before: (obj) => (obj.maps.get('jumps') as ProgArrayMap).set(17, obj.program('on_udp').tailCallTarget()) },
    ],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([33n, 1n, 99n, 2n]);
      expect(u32(r[1]!.ctxOut!, 48)).toBe(6);
      const counts = obj.maps.get('counts')!;
      expect([0, 1, 2, 3].map((i) => u64(counts.lookup(le32(i))!))).toEqual([34n, 1n, 1n, 1n]);
    },
  },
  {
    name: 'bpf_loop with a stack context, early stop and argument errors',
    fixture: 'loop',
    steps: [
      { program: 'loop_sum', input: { dataIn: tcp22, ctxIn: skbCtx({ 8: 1000 }) } },
      { program: 'loop_sum', input: { dataIn: tcp22, ctxIn: skbCtx({ 8: 10 }) } },
      { program: 'loop_errors', input: { dataIn: tcp22, ctxIn: skbCtx({ 8: 1 }) } },
    ],
    check: (r) => {
      const n = tcp22.length;
      const sq = (k: number) => (k * (k - 1) * (2 * k - 1)) / 6;
      expect(r.map((x) => x.retval)).toEqual([BigInt(sq(n) * 1000 + n), BigInt(sq(10) * 1000 + 11), 3n]);
    },
  },
  {
    name: 'socket filter with LD_ABS / LD_IND',
    fixture: 'socket_ldabs',
    steps: [
      { program: 'ssh_only', input: { dataIn: tcp22 } },
      { program: 'ssh_only', input: { dataIn: tcp80 } },
      { program: 'saddr', input: { dataIn: ipv4Packet({ src: [10, 1, 2, 3] }) } },
      { program: 'past_end', input: { dataIn: tcp22 } },
    ],
    check: (r) => expect(r.map((x) => x.retval)).toEqual([0xffff_ffffn, 0n, 0x0a010203n, 0n]),
  },
  {
    name: 'printk: bpf_trace_printk, bpf_trace_vprintk, bpf_snprintf',
    fixture: 'printk',
    steps: [{ program: 'say', input: { ctxIn: Uint8Array.from({ length: 24 }, (_, i) => (i === 16 ? 5 : 0)) } }],
    check: (r, obj) => {
      expect(r[0]!.printk).toEqual(['hello 42', 'fd=5 hex=beef str=bpf', '1 2 3 4 5', 'pad [   -7] [3   ] [z] %']);
      expect(r[0]!.retval).toBe(24n * 1000n + 1n);
      const line = (obj.maps.get('lines') as RingbufMap).consume()[0]!;
      expect(Buffer.from(line.subarray(0, 23)).toString()).toBe('n=5 b=ff q=a1b2c3d4e5f6');
      expect([...line.subarray(23)].every((b) => b === 0)).toBe(true);
    },
  },
  {
    name: 'the other helpers: clocks, random, current task, probe_read*, queue/stack, maps of maps, per-CPU, ringbuf query',
    fixture: 'helpers_misc',
    setup: (obj) => (obj.maps.get('outer_hash') as MapOfMaps).setMap(le32(1), obj.maps.get('in_b')!),
    steps: [{ program: 'misc', input: { prandomSeed: 7n } }, { program: 'misc', input: { cpu: 1, prandomSeed: 7n } }],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([0n, 0n]);
      const rep = obj.typed('out').get(0) as Record<string, bigint | number | string>;
      expect(BigInt(rep.pid_tgid as bigint) >> 32n).toBe(BigInt(process.pid));
      expect(rep.uid_gid).toBe((BigInt(process.getgid!()) << 32n) | BigInt(process.getuid!()));
      expect(typeof rep.comm === 'string' && rep.comm.length > 0).toBe(true);
      expect(rep).toMatchObject({ cpu: 1, clocks_ok: 15, rand_differs: 1, probe: 15, probe_str: 741, maps: 15, copied: 'hidden', rb_size: 8192n });
      expect(rep.queue).toBe(221); // second run: the queue held 2,3,4 and got 1 again
      expect(rep.stack).toBe(13); // second run: the stack held 1,2,3 and got 1 pushed again
      expect(u64(obj.maps.get('in_a')!.lookup(le32(1))!)).toBe(10n);
      expect(u64(obj.maps.get('in_b')!.lookup(le32(0))!)).toBe(14n);
      expect(obj.maps.get('per_cpu')!.lookupPerCpu(le32(0))!.map((v) => u64(v))).toEqual([1n, 2n]);
      expect((obj.maps.get('rb') as RingbufMap).consume().map((x) => u32(x))).toEqual([0, 1]);
    },
  },
  {
    name: 'libbpf-tools-style tracer: BTF maps, .rodata filter, ring buffer and perf events consumed from JavaScript',
    fixture: 'tracer',
    preload: (obj) => {
      obj.rodata!.set('targ_tgid', process.pid);
      obj.rodata!.set('with_perf', 1);
      // an hour: never reached, even by a loaded machine under qemu (the default 1 s was)
      obj.rodata!.set('slow_ns', 3_600_000_000_000n);
    },
    steps: [
      { program: 'trace_enter', input: { ctxIn: sysEnter(fileName('/etc/passwd'), 0x42) } },
      { program: 'trace_exit', input: { ctxIn: sysExit(3) } },
      { program: 'trace_enter', input: { ctxIn: sysEnter(fileName('/nonexistent'), 0) } },
      { program: 'trace_exit', input: { ctxIn: sysExit(-2) } },
      { program: 'trace_exit', input: { ctxIn: sysExit(4) } },
    ],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([0n, 0n, 0n, 0n, 0n]);
      const rb = obj.maps.get('events') as RingbufMap;
      const codec = obj.codec!;
      const eventType = obj.parsed.btf!.types.find((t) => t?.name === 'event')!.id;
      const events = rb.consume().map((e) => codec.decode(eventType, e) as Record<string, unknown>);
      expect(events.length).toBe(1);
      expect(events[0]).toMatchObject({ tgid: process.pid, ret: 3, flags: 0x42n, fname: '/etc/passwd', slow: 0, uid: process.getuid!() });
      const perf = (obj.maps.get('perf_events') as PerfEventArrayMap).consume();
      expect(perf.length).toBe(1);
      expect((codec.decode(eventType, perf[0]!.data) as Record<string, unknown>).fname).toBe('/etc/passwd');
      expect([...obj.maps.get('start')!.keys()].length).toBe(0);
      expect(obj.rodata!.get('targ_tgid')).toBe(process.pid);
    },
  },
  {
    name: 'katran-style XDP load balancer: VIP hash, per-CPU stats, LRU connection table, IPIP encap',
    fixture: 'katran_lite',
    setup: (obj) => {
      const vips = obj.typed('vip_map');
      vips.set({ vip: 0x6400000a, port: 0x5000, proto: 6 }, { flags: 0, vip_num: 2 });
      const ring = obj.typed('ch_rings');
      for (let i = 0; i < 4; i++) ring.set(2 * 4 + i, i % 2);
      obj.typed('reals').set(0, { dst: 0x0100010a, flags: 0 });
      obj.typed('reals').set(1, { dst: 0x0200010a, flags: 0 });
    },
    steps: [
      ...[40000, 40001, 40002, 40000].map((sport) => ({ program: 'balancer_ingress', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 100], sport }) } })),
      { program: 'balancer_ingress', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 7] }) } },
      { program: 'balancer_ingress', input: { dataIn: ipv4Packet({ dst: [10, 0, 0, 100], sport: 40003 }), cpu: 1 } },
    ],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([3n, 3n, 3n, 3n, 2n, 3n]);
      for (const x of [r[0]!, r[1]!, r[5]!]) {
        const out = x.dataOut!;
        expect(out[23]).toBe(4);
        expect(ipChecksumOk(out, 14)).toBe(true);
        expect([[10, 1, 0, 1], [10, 1, 0, 2]]).toContainEqual([...out.subarray(30, 34)]);
      }
      expect(r[3]!.dataOut).toEqual(r[0]!.dataOut); // the same flow goes to the same real
      const stats = obj.typed('stats');
      expect(stats.get(16)).toEqual([{ v1: 5n, v2: 0n }, { v1: 1n, v2: 0n }]);
      expect((stats.get(2) as { v1: bigint }[]).map((s) => s.v1)).toEqual([4n, 1n]);
      expect([...obj.maps.get('lru_cache')!.keys()].length).toBe(4);
    },
  },
  {
    name: 'cilium-style tc datapath: tail calls, policy hash, LRU conntrack, DNAT with store_bytes and csum_replace',
    fixture: 'cilium_lite',
    setup: (obj) => {
      const pol = obj.typed('policy');
      pol.set({ daddr: 0x0200000a, dport: 0x5000, proto: 6, pad: 0 }, { allow: 1, nat_addr: 0x0a00600a, nat_port: 0x901f, pad: 0, packets: 0n });
      pol.set({ daddr: 0x0200000a, dport: 0x3500, proto: 17, pad: 0 }, { allow: 1, nat_addr: 0, nat_port: 0, pad: 0, packets: 0n });
    },
    steps: [
      { program: 'from_container', input: { dataIn: ipv4Packet({ dport: 80, payload: Uint8Array.from([1, 2, 3, 4, 5]) }) } },
      { program: 'from_container', input: { dataIn: ipv4Packet({ dport: 80, sport: 50000 }) } },
      { program: 'from_container', input: { dataIn: ipv4Packet({ protocol: 17, dport: 53, payload: new Uint8Array(10) }) } },
      { program: 'from_container', input: { dataIn: ipv4Packet({ dport: 443 }) } },
      { program: 'from_container', input: { dataIn: ipv4Packet({ ethType: ETH_P_ARP }) } },
    ],
    check: (r, obj) => {
      expect(r.map((x) => x.retval)).toEqual([0n, 0n, 0n, 2n, 0n]);
      const nat = r[0]!.dataOut!;
      expect([...nat.subarray(30, 34)]).toEqual([10, 96, 0, 10]);
      expect((nat[36]! << 8) | nat[37]!).toBe(8080);
      expect(ipChecksumOk(nat, 14)).toBe(true);
      expect(l4ChecksumOk(nat, 14)).toBe(true);
      expect(u32(r[0]!.ctxOut!, 8)).toBe(0x4e4154);
      expect(u32(r[0]!.ctxOut!, 56)).toBe(1); // cb[2]: the stage's verdict
      expect(l4ChecksumOk(r[2]!.dataOut!, 14)).toBe(true);
      expect(r[2]!.dataOut).toEqual(ipv4Packet({ protocol: 17, dport: 53, payload: new Uint8Array(10) }));
      const packets = [...obj.typed('policy').entries()].map(([, v]) => (v as { packets: bigint }).packets).sort();
      expect(packets).toEqual([1n, 2n]);
      expect([...obj.maps.get('conntrack')!.keys()].length).toBe(3);
    },
  },
];

/** Open, set up and run one scenario on one engine. */
export function runScenario(s: Scenario, engine: Engine): { results: TestRunResult[]; obj: BpfObjectFile } {
  const obj = openFixture(s.fixture, s.open);
  s.preload?.(obj);
  obj.load();
  s.setup?.(obj);
  const results: TestRunResult[] = [];
  for (const step of s.steps) {
    step.before?.(obj);
    results.push(obj.program(step.program).testRun({ ...step.input, engine }));
  }
  return { results, obj };
}

export { le32, le64, be32 };
