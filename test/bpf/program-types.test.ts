import { describe, expect, it } from 'vitest';
import { loadBpfObject } from '../../src/bpf/elf-loader.js';
import {
  KPROBE_CONTEXT,
  PERF_EVENT_CONTEXT,
  PROGRAM_TYPES,
  SKB_INTERNAL,
  SKB_INTERNAL_SIZE,
  XDP_CONTEXT,
  XDP_INTERNAL,
  XDP_INTERNAL_SIZE,
  checkContextAccess,
  hasStruct,
  parseProgramType,
  programType,
  sectionProgramType,
  skbContext,
  type ContextStruct,
} from '../../src/bpf/program-types/index.js';
import { compileBpfSource } from '../support/bpf-clang.js';

/** offsetof/sizeof of each named member, as clang-22 lays the struct out for -target bpf. */
function clangLayout(include: string, struct: string, members: readonly string[], includes: readonly string[] = []): { offsets: number[]; sizes: number[]; total: number } {
  const src = `#include <${include}>\n#include <stddef.h>\n` +
    `unsigned int offs[] = { ${members.map((m) => `offsetof(${struct}, ${m})`).join(', ')} };\n` +
    `unsigned int sizes[] = { ${members.map((m) => `sizeof(((${struct} *)0)->${m})`).join(', ')} };\n` +
    `unsigned int total = sizeof(${struct});\n`;
  const obj = loadBpfObject(compileBpfSource(src, { includes }));
  const data = obj.data.find((d) => d.name === '.data')!.bytes;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = members.length;
  const at = (i: number) => v.getUint32(4 * i, true);
  return { offsets: members.map((_, i) => at(i)), sizes: members.map((_, i) => at(n + i)), total: at(2 * n) };
}

/** Member expressions for C: `cb` for arrays, `regs[3]` stays as is. */
const members = (ctx: ContextStruct): string[] => ctx.fields.map((f) => f.name);

describe('context layouts match the uapi headers (clang-22 offsetof)', () => {
  it('struct __sk_buff', () => {
    const ctx = skbContext('tc');
    const got = clangLayout('linux/bpf.h', 'struct __sk_buff', members(ctx));
    expect(got.offsets).toEqual(ctx.fields.map((f) => f.offset));
    expect(got.sizes).toEqual(ctx.fields.map((f) => f.size));
    expect(got.total).toBe(ctx.size);
  });

  it('struct xdp_md', () => {
    const got = clangLayout('linux/bpf.h', 'struct xdp_md', members(XDP_CONTEXT));
    expect(got.offsets).toEqual(XDP_CONTEXT.fields.map((f) => f.offset));
    expect(got.sizes).toEqual(XDP_CONTEXT.fields.map((f) => f.size));
    expect(got.total).toBe(XDP_CONTEXT.size);
  });

  it('arm64 struct user_pt_regs (kprobe) and bpf_perf_event_data', () => {
    const arm64 = ['/usr/aarch64-linux-gnu/include'];
    const got = clangLayout('asm/ptrace.h', 'struct user_pt_regs', members(KPROBE_CONTEXT), arm64);
    expect(got.offsets).toEqual(KPROBE_CONTEXT.fields.map((f) => f.offset));
    expect(got.total).toBe(KPROBE_CONTEXT.size);
    const pe = clangLayout('asm/ptrace.h', 'struct { struct user_pt_regs regs; unsigned long long sample_period; unsigned long long addr; }', ['sample_period', 'addr'], arm64);
    expect(pe.offsets).toEqual(PERF_EVENT_CONTEXT.fields.slice(-2).map((f) => f.offset));
    expect(pe.total).toBe(PERF_EVENT_CONTEXT.size);
  });

  it('internal structs: fields are disjoint, aligned and inside the struct', () => {
    for (const [fields, size] of [[SKB_INTERNAL, SKB_INTERNAL_SIZE], [XDP_INTERNAL, XDP_INTERNAL_SIZE]] as const) {
      const spans = Object.entries(fields).map(([name, t]) => ({ name, start: t.offset, end: t.offset + (name === 'cb' ? 20 : t.size), size: t.size }));
      for (const s of spans) {
        expect(s.start % s.size, s.name).toBe(0);
        expect(s.end).toBeLessThanOrEqual(size);
        for (const o of spans) if (o !== s) expect(s.end <= o.start || o.end <= s.start, `${s.name} / ${o.name}`).toBe(true);
      }
    }
  });
});

