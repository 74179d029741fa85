import { describe, expect, it } from 'vitest';
import {
  BpfContextError,
  analyzeProvenance,
  assembleLlvm,
  loadBpfObject,
  patchProgram,
  prepareProgram,
  programType,
  type BpfObject,
} from '../../src/bpf/index.js';
import { BpfRunInputError } from '../../src/runtime/contexts/index.js';
import { compileBpfSource } from '../support/bpf-clang.js';
import { runTyped } from '../support/interp-context.js';
import { ETH_P_ARP, ipv4Packet } from '../support/packets.js';
import { readFileSync } from 'node:fs';

const FIX = new URL('../fixtures/programs/', import.meta.url);
const objects = new Map<string, BpfObject>();
function fixture(name: string): BpfObject {
  let o = objects.get(name);
  if (!o) {
    o = loadBpfObject(compileBpfSource(readFileSync(new URL(`${name}.c`, FIX), 'utf8'), { name }));
    objects.set(name, o);
  }
  return o;
}
const prog = (file: string, name: string) => fixture(file).programs.find((p) => p.name === name)!.insns;
const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

describe('context conversion (convert_ctx_access) in the interpreter', () => {
  it('XDP: data/data_end become 64-bit pointers; a real TCP packet to port 80 is dropped', () => {
    const insns = prog('xdp_plain', 'xdp_port80');
    expect(runTyped(insns, 'xdp', { dataIn: ipv4Packet({ dport: 80 }) }).retval).toBe(1n); // XDP_DROP
    expect(runTyped(insns, 'xdp', { dataIn: ipv4Packet({ dport: 22 }) }).retval).toBe(2n); // XDP_PASS
    expect(runTyped(insns, 'xdp', { dataIn: ipv4Packet({ dport: 80, protocol: 17 }) }).retval).toBe(2n);
    expect(runTyped(insns, 'xdp', { dataIn: ipv4Packet({ ethType: ETH_P_ARP }) }).retval).toBe(2n);
    // cut inside the TCP header: the bounds check against data_end passes it
    expect(runTyped(insns, 'xdp', { dataIn: ipv4Packet({ dport: 80 }).slice(0, 40) }).retval).toBe(2n);
  });

  it('XDP: scalar fields and ctx_in (metadata length, ingress ifindex, rx queue)', () => {
    const insns = prog('xdp_plain', 'xdp_info');
    const pkt = ipv4Packet();
    expect(runTyped(insns, 'xdp', { dataIn: pkt }).retval).toBe(BigInt(pkt.length));
    const ctxIn = new Uint8Array(24);
    const v = new DataView(ctxIn.buffer);
    v.setUint32(0, 8, true); // 8 bytes of metadata
    v.setUint32(4, pkt.length, true);
    v.setUint32(12, 3, true);
    v.setUint32(16, 1, true);
    const r = runTyped(insns, 'xdp', { dataIn: pkt, ctxIn });
    expect(r.retval).toBe(BigInt(pkt.length - 8 + (3 << 16) + (1 << 24)));
    expect(r.dataOut).toEqual(pkt);
    expect([u32(r.ctxOut!, 0), u32(r.ctxOut!, 4), u32(r.ctxOut!, 12)]).toEqual([8, pkt.length, 3]);
    v.setUint32(4, 10, true);
    expect(() => runTyped(insns, 'xdp', { dataIn: pkt, ctxIn })).toThrow(/data_end: must be the packet size/);
  });

  it('tc: __sk_buff reads, writes (u16 fields keep 16 bits, queue_mapping guard) and cb[]', () => {
    const pkt = ipv4Packet({ payload: new Uint8Array(80) });
    const ctxIn = new Uint8Array(192);
    const v = new DataView(ctxIn.buffer);
    v.setUint32(8, 5, true); // mark
    v.setUint32(48 + 8, 11, true); // cb[2]
    v.setUint32(48 + 12, 31, true); // cb[3]
    v.setUint32(12, 3, true); // queue_mapping
    const r = runTyped(prog('tc_fields', 'tc_fields'), 'sched_cls', { dataIn: pkt, ctxIn });
    expect(r.retval).toBe(2n); // TC_ACT_SHOT: len > 100
    const out = r.ctxOut!;
    expect(u32(out, 48)).toBe(5); // cb[0] = old mark
    expect(u32(out, 52)).toBe(pkt.length + 3 * 1000 + 100000); // len + OTHERHOST * 1000 + ifindex 1
    expect(u32(out, 64)).toBe(42); // cb[4]
    expect(u32(out, 8)).toBe(16); // mark
    expect(u32(out, 32)).toBe(7); // priority
    expect(u32(out, 44)).toBe(0x2345); // tc_index
    expect(u32(out, 72)).toBe(0x0002); // tc_classid
    expect(u32(out, 12)).toBe(3); // queue_mapping unchanged by the 0xffff store
    expect(r.dataOut).toEqual(pkt);
  });

  it('tc: narrow loads read the same bytes as the kernel (little-endian), data as a pointer', () => {
    const pkt = ipv4Packet();
    const ctxIn = new Uint8Array(192);
    new DataView(ctxIn.buffer).setUint32(8, 0xa1b2c3d4, true);
    new DataView(ctxIn.buffer).setUint32(12, 0x77, true);
    const r = runTyped(prog('tc_fields', 'tc_narrow'), 'sched_cls', { dataIn: pkt, ctxIn });
    // m[0] = low half of mark, m[1] = high half, q[0] = low byte of queue_mapping (a u16 field)
    expect(r.retval).toBe(BigInt(((0xc3d4 << 16) | (0xa1b2 << 8) | pkt[0]! | (0x77 << 24)) >>> 0));
  });

  it('refuses ctx_in fields the packet decides and packets of the wrong size', () => {
    const insns = prog('tc_fields', 'tc_fields');
    const ctxIn = new Uint8Array(192);
    new DataView(ctxIn.buffer).setUint32(0, 99, true); // len
    expect(() => runTyped(insns, 'sched_cls', { dataIn: ipv4Packet(), ctxIn })).toThrow(BpfRunInputError);
    expect(() => runTyped(insns, 'sched_cls', { dataIn: ipv4Packet(), ctxIn })).toThrow(/field len cannot be set/);
    expect(() => runTyped(insns, 'sched_cls', { dataIn: new Uint8Array(10) })).toThrow(/shorter than the Ethernet header/);
    expect(() => runTyped(insns, 'sched_cls', { dataIn: new Uint8Array(5000) })).toThrow(/larger than the maximum of 3712/);
  });
});

