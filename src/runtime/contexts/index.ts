import type { ProgramType } from '../../bpf/index.js';
import { hasStruct } from '../../bpf/index.js';
import { BpfRunInputError } from './errors.js';
import { rawContext } from './raw.js';
import { skbContext } from './skb.js';
import { xdpContext } from './xdp.js';

/**
 * Contexts and packets for one run, modelled on BPF_PROG_TEST_RUN (net/bpf/test_run.c): from
 * a program type and the user's data_in / ctx_in, the runtime's internal context struct (with
 * real 64-bit packet pointers) and the packet buffer (headroom + data + tailroom); after the
 * run, data_out and ctx_out read back from them.
 *
 * Pure byte layout: the caller gives the buffers and their addresses (native memory for the
 * JIT, the same memory mapped into the interpreter), so building, restoring between repeats
 * and reading back are each callable on their own (the bench run loop restores with a copy
 * of the initial bytes).
 */

export interface RunInput {
  /** the packet (packet types) or the plain buffer (plain type) */
  readonly dataIn?: Uint8Array;
  /** the uapi context struct (struct xdp_md, struct __sk_buff, pt_regs, ...), possibly shorter */
  readonly ctxIn?: Uint8Array;
  /** the expected attach type (from the section) */
  readonly attach?: string;
  /** largest packet accepted (default: the type's maxSize) */
  readonly maxPacket?: number;
}

/** Sizes the caller must allocate for a run. */
export interface ContextPlan {
  /** bytes of the internal context struct (0: no context, the plain type) */
  readonly ctxSize: number;
  /** bytes of the packet buffer, headroom and tailroom included (0: none) */
  readonly packetSize: number;
}

/** Where the buffers are. */
export interface ContextTarget {
  readonly ctx: Uint8Array;
  readonly ctxAddress: bigint;
  readonly packet: Uint8Array;
  readonly packetAddress: bigint;
}

/** A built context: what R1/R2 are, and how to read the run's outputs. */
export interface BuiltContext {
  /** R1 at the entry: the context address (or the plain buffer's) */
  readonly r1: bigint;
  /** R2 at the entry: the buffer length for plain programs, 0 otherwise */
  readonly r2: bigint;
  /** the packet bytes after the run (BPF_PROG_TEST_RUN data_out); undefined without a packet */
  dataOut(): Uint8Array | undefined;
  /** the uapi context after the run (ctx_out); undefined without a context */
  ctxOut(): Uint8Array | undefined;
}

/** One program type's builder. */
export interface ContextBuilder {
  plan(input: RunInput): ContextPlan;
  build(input: RunInput, target: ContextTarget): BuiltContext;
}

/** The builder for a program type. */
export function contextBuilder(type: ProgramType): ContextBuilder {
  if (type.name === 'xdp') return xdpContext(type);
  if (type.packet !== undefined) return skbContext(type);
  if (hasStruct(type.context)) return rawContext(type);
  return plainContext();
}

function plainContext(): ContextBuilder {
  return {
    plan: (input) => {
      if (input.ctxIn !== undefined) throw new BpfRunInputError('plain programs have no context struct (give the bytes as data_in)', 'ctx_in');
      return { ctxSize: 0, packetSize: input.dataIn?.length ?? 0 };
    },
    build: (input, target) => {
      const data = input.dataIn ?? new Uint8Array(0);
      target.packet.set(data);
      return {
        r1: data.length > 0 ? target.packetAddress : 0n,
        r2: BigInt(data.length),
        dataOut: () => (input.dataIn === undefined ? undefined : Uint8Array.from(target.packet.subarray(0, data.length))),
        ctxOut: () => undefined,
      };
    },
  };
}

export { BpfRunInputError } from './errors.js';
export { ContextSnapshot } from './snapshot.js';
