import {
  Assembler,
  Cond,
  SP,
  X0,
  X1,
  X11,
  X12,
  X13,
  X19,
  X20,
  X21,
  X22,
  X23,
  X24,
  X29,
  X30,
  X9,
  X10,
  blr,
  isb,
  ldp,
  ldr,
  ldrb,
  ldrh,
  mem,
  mov,
  movz,
  mrs,
  postIndex,
  preIndex,
  ret,
  stp,
  str,
  strb,
  strh,
  subsImm,
  wreg,
} from '../arm64/index.js';
import { CodeRegion, NativeFunction, bufferAddress, type CodeRange } from '../runtime/index.js';

/**
 * The native run loop: JIT-generated AArch64 that calls a function `uint64_t f(void *r1,
 * uint64_t r2)` (a JIT program's entry, or a native C function of the same shape) n times, so
 * that one call from JavaScript times n runs and koffi's round trip stays out of the figure.
 * Before every run it copies the pristine bytes of each restored buffer back (the packet and
 * the context, as BPF_PROG_TEST_RUN's repeat resets them), then loads R1/R2 and calls. Around
 * the whole loop it reads the generic timer's virtual count (ISB; MRS CNTVCT_EL0: the ISB
 * keeps the read from being taken early, ARM ARM D12.1 "Synchronization and the Generic
 * Timer"), and the counter's frequency from CNTFRQ_EL0.
 *
 * The loop's own cost (restores, call, return, count-down) is measured the same way with an
 * empty function as the target: `RunLoop.overhead()`.
 */

/** Copy `size` bytes from `src` to `dst` before every run. */
export interface Restore {
  readonly dst: bigint;
  readonly src: bigint;
  readonly size: number;
}

export interface LoopTarget {
  /** the function called each run */
  readonly address: bigint;
  /** x0 and x1 at each call */
  readonly r1: bigint;
  readonly r2: bigint;
  readonly restores?: readonly Restore[];
}

export interface LoopResult {
  readonly runs: number;
  /** virtual-counter ticks across the whole loop */
  readonly ticks: bigint;
  /** CNTFRQ_EL0, ticks per second */
  readonly frequency: bigint;
  /** ticks converted to nanoseconds */
  readonly ns: number;
  /** the last run's return value (the first's when runs = 0: 0) */
  readonly r0: bigint;
}

// The state block the loop writes its results into (u64 words).
const OUT_T0 = 0;
const OUT_T1 = 8;
const OUT_FREQ = 16;
const OUT_R0 = 24;
const STATE_BYTES = 32;

/** Largest restore copied by straight-line code; larger ones copy in a loop of 16-byte pairs. */
const UNROLL_LIMIT = 256;

function emitCopy(a: Assembler, r: Restore): void {
  a.materialize(X9, r.src);
  a.materialize(X10, r.dst);
  let base = 0;
  const pairs = Math.floor(r.size / 16);
  if (r.size > UNROLL_LIMIT) {
    a.materialize(X13, pairs);
    const top = a.newLabel();
    a.bind(top);
    a.emit(ldp(X11, X12, postIndex(X9, 16)));
    a.emit(stp(X11, X12, postIndex(X10, 16)));
    a.emit(subsImm(X13, X13, 1));
    a.bCond(Cond.NE, top);
  } else {
    for (let i = 0; i < pairs; i++) {
      a.emit(ldp(X11, X12, mem(X9, 16 * i)));
      a.emit(stp(X11, X12, mem(X10, 16 * i)));
    }
    base = 16 * pairs;
  }
  // The tail, widest first: every offset stays a multiple of its access size.
  let off = base;
  let left = r.size % 16;
  for (const [bytes, load, store] of [
    [8, (o: number) => ldr(X11, mem(X9, o)), (o: number) => str(X11, mem(X10, o))],
    [4, (o: number) => ldr(wreg(11), mem(X9, o)), (o: number) => str(wreg(11), mem(X10, o))],
    [2, (o: number) => ldrh(wreg(11), mem(X9, o)), (o: number) => strh(wreg(11), mem(X10, o))],
    [1, (o: number) => ldrb(wreg(11), mem(X9, o)), (o: number) => strb(wreg(11), mem(X10, o))],
  ] as const) {
    if (left >= bytes) {
      a.emit(load(off));
      a.emit(store(off));
      off += bytes;
      left -= bytes;
    }
  }
}

/**
 * The loop as machine code: `uint64_t loop(uint64_t n)`, results in the state block at
 * `state`. x19 = state, x20 = runs left, x21 = target, x22 = start count, x23 = last R0,
 * x24 = end count: callee-saved (AAPCS64 6.1.1), so the target keeps them.
 */