describe('LD_ABS / LD_IND (RFC 9669 section 5.5) lowered for socket filters', () => {
  it('reads big-endian from the network header; out of bounds returns 0 from the program', () => {
    expect(runTyped(prog('socket_ldabs', 'ssh_only'), 'socket_filter', { dataIn: ipv4Packet({ dport: 22 }) }).retval).toBe(0xffff_ffffn);
    expect(runTyped(prog('socket_ldabs', 'ssh_only'), 'socket_filter', { dataIn: ipv4Packet({ dport: 80 }) }).retval).toBe(0n);
    expect(runTyped(prog('socket_ldabs', 'ssh_only'), 'socket_filter', { dataIn: ipv4Packet({ protocol: 17, dport: 22 }) }).retval).toBe(0n);
    expect(runTyped(prog('socket_ldabs', 'saddr'), 'socket_filter', { dataIn: ipv4Packet({ src: [10, 1, 2, 3] }) }).retval).toBe(0x0a010203n);
    expect(runTyped(prog('socket_ldabs', 'past_end'), 'socket_filter', { dataIn: ipv4Packet() }).retval).toBe(0n);
  });

  it('SKF_LL_OFF reaches the Ethernet header in the headroom; SKF_NET_OFF the IP header', () => {
    const asm = (body: string) => assembleLlvm(`r6 = r1\n${body}\nexit`);
    const pkt = ipv4Packet({ ttl: 99 });
    // ldabs via LLVM syntax: r0 = *(u16 *)skb[imm]
    expect(runTyped(asm('r0 = *(u16 *)skb[-2097140]'), 'socket_filter', { dataIn: pkt }).retval).toBe(0x0800n); // SKF_LL_OFF + 12
    expect(runTyped(asm('r0 = *(u8 *)skb[-1048568]'), 'socket_filter', { dataIn: pkt }).retval).toBe(99n); // SKF_NET_OFF + 8
    expect(runTyped(asm('r0 = *(u8 *)skb[-3000000]'), 'socket_filter', { dataIn: pkt }).retval).toBe(0n);
    expect(runTyped(asm('r7 = -2097152\nr0 = *(u8 *)skb[r7]'), 'socket_filter', { dataIn: pkt }).retval).toBe(BigInt(pkt[0]!));
    // LD_IND with an immediate: offset = (s32)(r7 + imm) = 0, the first word of the IP header
    const ldind = [...assembleLlvm('r6 = r1\nr7 = -4'), { code: 0x40, dst: 0, src: 7, off: 0, imm: 4 }, ...assembleLlvm('exit')];
    expect(runTyped(ldind, 'socket_filter', { dataIn: pkt }).retval).toBe(BigInt(0x45000000 | (pkt.length - 14)));
    // tc sees the packet from the Ethernet header
    expect(runTyped(asm('r0 = *(u16 *)skb[12]'), 'sched_cls', { dataIn: pkt }).retval).toBe(0x0800n);
  });

  it('is refused where the type does not define it, or when R6 is not the context', () => {
    const asm = (body: string) => assembleLlvm(`${body}\nexit`);
    expect(() => runTyped(asm('r6 = r1\nr0 = *(u8 *)skb[0]'), 'xdp', { dataIn: ipv4Packet() })).toThrow(/needs a socket-buffer program type/);
    expect(() => runTyped(asm('r6 = 0\nr0 = *(u8 *)skb[0]'), 'socket_filter', { dataIn: ipv4Packet() })).toThrow(/R6=ctx is expected/);
  });
});

