import { loadBpfObject, type BpfInsn, type BpfMapDef, type BpfObject, type MapDescription } from '../../src/bpf/index.js';
import { BpfObjectFile, type Engine, type TestRunOptions, type TestRunResult } from '../../src/object/index.js';

/**
 * Running programs nobody proved safe, as `a64jit run --no-verify [--sandbox]` does, for the
 * safety tests and the verifier corpus (test/fixtures/verifier): one program from an ELF
 * object, or from instructions (assembly) with the maps its LDDW map_fd immediates index.
 *
 *   const r = runUnverified({ insns, maps, type: 'xdp' }, { engine: 'jit', sandbox: true, dataIn });
 *   if ('error' in r) ... r.error is a BpfSandboxError, BpfBudgetError, BpfFaultError, ...
 *
 * Under the JIT with `sandbox` every load and store is checked (BpfSandboxError); without it a
 * wild access is a contained fault (BpfFaultError); the interpreter always checks. `budget`
 * (default 1,000,000 under both engines) stops endless loops (BpfBudgetError).
 */
export type UnverifiedSource =
  | { readonly elf: Uint8Array; readonly program?: string; readonly type?: string }
  | { readonly insns: readonly BpfInsn[]; readonly maps?: readonly MapDescription[]; readonly type?: string };

export interface UnverifiedRun extends Omit<TestRunOptions, 'engine'> {
  readonly engine: Engine;
  readonly sandbox?: boolean;
  /** with `sandbox`: the sandbox's analysis first (default true, as `run --sandbox`); false: the run-time checks alone */
  readonly analysis?: boolean;
  readonly budget?: number;
}

/** A map description as an object's map definition (maps of maps: the inner template too). */
function mapDef(m: MapDescription): BpfMapDef {
  const { inner, ...rest } = m;
  return { ...rest, definition: 'legacy', ...(inner ? { inner: mapDef(inner) } : {}) };
}

/** The verifier's switch (verification is on by default once it lands): these run unverified. */
const UNVERIFIED = { verify: false };

/** An object holding the program (the first one of an ELF object unless `program` names one). */
export function unverifiedObject(source: UnverifiedSource, options: { sandbox?: boolean; analysis?: boolean; budget?: number } = {}): { obj: BpfObjectFile; program: string } {
  const parsed: BpfObject =
    'elf' in source
      ? loadBpfObject(source.elf)
      : {
          programs: [{ name: 'prog', section: '.text', insns: source.insns, layout: [{ name: 'prog', section: '.text', pc: 0, slots: source.insns.length }], relocations: [] }],
          functions: [],
          data: [],
          maps: (source.maps ?? []).map(mapDef),
          externs: [],
          dataRelocations: [],
        };
  const program = ('elf' in source ? source.program : undefined) ?? parsed.programs[0]?.name;
  if (program === undefined) throw new Error('the object has no program');
  const obj = new BpfObjectFile(parsed, {
    name: 'unverified',
    cpus: 2,
    ...(source.type !== undefined ? { type: source.type } : {}),
    ...(options.sandbox === true ? { sandbox: true } : {}),
    ...(options.analysis === false ? { sandboxAnalysis: false } : {}),
    ...(options.budget !== undefined ? { budget: options.budget } : {}),
    ...UNVERIFIED,
  });
  return { obj, program };
}

/** One run: its result, or the error it stopped with. The object is closed afterwards. */
export function runUnverified(source: UnverifiedSource, run: UnverifiedRun): TestRunResult | { readonly error: unknown } {
  const { sandbox, analysis, budget, ...input } = run;
  const { obj, program } = unverifiedObject(source, { ...(sandbox !== undefined ? { sandbox } : {}), ...(analysis !== undefined ? { analysis } : {}), ...(budget !== undefined ? { budget } : {}) });
  try {
    return obj.program(program).testRun(input);
  } catch (error) {
    return { error };
  } finally {
    obj.close();
  }
}