describe('context access rules (net/core/filter.c is_valid_access)', () => {
  const xdp = programType('xdp');
  const tc = programType('sched_cls');
  const sock = programType('socket_filter');
  const cg = programType('cgroup_skb');
  const ok = (t = tc, offset = 0, size: 1 | 2 | 4 | 8 = 4, write = false, extra: { attach?: string; signed?: boolean } = {}) => checkContextAccess(t, { offset, size, write, ...extra }).ok;

  it('xdp_md: 4-byte reads only; egress_ifindex only for devmap programs', () => {
    expect(ok(xdp, 0, 4)).toBe(true);
    expect(ok(xdp, 0, 2)).toBe(false);
    expect(ok(xdp, 0, 8)).toBe(false);
    expect(ok(xdp, 0, 4, true)).toBe(false);
    expect(ok(xdp, 20, 4)).toBe(false);
    expect(ok(xdp, 20, 4, false, { attach: 'xdp_devmap' })).toBe(true);
    expect(ok(xdp, 24, 4)).toBe(false);
    const r = checkContextAccess(xdp, { offset: 2, size: 2, write: false });
    expect(r.ok ? '' : r.message).toBe('invalid bpf_context access off=2 size=2');
  });

  it('__sk_buff: narrow reads of u32 fields, full-width writes, cb[] any size, data only as u32', () => {
    expect(ok(tc, 8, 1) && ok(tc, 9, 1) && ok(tc, 10, 2)).toBe(true); // mark, narrow
    expect(ok(tc, 9, 2)).toBe(false); // unaligned
    expect(ok(tc, 8, 4, true)).toBe(true); // mark write
    expect(ok(tc, 8, 2, true)).toBe(false);
    expect(ok(tc, 0, 4, true)).toBe(false); // len is read-only
    expect(ok(tc, 48, 8) && ok(tc, 56, 8, true) && ok(tc, 49, 1, true)).toBe(true); // cb
    expect(ok(tc, 64, 8)).toBe(false); // past cb[4]
    expect(ok(tc, 76, 4) && !ok(tc, 76, 2)).toBe(true); // data
    expect(ok(tc, 76, 4, false, { signed: true })).toBe(false);
    expect(ok(tc, 88, 4)).toBe(false); // family: sk_skb only
    expect(ok(tc, 181, 1)).toBe(false); // padding
    expect(ok(tc, 180, 1)).toBe(true); // tstamp_type
  });

  it('per-type rules: socket filters see no packet pointers and write only cb[]', () => {
    expect(ok(sock, 76, 4)).toBe(false);
    expect(ok(sock, 8, 4, true)).toBe(false);
    expect(ok(sock, 48, 4, true)).toBe(true);
    expect(ok(sock, 72, 4)).toBe(false); // tc_classid
    expect(ok(cg, 76, 4) && ok(cg, 80, 4)).toBe(true);
    expect(ok(cg, 140, 4)).toBe(false); // data_meta
    expect(ok(cg, 8, 4, true) && !ok(cg, 44, 4, true)).toBe(true); // mark yes, tc_index no
  });

  it('tracing contexts are read-only; tracepoints hide the 8-byte common header', () => {
    expect(ok(programType('kprobe'), 0, 8) && ok(programType('kprobe'), 4, 4)).toBe(true);
    expect(ok(programType('kprobe'), 0, 8, true)).toBe(false);
    expect(ok(programType('kprobe'), 272, 8)).toBe(false);
    expect(ok(programType('tracepoint'), 0, 8)).toBe(false);
    expect(ok(programType('tracepoint'), 8, 4)).toBe(true);
    expect(ok(programType('tracing'), 8, 4) && !ok(programType('tracing'), 12, 4)).toBe(true);
    expect(ok(programType('perf_event'), 0, 4)).toBe(false);
  });

  it('every field of every type has a target unless its context is raw', () => {
    for (const t of PROGRAM_TYPES) {
      if (!hasStruct(t.context)) continue;
      for (const f of t.context.fields) {
        if (t.context.internal === 'raw') expect(f.target).toBeUndefined();
        else if (f.read.length > 0 || f.write.length > 0) expect(f.target, `${t.name}.${f.name}`).toBeDefined();
        if (f.target) expect(f.kind === 'scalar' || f.target.size === 8, `${t.name}.${f.name}`).toBe(true);
      }
    }
  });
});