describe('bpf_loop as a BPF loop around a callx of the callback', () => {
  it('runs the callback nr_loops times, stops when it returns 1, rejects bad arguments', () => {
    const ctxIn = (mark: number) => {
      const c = new Uint8Array(192);
      new DataView(c.buffer).setUint32(8, mark, true);
      return c;
    };
    const pkt = ipv4Packet();
    const n = pkt.length;
    const sq = (k: number) => (k * (k - 1) * (2 * k - 1)) / 6;
    const all = runTyped(prog('loop', 'loop_sum'), 'sched_cls', { dataIn: pkt, ctxIn: ctxIn(1000) });
    expect(all.retval).toBe(BigInt(sq(n) * 1000 + n));
    const stopped = runTyped(prog('loop', 'loop_sum'), 'sched_cls', { dataIn: pkt, ctxIn: ctxIn(10) });
    expect(stopped.retval).toBe(BigInt(sq(10) * 1000 + 11));
    expect(runTyped(prog('loop', 'loop_errors'), 'sched_cls', { dataIn: pkt, ctxIn: ctxIn(1) }).retval).toBe(3n);
    const prepared = prepareProgram(prog('loop', 'loop_sum'), { type: programType('sched_cls') });
    expect(prepared.rewrites.loops).toBe(1);
    expect(prepared.insns.some((i) => i.code === 0x8d)).toBe(true); // callx
  });
});

describe('array lookups inlined (array_map_gen_lookup)', () => {
  it('counts verdicts in the map values, out-of-range keys give NULL', () => {
    const obj = fixture('xdp_filter');
    const insns = obj.programs[0]!.insns;
    const layout = { valuesOffset: 64, elemSize: 8, maxEntries: 5 };
    const map = new Uint8Array(64 + 5 * 8);
    const run = (pkt: Uint8Array) => runTyped(insns, 'xdp', { dataIn: pkt }, { maps: [map], arrayLayout: () => layout });
    expect(run(ipv4Packet({ dport: 80 })).retval).toBe(1n);
    expect(run(ipv4Packet({ dport: 80 })).retval).toBe(1n);
    expect(run(ipv4Packet({ dport: 443 })).retval).toBe(2n);
    const counts = [0, 1, 2, 3, 4].map((i) => Number(new DataView(map.buffer).getBigUint64(64 + 8 * i, true)));
    expect(counts).toEqual([0, 2, 1, 0, 0]);
    const prepared = prepareProgram(insns, { type: programType('xdp'), arrayLayout: () => layout });
    expect(prepared.rewrites.inlinedLookups).toBeGreaterThan(0);
    expect(prepared.insns.some((i) => i.code === 0x85 && i.imm === 1)).toBe(false);
  });
});