export function runLoopCode(target: LoopTarget, state: bigint): Uint8Array {
  const a = new Assembler();
  a.emit(stp(X29, X30, preIndex(SP, -64)));
  a.emit(mov(X29, SP));
  a.emit(stp(X19, X20, mem(SP, 16)));
  a.emit(stp(X21, X22, mem(SP, 32)));
  a.emit(stp(X23, X24, mem(SP, 48)));
  a.emit(mov(X20, X0));
  a.materialize(X19, state);
  a.materialize(X21, target.address);
  a.emit(movz(X23, 0));
  a.emit(isb());
  a.emit(mrs(X22, 'cntvct_el0'));
  const done = a.newLabel();
  a.cbz(X20, done);
  const top = a.newLabel();
  a.bind(top);
  for (const r of target.restores ?? []) if (r.size > 0) emitCopy(a, r);
  a.materialize(X0, target.r1);
  a.materialize(X1, target.r2);
  a.emit(blr(X21));
  a.emit(mov(X23, X0));
  a.emit(subsImm(X20, X20, 1));
  a.bCond(Cond.NE, top);
  a.bind(done);
  a.emit(isb());
  a.emit(mrs(X24, 'cntvct_el0'));
  a.emit(str(X22, mem(X19, OUT_T0)));
  a.emit(str(X24, mem(X19, OUT_T1)));
  a.emit(mrs(X9, 'cntfrq_el0'));
  a.emit(str(X9, mem(X19, OUT_FREQ)));
  a.emit(str(X23, mem(X19, OUT_R0)));
  a.emit(mov(X0, X23));
  a.emit(ldp(X23, X24, mem(SP, 48)));
  a.emit(ldp(X21, X22, mem(SP, 32)));
  a.emit(ldp(X19, X20, mem(SP, 16)));
  a.emit(ldp(X29, X30, postIndex(SP, 64)));
  a.emit(ret());
  return a.finish();
}

/** mov x0, #0 ; ret: the empty target whose loop measures the loop's own cost. */
const EMPTY = new Uint8Array([0x00, 0x00, 0x80, 0xd2, 0xc0, 0x03, 0x5f, 0xd6]);

/** A run loop in executable memory, bound to one target. */
export class RunLoop {
  readonly #state = Buffer.alloc(STATE_BYTES);
  readonly #region: CodeRegion;
  readonly #fn: NativeFunction;
  /** the loop's own code, for instruction counts */
  readonly range: CodeRange;
  readonly #keep: readonly unknown[];
  readonly #owned: readonly CodeRegion[];

  private constructor(target: LoopTarget, keep: readonly unknown[], owned: readonly CodeRegion[]) {
    this.#keep = keep;
    this.#owned = owned;
    const code = runLoopCode(target, bufferAddress(this.#state));
    this.#region = CodeRegion.fromCode(code);
    this.#fn = new NativeFunction(this.#region.address, 'uint64_t (uint64_t)', this.#region);
    this.range = { start: this.#region.address, size: code.length, name: 'run loop' };
  }

  /** A loop calling `target`; `keep` holds whatever must stay alive while it can run (buffers). */
  static create(target: LoopTarget, keep: readonly unknown[] = []): RunLoop {
    return RunLoop.#make(target, keep, []);
  }

  static #make(target: LoopTarget, keep: readonly unknown[], owned: CodeRegion[]): RunLoop {
    for (const r of target.restores ?? []) {
      if (!Number.isSafeInteger(r.size) || r.size < 0 || r.size > 1 << 30) throw new RangeError(`run loop: restore of ${r.size} bytes`);
    }
    return new RunLoop(target, keep, owned);
  }

  /**
   * The loop's own cost: the same restores and R1/R2, calling a function that returns at once
   * (mov x0, #0; ret), which the returned loop owns.
   */
  static overhead(target: LoopTarget, keep: readonly unknown[] = []): RunLoop {
    const empty = CodeRegion.fromCode(EMPTY);
    try {
      return RunLoop.#make({ ...target, address: empty.address }, keep, [empty]);
    } catch (e) {
      empty.free();
      throw e;
    }
  }

  /** Run the target n times (0 <= n < 2^53) in one native call. */
  run(n: number): LoopResult {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`run loop: n must be a non-negative integer, got ${n}`);
    void this.#keep;
    const r0 = this.#fn.call(BigInt(n)) as bigint;
    const t0 = this.#state.readBigUInt64LE(OUT_T0);
    const t1 = this.#state.readBigUInt64LE(OUT_T1);
    const frequency = this.#state.readBigUInt64LE(OUT_FREQ);
    const ticks = t1 - t0;
    return { runs: n, ticks, frequency, ns: frequency > 0n ? (Number(ticks) * 1e9) / Number(frequency) : NaN, r0: BigInt.asUintN(64, r0) };
  }

  free(): void {
    this.#region.free();
    for (const r of this.#owned) r.free();
  }
}
