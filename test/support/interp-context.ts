import {
  BpfPseudo,
  Memory,
  interpret,
  prepareProgram,
  programType,
  type ArrayInline,
  type BpfInsn,
  type HelperRegistry,
  type ProgramTypeName,
} from '../../src/bpf/index.js';
import { contextBuilder, type RunInput } from '../../src/runtime/contexts/index.js';

/**
 * Run a program of a given type in the reference interpreter with a test-run context built
 * by src/runtime/contexts, all in JS memory (host tests: no native code). Maps are plain
 * regions: `maps[i]` is the bytes LDDW src 1 imm=i points at (a header then the values).
 */
export interface InterpRun {
  readonly retval: bigint;
  readonly dataOut: Uint8Array | undefined;
  readonly ctxOut: Uint8Array | undefined;
  readonly insns: readonly BpfInsn[];
}

const CTX_BASE = 0x30_0000_0000n;
const PACKET_BASE = 0x31_0000_0000n;
export const MAP_BASE = 0x40_0000_0000n;
export const MAP_STRIDE = 0x1_0000_0000n;

export function runTyped(
  insns: readonly BpfInsn[],
  typeName: ProgramTypeName,
  input: RunInput,
  options: { readonly maps?: readonly Uint8Array[]; readonly arrayLayout?: (map: number) => ArrayInline | undefined; readonly helpers?: HelperRegistry } = {},
): InterpRun {
  const type = programType(typeName);
  const prepared = prepareProgram(insns, { type, ...(input.attach !== undefined ? { attach: input.attach } : {}), ...(options.arrayLayout ? { arrayLayout: options.arrayLayout } : {}) });
  const builder = contextBuilder(type);
  const plan = builder.plan(input);
  const memory = new Memory();
  const ctx = new Uint8Array(plan.ctxSize);
  const packet = new Uint8Array(Math.max(1, plan.packetSize));
  if (plan.ctxSize > 0) memory.addRegion('ctx', ctx, { base: CTX_BASE });
  memory.addRegion('packet', packet, { base: PACKET_BASE });
  (options.maps ?? []).forEach((m, i) => memory.addRegion(`map#${i}`, m, { base: MAP_BASE + BigInt(i) * MAP_STRIDE }));
  const built = builder.build(input, { ctx, ctxAddress: CTX_BASE, packet, packetAddress: PACKET_BASE });
  const r = interpret(prepared.insns, {
    memory,
    args: [built.r1, built.r2],
    ...(options.helpers ? { helpers: options.helpers } : {}),
    resolvePseudo: (pseudo, imm) => {
      if (pseudo === BpfPseudo.MAP_FD) return MAP_BASE + BigInt(imm) * MAP_STRIDE;
      throw new Error(`pseudo ${pseudo}`);
    },
  });
  return { retval: r.value, dataOut: built.dataOut(), ctxOut: built.ctxOut(), insns: prepared.insns };
}