describe('pointer provenance', () => {
  const xdp = programType('xdp');
  const facts = (src: string) => analyzeProvenance(assembleLlvm(src), { context: true });
  it('follows copies, constant adds and spills, across calls', () => {
    const f = facts('r2 = r1\n*(u64 *)(r10 - 8) = r2\nr3 = *(u64 *)(r10 - 8)\nr3 += 4\nr0 = *(u32 *)(r3 + 0)\nexit');
    expect(f.problems).toEqual([]);
    expect([...f.ctxAccesses]).toEqual([[4, { base: 4, offset: 4 }]]);
    const p = prepareProgram(assembleLlvm('r2 = r1\nr2 += 4\nr0 = *(u32 *)(r2 + 0)\nexit'), { type: xdp });
    expect(p.insns[2]).toMatchObject({ code: 0x79, off: 8 - 4 }); // u64 load of data_end at internal 8, base ctx+4
  });

  it('an access through "maybe the context" is an error naming the pc, never a guess', () => {
    const src = 'if r2 == 0 goto +1\nr1 = r10\nr0 = *(u32 *)(r1 - 4)\nexit';
    const err = (() => {
      try {
        prepareProgram(assembleLlvm(src), { type: xdp });
      } catch (e) {
        return e as BpfContextError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(BpfContextError);
    expect(err!.pc).toBe(2);
    expect(err!.message).toMatch(/cannot tell whether r1 points to the context/);
    expect(() => prepareProgram(assembleLlvm('r1 += r2\nr0 = *(u32 *)(r1 + 0)\nexit'), { type: xdp })).toThrow(/variable offset/);
    expect(() => prepareProgram(assembleLlvm('r2 = 0\n*(u64 *)(r2 + 0) = r1\nr0 = 0\nexit'), { type: xdp })).toThrow(/stored where the analysis cannot follow/);
    expect(() => prepareProgram(assembleLlvm('r0 = *(u16 *)(r1 + 0)\nexit'), { type: xdp })).toThrow(/invalid bpf_context access off=0 size=2/);
    expect(() => prepareProgram(assembleLlvm('*(u32 *)(r1 + 0) = 1\nr0 = 0\nexit'), { type: programType('sched_cls') })).toThrow(/BPF_ST stores into r1 ctx/);
  });

  it('a helper writing through a stack pointer invalidates only the bytes it writes', () => {
    const src = [
      '*(u64 *)(r10 - 8) = r1',
      'r1 = r10', 'r1 += -24', 'r2 = 16', 'r3 = 0', 'call 113',
      'r1 = *(u64 *)(r10 - 8)', 'r0 = *(u32 *)(r1 + 0)', 'exit',
    ].join('\n');
    expect(facts(src).problems).toEqual([]);
    const blind = src.replace('r2 = 16', 'r2 = r7');
    expect(facts(blind).problems[0]).toMatchObject({ pc: 7 });
  });
});

describe('patchProgram', () => {
  it('keeps jumps, calls and function addresses pointing at the same instructions', () => {
    const insns = assembleLlvm('if r1 == 0 goto +2\nr0 = 1\ncall 1\nr0 = 2\nexit');
    const p = patchProgram(insns, new Map([[1, [insns[1]!, insns[1]!, insns[1]!]]]));
    expect(p.insns[0]!.off).toBe(4);
    expect(p.origin).toEqual([0, 1, 1, 1, 2, 3, 4]);
  });
});
