import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HELPER_ID_COUNT, HELPER_NAMES, HELPER_PROTOS, helperIdByName, helperName, helpersForProgramType, isMemoryArg } from '../../src/bpf/helper-protos.js';
import { MAP_TYPES } from '../../src/bpf/maps.js';
import { PROGRAM_TYPE_NAMES } from '../../src/bpf/program-types/index.js';

const UAPI = '/usr/include/linux/bpf.h';
const LIBBPF_DEFS = '/usr/include/bpf/bpf_helper_defs.h';

function need(path: string, pkg: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: install ${pkg} (npm run setup); CI has it`);
  return readFileSync(path, 'utf8');
}

/** libbpf's declarations: id -> { name, params } from `static long (*bpf_x)(args) = (void *) N;`. */
function libbpfDecls(): Map<number, { name: string; params: string[] }> {
  const out = new Map<number, { name: string; params: string[] }>();
  const re = /\(\*bpf_([a-z0-9_]+)\)\(([^)]*)\) = \(void \*\) (\d+);/g;
  for (const m of need(LIBBPF_DEFS, 'libbpf-dev').matchAll(re)) {
    const params = m[2]!.trim() === 'void' ? [] : m[2]!.split(',').map((p) => p.trim()).filter((p) => p !== '...');
    out.set(Number(m[3]), { name: m[1]!, params: params.map((p) => /([A-Za-z0-9_]+)$/.exec(p)![1]!) });
  }
  return out;
}

/** The helpers issue 9 asks for, by id. */
const REQUIRED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 25, 26, 28, 43, 44, 45, 54, 65, 87, 88, 89, 112, 113, 114, 115, 125, 130, 131, 132, 133, 134, 160, 165, 177, 181];

describe('helper names', () => {
  it('are the kernel uapi __BPF_FUNC_MAPPER order, then libbpf for the newest ids', () => {
    const uapi = need(UAPI, 'linux-libc-dev');
    const mapper = uapi.slice(uapi.indexOf('#define ___BPF_FUNC_MAPPER') >= 0 ? uapi.indexOf('#define ___BPF_FUNC_MAPPER') : uapi.indexOf('#define __BPF_FUNC_MAPPER'));
    const names = [...mapper.slice(0, mapper.indexOf('/* */')).matchAll(/FN\(([a-z0-9_]+)/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(200);
    expect(HELPER_NAMES.slice(0, names.length)).toEqual(names);
    for (const [id, d] of libbpfDecls()) expect(HELPER_NAMES[id], `id ${id}`).toBe(d.name);
    expect(HELPER_ID_COUNT).toBe(212);
  });

  it('format for listings and resolve back', () => {
    expect(helperName(5)).toBe('bpf_ktime_get_ns');
    expect(helperName(0)).toBe('helper#0');
    expect(helperName(9999)).toBe('helper#9999');
    expect(helperIdByName('bpf_ringbuf_reserve')).toBe(131);
    expect(helperIdByName('loop')).toBe(181);
    expect(helperIdByName('unspec')).toBeUndefined();
  });
});

describe('helper prototypes', () => {
  it('cover every helper the issue lists', () => {
    for (const id of REQUIRED) expect(HELPER_PROTOS.has(id), helperName(id)).toBe(true);
  });

  it("match libbpf's C declarations (parameter count and names)", () => {
    const decls = libbpfDecls();
    for (const p of HELPER_PROTOS.values()) {
      const d = decls.get(p.id)!;
      expect(d.name).toBe(p.name);
      // trace_printk is variadic in C; the kernel prototype has 5 arguments.
      expect(p.args.slice(0, d.params.length).map((a) => a.name), p.name).toEqual(d.params);
      if (p.name !== 'trace_printk') expect(p.args.length, p.name).toBe(d.params.length);
      expect(p.args.length).toBeLessThanOrEqual(5);
    }
  });

  it('size, map and callback references point at arguments of the right kind', () => {
    for (const p of HELPER_PROTOS.values()) {
      p.args.forEach((a, i) => {
        const at = (n: number) => p.args[n - 1];
        if (a.kind === 'ARG_PTR_TO_MEM') {
          expect(a.sizeArg, `${p.name} ${a.name}`).toBeDefined();
          const size = at(a.sizeArg!)!;
          expect(['ARG_CONST_SIZE', 'ARG_CONST_SIZE_OR_ZERO']).toContain(size.kind);
          expect(size.sizeOf, `${p.name} ${size.name}`).toBe(i + 1);
        }
        if (a.kind === 'ARG_CONST_SIZE' || a.kind === 'ARG_CONST_SIZE_OR_ZERO') expect(at(a.sizeOf!)!.sizeArg).toBe(i + 1);
        if (a.kind === 'ARG_PTR_TO_MAP_KEY' || a.kind === 'ARG_PTR_TO_MAP_VALUE') expect(at(a.mapArg!)!.kind).toBe('ARG_CONST_MAP_PTR');
        if (a.kind === 'ARG_PTR_TO_FUNC') expect(a.callback).toBeDefined();
        if (a.flags?.includes('MEM_UNINIT')) expect(a.flags.includes('MEM_RDONLY')).toBe(false);
        if (a.mapTypes) for (const t of a.mapTypes) expect(MAP_TYPES[t]!.helpers, `${p.name}: ${MAP_TYPES[t]!.name}`).toContain(p.id);
      });
      if (p.ret.mapArg !== undefined) expect(p.args[p.ret.mapArg - 1]!.kind).toBe('ARG_CONST_MAP_PTR');
      if (p.ret.sizeArg !== undefined) expect(p.args[p.ret.sizeArg - 1]!.kind).toBe('ARG_CONST_ALLOC_SIZE_OR_ZERO');
    }
  });

  it('say which memory each helper reads or writes', () => {
    const probe = HELPER_PROTOS.get(113)!;
    expect(probe.args[0]).toMatchObject({ kind: 'ARG_PTR_TO_MEM', sizeArg: 2 });
    expect(probe.args[0]!.flags).toContain('MEM_UNINIT');
    const lookup = HELPER_PROTOS.get(1)!;
    expect(lookup.ret).toEqual({ kind: 'RET_PTR_TO_MAP_VALUE_OR_NULL', mapArg: 1 });
    expect(isMemoryArg(lookup.args[1]!)).toBe(true);
    expect(HELPER_PROTOS.get(131)!.ret).toEqual({ kind: 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', sizeArg: 2 });
    expect(HELPER_PROTOS.get(132)!.args[0]!.flags).toContain('OBJ_RELEASE');
    expect(HELPER_PROTOS.get(44)!.changesPacketData).toBe(true);
    expect(HELPER_PROTOS.get(181)!.args[1]!.callback!.returns).toEqual({ min: 0, max: 1 });
  });

  it('allow each program type its kernel helpers', () => {
    const xdp = helpersForProgramType('xdp');
    expect(xdp.has(44) && xdp.has(54) && xdp.has(65) && xdp.has(28)).toBe(true);
    expect(xdp.has(9) || xdp.has(26)).toBe(false); // skb helpers
    const sock = helpersForProgramType('socket_filter');
    expect(sock.has(26)).toBe(true);
    expect(sock.has(9)).toBe(false); // skb_store_bytes is tc only
    expect(helpersForProgramType('kprobe').has(4)).toBe(true);
    expect(helpersForProgramType('sched_cls').has(4)).toBe(false); // probe_read: tracing only
    for (const t of PROGRAM_TYPE_NAMES) for (const id of [1, 2, 3, 5, 12, 130, 181]) expect(helpersForProgramType(t).has(id), `${t} ${id}`).toBe(true);
  });
});
