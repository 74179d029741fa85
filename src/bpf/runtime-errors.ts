/**
 * Errors that stop a running program, shared by the interpreter and the JIT so that callers
 * (and differential tests) see the same types and the same messages from both engines.
 */
import { describeNearest, nearestRegion, type AccessKind, type Region } from './regions.js';
import { pointerCheckMessage, type PointerCheck } from './pointer-checks.js';

/** A program stopped at run time; `pc` is the slot index of the instruction that failed. */
export class BpfRuntimeError extends Error {
  override readonly name: string = 'BpfRuntimeError';
  constructor(
    readonly reason: string,
    /** slot index of the instruction that failed */
    readonly pc: number,
    /** the faulting address, for memory errors */
    readonly address?: bigint,
  ) {
    super(`pc ${pc}: ${reason}`);
  }
}

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/**
 * A load or store outside every region the program may touch, or a store into a read-only
 * one: the interpreter's bounds checks and the JIT's sandbox checks (--sandbox) throw it.
 */
export class BpfSandboxError extends BpfRuntimeError {
  override readonly name: string = 'BpfSandboxError';
  /** the region nearest to the address (the read-only region itself for 'read-only') */
  readonly nearest: Region | undefined;
  constructor(
    pc: number,
    readonly access: AccessKind,
    readonly size: number,
    address: bigint,
    /** the regions the program could touch at that moment */
    regions: readonly Region[],
    readonly why: 'out-of-bounds' | 'read-only' = 'out-of-bounds',
  ) {
    const a = BigInt.asUintN(64, address);
    const readOnly = why === 'read-only' ? regions.find((r) => a >= r.base && a < r.base + BigInt(r.size)) : undefined;
    super(
      readOnly
        ? `write of ${size} bytes to read-only region '${readOnly.name}' at ${hex(a)}`
        : `out-of-bounds ${access} of ${size} bytes at address ${hex(a)} (${describeNearest(regions, a, size)})`,
      pc,
      a,
    );
    this.nearest = readOnly ?? nearestRegion(regions, a)?.region;
  }
}

/**
 * Sandbox: pointer arithmetic took a map-value pointer out of its value (pointer-checks.ts).
 * Stopped at the arithmetic, before any access through the pointer.
 */
export class BpfPointerError extends BpfRuntimeError {
  override readonly name: string = 'BpfPointerError';
  constructor(
    pc: number,
    readonly check: PointerCheck,
    /** the offset the pointer would have had */
    readonly offset: bigint,
  ) {
    super(pointerCheckMessage(check, offset), pc);
  }
}

/**
 * The instruction budget ran out: the interpreter counts every instruction; JIT code (without
 * a verifier's proof of termination) counts taken back-edges and calls.
 */
export class BpfBudgetError extends BpfRuntimeError {
  override readonly name: string = 'BpfBudgetError';
  constructor(
    pc: number,
    readonly budget: number,
    /** what the budget counts */
    readonly counts: 'instructions' | 'back-edges and calls',
  ) {
    super(counts === 'instructions' ? `instruction budget of ${budget} exhausted` : `instruction budget of ${budget} back-edges and calls exhausted`, pc);
  }
}

/**
 * A helper's pointer argument that the helper must not be given, caught before the helper
 * touches anything: a map argument that is no map of the program (a registry lookup, never a
 * dereference), a context argument that is not the run's context, or memory that lies outside
 * the run's regions (or is read-only and the helper writes it). Code nobody proved safe
 * (`verify: false`, `--no-verify`, the sandbox) is checked, in the JIT and the interpreter
 * alike; verified code is not (the verifier proved its arguments). A memory argument's error
 * is a BpfSandboxError too (access, size, nearest region).
 */
export class BpfHelperArgError extends BpfSandboxError {
  override readonly name: string = 'BpfHelperArgError';
  constructor(
    pc: number,
    /** the helper's Linux name (bpf_map_lookup_elem) */
    readonly helper: string,
    /** argument number, 1..5 (R1..R5) */
    readonly arg: number,
    /** the prototype's name for the argument */
    readonly argName: string,
    address: bigint,
    /** not-a-record: the interpreter's ring buffer check (a record this run reserved and did not submit yet) */
    readonly problem: 'not-a-map' | 'not-the-context' | 'not-a-record' | 'memory',
    access: AccessKind,
    size: number,
    regions: readonly Region[],
    why: 'out-of-bounds' | 'read-only' = 'out-of-bounds',
  ) {
    super(pc, access, size, address, regions, why);
    const a = BigInt.asUintN(64, address);
    const detail =
      problem === 'not-a-map'
        ? `${hex(a)} is not a map of this program`
        : problem === 'not-the-context'
          ? `${hex(a)} is not the program's context`
          : problem === 'not-a-record'
            ? `${hex(a)} is not a ring buffer record this run reserved (or it was submitted or discarded already)`
          : why === 'read-only'
            ? `the helper writes ${size} bytes at ${hex(a)}, in read-only '${this.nearest?.name ?? '?'}'`
            : this.reason;
    this.message = `pc ${pc}: ${helper} argument ${arg} (${argName}): ${detail}`;
  }
}
