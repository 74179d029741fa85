import type { ContextStruct, ProgramType } from '../../bpf/index.js';
import type { ContextBuilder } from './index.js';
import { BpfRunInputError } from './errors.js';

/**
 * Tracing contexts (kprobe pt_regs, tracepoint records, raw_tp / fentry argument slots,
 * perf_event data): the user's ctx_in, zero-padded to the struct's size, is the context
 * itself. There is no packet.
 */
export function rawContext(type: ProgramType): ContextBuilder {
  const ctx = type.context as ContextStruct;
  return {
    plan: (input) => {
      if (input.dataIn !== undefined) throw new BpfRunInputError(`${type.name} programs take no packet; give the context (${ctx.struct}) as ctx_in`, 'data_in');
      if (input.ctxIn !== undefined && input.ctxIn.length > ctx.size) throw new BpfRunInputError(`${input.ctxIn.length} bytes is more than ${ctx.struct} (${ctx.size} bytes)`, 'ctx_in');
      return { ctxSize: ctx.size, packetSize: 0 };
    },
    build: (input, target) => {
      target.ctx.fill(0);
      if (input.ctxIn) target.ctx.set(input.ctxIn);
      return { r1: target.ctxAddress, r2: 0n, dataOut: () => undefined, ctxOut: () => Uint8Array.from(target.ctx.subarray(0, ctx.size)) };
    },
  };
}
