import { describe, expect, it } from 'vitest';
import { BpfBudgetError, BpfSandboxError } from '../../src/bpf/index.js';
import { JitCompileError } from '../../src/jit/index.js';
import { openObject, type Engine } from '../../src/object/index.js';
import { compileBpfSource } from '../support/bpf-clang.js';
import { dumpMaps } from '../support/object-fixtures.js';
import { SCENARIOS, runScenario } from '../support/scenarios.js';
import { runUnverified } from '../support/unverified.js';
import { assembleLlvm } from '../../src/bpf/index.js';

/**
 * The object API's sandbox (OpenOptions.sandbox) and budget: every fixture scenario runs under
 * the sandboxed JIT exactly as under the unchecked JIT (its context, packet, map values,
 * ring buffers and global data are the regions it may touch), and programs that go outside
 * them stop with the same typed error in the JIT and the interpreter.
 */
const comparable = (r: { retval: bigint; dataOut: Uint8Array | undefined; ctxOut: Uint8Array | undefined; printk: readonly string[] }) => ({
  retval: r.retval,
  dataOut: r.dataOut && Buffer.from(r.dataOut).toString('hex'),
  ctxOut: r.ctxOut && Buffer.from(r.ctxOut).toString('hex'),
  printk: r.printk,
});

describe('object API: correct programs run the same under the sandbox', () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      const sandboxed = { ...s, open: { ...s.open, sandbox: true } };
      let checked: ReturnType<typeof runScenario>;
      try {
        checked = runScenario(sandboxed, 'jit');
      } catch (e) {
        // the sandbox does not follow tail calls yet: such objects are refused, not run unchecked
        expect(e).toBeInstanceOf(JitCompileError);
        expect((e as Error).message).toMatch(/does not support tail calls/);
        return;
      }
      const plain = runScenario(s, 'jit');
      try {
        checked.results.forEach((r, i) => expect(comparable(r), `step ${i} (${s.steps[i]!.program})`).toEqual(comparable(plain.results[i]!)));
        s.check(checked.results, checked.obj, 'jit');
        s.check(plain.results, plain.obj, 'jit');
        expect(dumpMaps(checked.obj)).toEqual(dumpMaps(plain.obj));
      } finally {
        checked.obj.close();
        plain.obj.close();
      }
    });
  }
});

const UNSAFE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

const volatile __u32 limit = 3;

/* reads 1 MiB past data_end (past the frame's tail room too): no bounds check */
SEC("xdp")
int past_end(struct xdp_md *ctx) {
  unsigned char *data = (void *)(long)ctx->data_end;
  return data[0x100000];
}

/* a map value indexed without a bound: 8 * (packet byte << 24) bytes past it */
SEC("xdp")
int value_index(struct xdp_md *ctx) {
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&counts, &k);
  if (!v) return 0;
  unsigned char *data = (void *)(long)ctx->data;
  unsigned char *end = (void *)(long)ctx->data_end;
  if (data + 1 > end) return 0;
  v[(__u64)data[0] << 24] = 1;
  return 2;
}

/* no null check: bpf_map_lookup_elem of a missing key returns 0 */
SEC("xdp")
int null_value(struct xdp_md *ctx) {
  __u32 k = 99;
  __u64 *v = bpf_map_lookup_elem(&counts, &k);
  return *(volatile __u64 *)v;
}

/* .rodata is read-only */
SEC("xdp")
int write_rodata(struct xdp_md *ctx) {
  *(volatile __u32 *)&limit = 7;
  return 2;
}

/* never ends */
SEC("xdp")
int endless(struct xdp_md *ctx) {
  volatile __u32 n = 0;
  for (;;) n++;
  return 0;
}
`;

describe('object API: unsafe programs stop with the same typed error in the JIT and the interpreter', () => {
  const bytes = compileBpfSource(UNSAFE, { name: 'unsafe' });
  const packet = new Uint8Array(64).fill(0x20);
  const run = (program: string, engine: Engine, options: { budget?: number } = {}): unknown => {
    const obj = openObject(bytes, { name: 'unsafe.o', sandbox: true, sandboxAnalysis: false, ...options });
    try {
      obj.program(program).testRun({ dataIn: packet, engine });
      return undefined;
    } catch (e) {
      return e;
    } finally {
      obj.close();
    }
  };
  const cases: { program: string; message: RegExp; access: 'read' | 'write' }[] = [
    { program: 'past_end', message: /out-of-bounds read of 1 bytes/, access: 'read' },
    { program: 'value_index', message: /out-of-bounds write of 8 bytes/, access: 'write' },
    { program: 'null_value', message: /out-of-bounds read of 8 bytes at address 0x0 /, access: 'read' },
    { program: 'write_rodata', message: /\.rodata/, access: 'write' },
  ];
  for (const c of cases) {
    it(c.program, () => {
      for (const engine of ['jit', 'interpreter'] as const) {
        const e = run(c.program, engine);
        expect(e, engine).toBeInstanceOf(BpfSandboxError);
        const err = e as BpfSandboxError;
        expect(err.access, engine).toBe(c.access);
        expect(err.message, engine).toMatch(c.message);
      }
      const jit = run(c.program, 'jit') as BpfSandboxError;
      const interp = run(c.program, 'interpreter') as BpfSandboxError;
      expect(jit.pc).toBe(interp.pc);
      expect(jit.size).toBe(interp.size);
    });
  }

  it('an endless loop stops with the budget error in both', () => {
    for (const engine of ['jit', 'interpreter'] as const) {
      const e = run('endless', engine, { budget: 5000 });
      expect(e, engine).toBeInstanceOf(BpfBudgetError);
    }
  });
});

describe('runUnverified (test/support/unverified.ts): assembly with maps, both engines', () => {
  // r0 = *(u64 *)(bpf_map_lookup_elem(&values, &key) + 8 * 100): 800 bytes into a 4 x 8 array
  const insns = assembleLlvm(`
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = map_fd(0x0) ll
    call 1
    if r0 == 0 goto out
    r0 = *(u64 *)(r0 + 800)
  out:
    exit
  `);
  const maps = [{ name: 'values', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }];
  it('a map value read 768 bytes past its end is a BpfSandboxError at the same pc in both', () => {
    const errors = (['jit', 'interpreter'] as const).map((engine) => {
      const r = runUnverified({ insns, maps, type: 'xdp' }, { engine, sandbox: true, analysis: false, dataIn: new Uint8Array(64) });
      expect('error' in r, engine).toBe(true);
      return (r as { error: unknown }).error;
    });
    for (const e of errors) {
      expect(e).toBeInstanceOf(BpfSandboxError);
      expect((e as BpfSandboxError).message).toMatch(/^pc \d+: out-of-bounds read of 8 bytes at address 0x/);
    }
    // the pc of the program both engines run (the object API inlines the array lookup first)
    const [jit, interp] = errors as BpfSandboxError[];
    expect(jit!.pc).toBe(interp!.pc);
    expect([jit!.access, jit!.size]).toEqual(['read', 8]);
  });
});
