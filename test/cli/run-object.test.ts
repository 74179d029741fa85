import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fixtureBytes } from '../support/object-fixtures.js';
import { compileBpfSource } from '../support/bpf-clang.js';
import { ipv4Packet } from '../support/packets.js';
import { fakeIo, tempDir, writeIn } from './support.js';

/**
 * a64jit run on real objects with maps and contexts, and a64jit show, in process on the
 * interpreter (the arm64 suite runs the same under the JIT: run-object.native.test.ts).
 */
const dir = tempDir('run-object');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const obj = (name: string): string => {
  const file = join(dir, `${name}.o`);
  writeFileSync(file, fixtureBytes(name));
  return file;
};
const cli = async (args: string[], stdin = '') => {
  const io = fakeIo(stdin);
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
};

describe('a64jit run with packets, contexts and maps', () => {
  it('XDP: --data-in / --data-out, --json with retval, data_out and every map', async () => {
    const prog = obj('xdp_filter');
    const pkt = writeIn(dir, 'pkt.bin', '');
    writeFileSync(pkt, ipv4Packet({ dport: 80 }));
    const out = join(dir, 'out.bin');
    const r = await cli(['run', '--interp', prog, '--data-in', pkt, '--data-out', out, '--repeat', '3', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ program: 'xdp_filter', type: 'xdp', engine: 'interpreter', retval: '1', retval_hex: '0x1', repeat: 3, printk: [] });
    expect(j.data_out).toBe(Buffer.from(ipv4Packet({ dport: 80 })).toString('hex'));
    expect(new Uint8Array(readFileSync(out))).toEqual(ipv4Packet({ dport: 80 }));
    expect(j.maps.verdicts.entries[1]).toEqual({ key: '01000000', value: '0300000000000000', key_btf: 1, value_btf: '3' });
    expect(typeof j.duration_ns).toBe('number');
    const text = await cli(['run', '--interp', prog, '--data-in', pkt]);
    expect(text).toEqual({ code: 0, stdout: '1 (0x1)\n', stderr: '' });
  });

  it('tc: --ctx-in / --ctx-out, --program, --map NAME=FILE (typed JSON), printk on stderr', async () => {
    const ctx = join(dir, 'ctx.bin');
    const c = new Uint8Array(192);
    new DataView(c.buffer).setUint32(8, 5, true);
    writeFileSync(ctx, c);
    const pkt = join(dir, 'tcpkt.bin');
    writeFileSync(pkt, ipv4Packet({ payload: new Uint8Array(80) }));
    const ctxOut = join(dir, 'ctx-out.bin');
    const r = await cli(['run', '--interp', obj('tc_fields'), '--program', 'tc_fields', '--data-in', pkt, '--ctx-in', ctx, '--ctx-out', ctxOut]);
    expect(r).toEqual({ code: 0, stdout: '2 (0x2)\n', stderr: '' });
    expect(readFileSync(ctxOut).readUInt32LE(8)).toBe(16);
    const routes = writeIn(dir, 'routes.json', JSON.stringify([{ key: { prefixlen: 16, addr: [10, 1, 0, 0] }, value: 2 }, { key: '080000000a000000', value: '01000000' }]));
    const route = await cli(['run', '--interp', obj('lpm_route'), '--program', 'route', '--data-in', pkt, '--map', `routes=${routes}`, '--json']);
    expect(route.code).toBe(0);
    const rj = JSON.parse(route.stdout);
    expect(rj.retval).toBe('101'); // 10.0.0.2: the /8 (hex entry), not the typed /16 for 10.1.0.0
    expect(rj.maps.routes.entries.map((e: { value_btf: number }) => e.value_btf).sort()).toEqual([1, 2]);
    const printk = await cli(['run', '--interp', obj('printk'), '--ctx-in', ctx]);
    expect(printk.stderr.split('\n').slice(0, 2)).toEqual(['hello 42', 'fd=0 hex=beef str=bpf']);
  });

  it('socket filters with LD_ABS from assembly with --type', async () => {
    const src = writeIn(dir, 'ldabs.s', 'r6 = r1\nr0 = *(u8 *)skb[9]\nexit\n');
    const pkt = join(dir, 'udp.bin');
    writeFileSync(pkt, ipv4Packet({ protocol: 17 }));
    expect((await cli(['run', '--interp', '--type', 'socket', src, '--data-in', pkt])).stdout).toBe('17 (0x11)\n');
    const plain = await cli(['run', '--interp', src, '--data-in', pkt]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/pc 1: legacy packet access \(LD\|ABS, LD\|IND\) needs a socket-buffer program type/);
  });

  it('bad input: the program, map, field or packet named, one line, exit 1', async () => {
    const unknown = await cli(['run', '--interp', obj('tc_fields'), '--program', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^a64jit run: .*tc_fields\.o: the object has no program 'nope' \(programs: tc_fields, tc_narrow, tc_push\)\n$/);
    const big = join(dir, 'big.bin');
    writeFileSync(big, new Uint8Array(4000));
    expect((await cli(['run', '--interp', obj('xdp_filter'), '--data-in', big])).stderr).toMatch(/data_in: a packet of 4000 bytes is larger than the maximum of 3520 for xdp/);
    const ctx = join(dir, 'len.bin');
    const c = new Uint8Array(192);
    c[0] = 1;
    writeFileSync(ctx, c);
    expect((await cli(['run', '--interp', obj('tc_fields'), '--data-in', big.replace('big', 'tcpkt'), '--ctx-in', ctx])).stderr).toMatch(/ctx_in field len: struct __sk_buff field len cannot be set by ctx_in/);
    const badCtx = writeFileSync(join(dir, 'badctx.c'), '');
    void badCtx;
    const bytes = compileBpfSource('#include <linux/bpf.h>\n__attribute__((section("xdp"), used)) int f(struct xdp_md *c) { return *(volatile unsigned short *)&c->data; }\n', { name: 'badctx' });
    writeFileSync(join(dir, 'badctx.o'), bytes);
    const access = await cli(['run', '--interp', join(dir, 'badctx.o'), '--data-in', big.replace('big', 'tcpkt')]);
    expect(access.stderr).toMatch(/^a64jit run: .*badctx\.o: pc 0: invalid bpf_context access off=0 size=2: struct xdp_md field data cannot be read with a 2-byte access \(allowed: 4\)\n$/);
    const rb = compileBpfSource('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nstruct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 5000); } rb SEC(".maps");\nSEC("xdp") int f(struct xdp_md *c) { return bpf_ringbuf_output(&rb, c, 0, 0); }\n', { name: 'rb' });
    writeFileSync(join(dir, 'rb.o'), rb);
    expect((await cli(['run', '--interp', join(dir, 'rb.o'), '--data-in', big.replace('big', 'tcpkt')])).stderr).toMatch(/map 'rb': ringbuf size \(max_entries\) 5000 is not a power-of-2 multiple of the page size/);
    const usage = await cli(['run', obj('xdp_filter'), '--type', 'bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown program type 'bogus'/);
  });
});

describe('a64jit show', () => {
  it('lists programs and maps with their BTF types; --json', async () => {
    const r = await cli(['show', obj('katran_lite')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/balancer_ingress\s+xdp \(xdp\)\s+xdp\s+\d+/);
    expect(r.stdout).toMatch(/stats\s+percpu_array\s+4 \(__u32\)\s+16 \(struct lb_stats\)\s+17\s+0x0/);
    const j = JSON.parse((await cli(['show', '--json', obj('tracer')])).stdout);
    expect(j.programs.map((p: { name: string; type: string }) => `${p.name}:${p.type}`)).toEqual(['trace_enter:tracepoint', 'trace_exit:tracepoint']);
    expect(j.maps.find((m: { name: string }) => m.name === 'events')).toMatchObject({ type: 'ringbuf', max_entries: 262144 });
    expect(j.maps.find((m: { name: string }) => m.name === '.rodata').variables.map((v: { name: string }) => v.name).sort()).toEqual(['slow_ns', 'targ_tgid', 'with_perf']);
    const unsupported = compileBpfSource('__attribute__((section("sk_msg"), used)) int f(void *c) { return 0; }\n', { name: 'skmsg' });
    writeFileSync(join(dir, 'skmsg.o'), unsupported);
    const u = await cli(['show', join(dir, 'skmsg.o')]);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/program 'f' in section 'sk_msg' is a BPF_PROG_TYPE_SK_MSG program, which a64jit does not run/);
  });
});