describe('section names (libbpf conventions)', () => {
  const typeOf = (s: string) => {
    const m = sectionProgramType(s);
    return m.kind === 'type' ? `${m.type}${m.attach ? `:${m.attach}` : ''}${m.target ? ` ${m.target}` : ''}` : m.kind;
  };
  it('picks the type and attach target libbpf would', () => {
    expect(typeOf('xdp')).toBe('xdp:xdp');
    expect(typeOf('xdp/devmap')).toBe('xdp:xdp_devmap');
    expect(typeOf('tc')).toBe('sched_cls');
    expect(typeOf('classifier')).toBe('sched_cls');
    expect(typeOf('tc/ingress')).toBe('sched_cls:tcx_ingress');
    expect(typeOf('socket')).toBe('socket_filter');
    expect(typeOf('cgroup_skb/egress')).toBe('cgroup_skb:cgroup_inet_egress');
    expect(typeOf('kprobe/do_sys_openat2')).toBe('kprobe do_sys_openat2');
    expect(typeOf('kretprobe/vfs_read')).toBe('kprobe vfs_read');
    expect(typeOf('uprobe//bin/bash:readline')).toBe('kprobe /bin/bash:readline');
    expect(typeOf('tp/syscalls/sys_enter_openat')).toBe('tracepoint syscalls/sys_enter_openat');
    expect(typeOf('tracepoint/sched/sched_switch')).toBe('tracepoint sched/sched_switch');
    expect(typeOf('raw_tp/sched_switch')).toBe('raw_tracepoint sched_switch');
    expect(typeOf('fentry/do_unlinkat')).toBe('tracing:trace_fentry do_unlinkat');
    expect(typeOf('perf_event')).toBe('perf_event');
    expect(typeOf('.text')).toBe('none');
    expect(typeOf('kprobeX')).toBe('none'); // "kprobe+" needs end of name or '/'
    expect(typeOf('tcx')).toBe('none');
    expect(sectionProgramType('sk_msg')).toMatchObject({ kind: 'unsupported', kernelType: 'BPF_PROG_TYPE_SK_MSG' });
    expect(sectionProgramType('cgroup/connect4')).toMatchObject({ kind: 'unsupported' });
  });

  it('--type accepts type names, kernel names, aliases and section names', () => {
    expect(parseProgramType('xdp')).toEqual({ type: 'xdp' });
    expect(parseProgramType('BPF_PROG_TYPE_SCHED_CLS')).toEqual({ type: 'sched_cls' });
    expect(parseProgramType('tc')).toEqual({ type: 'sched_cls' });
    expect(parseProgramType('fentry')).toEqual({ type: 'tracing', attach: 'trace_fentry' });
    expect(parseProgramType('cgroup_skb/egress')).toEqual({ type: 'cgroup_skb', attach: 'cgroup_inet_egress' });
    expect(parseProgramType('kprobe/foo')).toEqual({ type: 'kprobe' });
    expect(parseProgramType('nonsense')).toBeUndefined();
  });
});
