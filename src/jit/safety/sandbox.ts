import {
  Cond,
  X16,
  X17,
  X25,
  X27,
  X30,
  SP,
  addImm,
  addReg,
  addsReg,
  cmpImm,
  cmpReg,
  ldp,
  ldr,
  mem,
  mov,
  movz,
  msub,
  orrReg,
  csel,
  XZR,
  postIndex,
  preIndex,
  ret,
  stp,
  str,
  subImm,
  subReg,
  subsReg,
  udiv,
  wreg,
  type Assembler,
  type Label,
  xreg,
  type XReg,
} from '../../arm64/index.js';
import { SKB_INTERNAL, STACK_FRAME_SIZE, XDP_INTERNAL, writesArg, type AccessKind, type HelperProto, type PointerCheck } from '../../bpf/index.js';
import {
  CTX_ARG_CONTEXT,
  CTX_EXIT_DETAIL,
  CTX_EXIT_DETAIL2,
  CTX_EXIT_REQUEST,
  CTX_EXIT_VALUE,
  CTX_PACKET_CONTEXT,
  CTX_REGIONS,
  CTX_REGION_CACHE_READ,
  CTX_REGION_CACHE_WRITE,
  CTX_MAPS,
  CTX_SHADOW_LIMIT,
  CTX_STACK_TOP,
  EXIT_REQUEST_DEPTH,
  EXIT_REQUEST_HELPER_ARG,
  HELPER_ARG_CHECK_CTX,
  HELPER_ARG_CHECK_MAP,
  HELPER_ARG_CHECK_READ,
  HELPER_ARG_CHECK_WRITE,
  EXIT_REQUEST_POINTER,
  EXIT_REQUEST_SANDBOX,
  REGION_CACHE_MIN,
  REGION_ENTRY_META,
  REGION_ENTRY_PACKET,
  REGION_ENTRY_SIZE,
} from '../context-layout.js';
import { SCRATCH1, SCRATCH2, SCRATCH3, a64 } from '../registers.js';

/**
 * The sandbox (--sandbox): every load, store and atomic of a program the verifier did not
 * prove is checked against the regions it may touch, in the machine code itself.
 *
 * - The BPF stack moves off the native stack into a shadow stack of MAX_CALL_FRAMES frames of
 *   512 bytes in memory of its own: no return address or saved register is ever addressable
 *   by the program. R10 of the function at depth d is top - d * 512; the live frames are the
 *   contiguous range [current frame's bottom, top), entry 0 of the region table, updated by
 *   every function entry and exit. A call that would go below the shadow stack stops the
 *   program (EXIT_REQUEST_DEPTH), which also bounds `callx` recursion.
 * - R10 + constant accesses are checked at compile time: inside [-512, 0) they need nothing
 *   (emit-memory.ts addresses them from x25 directly); outside, the instruction stops the
 *   program when it runs, as the interpreter does (the structural validator already refuses
 *   such programs at load; this keeps the sandbox sound without relying on it).
 * - Every other access computes its address into x13 and checks it inline against the region
 *   its kind of access (read, write) hit last: 7 instructions when it is the same region.
 *   Otherwise a per-program routine walks the region table in the context block (x27):
 *   entries {start, length, flags} written by the runtime before each run (the stack, the
 *   memory given to run(), data images, map values, ...), remembers the entry it found and
 *   returns, or stops the program with the address, size, access and pc.
 *
 * The interpreter needs none of this: its Memory checks every access already (memory.ts).
 * Registers: x13-x15 and x16/x17 (never live across an instruction) and x30 (the routine is
 * reached with BL; JIT code keeps nothing in x30 between instructions).
 *
 * The inline check, with t = addr - start: the access fits iff t <= length - size, because a
 * cached entry is at least REGION_CACHE_MIN (8) bytes long, so length - size cannot wrap, and
 * an address below start makes t wrap to a huge value. The walk handles any length.
 */

type Size = 1 | 2 | 4 | 8;

/** The labels one program's sandboxed code branches to; their code is emitted once, at the end. */
export class SandboxRoutines {
  readonly #walks = new Map<string, Label>();
  readonly #fails = new Map<string, Label>();
  readonly #a: Assembler;
  /** the path that unwinds to the entry frame with the exit request already stored */
  readonly #exitAll: Label;
  readonly depthExit: Label;
  readonly #walkRead: Label;
  readonly #walkWrite: Label;
  readonly #argStubs = new Map<string, Label>();
  #packetRefresh: Label | undefined;
  #pointerFail: Label | undefined;

  constructor(a: Assembler, exitAll: Label) {
    this.#a = a;
    this.#exitAll = exitAll;
    this.depthExit = a.newLabel();
    this.#walkRead = a.newLabel();
    this.#walkWrite = a.newLabel();
  }

  /** BL target: find the region for [x13, x13 + x14) (any size; 0 passes), or stop the program. */
  walkSized(access: AccessKind): Label {
    return access === 'write' ? this.#walkWrite : this.#walkRead;
  }

  /** BL target: check helper argument `n` (x13; x14 = size for memory) by `check` (HELPER_ARG_CHECK_*), or stop the program. */
  argCheck(n: number, check: number): Label {
    return lazy(this.#argStubs, `${n}:${check}`, this.#a);
  }

  /** BL target: make the packet entries follow the context's pointers again (after a helper moved them). */
  packetRefresh(): Label {
    return (this.#packetRefresh ??= this.#a.newLabel());
  }

  /** BL target: find the region for [x13, x13 + size), or stop the program. */
  walk(size: Size, access: AccessKind): Label {
    return lazy(this.#walks, `${size}${access}`, this.#a);
  }

  /** BL target: stop the program for pointer arithmetic that left its value (x13 = the offset). */
  pointerFail(): Label {
    return (this.#pointerFail ??= this.#a.newLabel());
  }

  /** BL target: stop the program for an access of x13 known to be out of bounds. */
  fail(size: Size, access: AccessKind): Label {
    return lazy(this.#fails, `${size}${access}`, this.#a);
  }

  /** Emit the routines that were asked for (after all functions). */
  emit(): void {
    const a = this.#a;
    const walkRead = this.#walkRead;
    const walkWrite = this.#walkWrite;
    const failRead = a.newLabel();
    const failWrite = a.newLabel();
    const fail = a.newLabel();
    for (const [map, read, write] of [
      [this.#walks, walkRead, walkWrite],
      [this.#fails, failRead, failWrite],
    ] as const) {
      for (const [key, label] of map) {
        a.bind(label);
        a.emit(movz(SCRATCH2, Number(key[0])));
        a.b(key.endsWith('write') ? write : read);
      }
    }
    emitWalk(a, walkRead, failRead, false);
    emitWalk(a, walkWrite, failWrite, true);
    if (this.#packetRefresh) emitPacketRefresh(a, this.#packetRefresh);
    if (this.#argStubs.size > 0) this.#emitArgChecks();

    // x13 = address, x14 = size; x30 = after the BL: record size | write << 56, the address
    // and the BL's own address, then unwind
    a.bind(failRead);
    a.emit(movz(SCRATCH3, 0));
    a.b(fail);
    a.bind(failWrite);
    a.emit(movz(SCRATCH3, 1));
    a.bind(fail);
    a.emit(orrReg(SCRATCH2, SCRATCH2, SCRATCH3, 'lsl', 56));
    a.emit(subImm(SCRATCH3, X30, 4));
    a.emit(movz(X17, EXIT_REQUEST_SANDBOX));
    a.emit(str(X17, mem(X27, CTX_EXIT_REQUEST)));
    a.emit(str(SCRATCH1, mem(X27, CTX_EXIT_VALUE)));
    a.emit(stp(SCRATCH3, SCRATCH2, mem(X27, CTX_EXIT_DETAIL)));
    a.b(this.#exitAll);

    // pointer arithmetic out of its value: x13 = the offset, x30 = after the BL
    if (this.#pointerFail) {
      a.bind(this.#pointerFail);
      emitCheckStop(a, EXIT_REQUEST_POINTER, this.#exitAll);
    }

    // a call below the shadow stack: x15 = the call instruction
    a.bind(this.depthExit);
    a.emit(movz(X17, EXIT_REQUEST_DEPTH));
    a.emit(str(X17, mem(X27, CTX_EXIT_REQUEST)));
    a.emit(str(SCRATCH3, mem(X27, CTX_EXIT_DETAIL)));
    a.b(this.#exitAll);
  }

  /**
   * The helper argument checks: per (argument, check) a stub that records both in exit
   * detail 2 and goes on to the check; the map and context checks; walks like the sandbox's
   * whose failure is a helper argument failure. x30 = after the call site's BL throughout.
   */
  #emitArgChecks(): void {
    const a = this.#a;
    const argFail = a.newLabel();
    const walkRead = a.newLabel();
    const walkWrite = a.newLabel();
    const mapCheck = a.newLabel();
    const ctxCheck = a.newLabel();
    const targets = [mapCheck, walkRead, walkWrite, ctxCheck];
    for (const [key, label] of this.#argStubs) {
      const [n, check] = key.split(':').map(Number) as [number, number];
      a.bind(label);
      a.emit(movz(X17, n | (check << 8)));
      a.emit(str(X17, mem(X27, CTX_EXIT_DETAIL2)));
      a.b(targets[check]!);
    }
    emitWalk(a, walkRead, argFail, false);
    emitWalk(a, walkWrite, argFail, true);

    // x13 = a map address: one of the table's, which ends with 0
    const loop = a.newLabel();
    a.bind(mapCheck);
    a.emit(movz(SCRATCH2, 0));
    a.materialize(X16, BigInt(CTX_MAPS));
    a.emit(addReg(X16, X27, X16));
    a.bind(loop);
    a.emit(ldr(X17, postIndex(X16, 8)));
    a.cbz(X17, argFail);
    a.emit(cmpReg(X17, SCRATCH1));
    a.bCond(Cond.NE, loop);
    a.emit(ret());

    // x13 = the context pointer the run gave (0: none given, not checked)
    const ctxOk = a.newLabel();
    a.bind(ctxCheck);
    a.emit(movz(SCRATCH2, 0));
    a.emit(ldr(X17, mem(X27, CTX_ARG_CONTEXT)));
    a.cbz(X17, ctxOk);
    a.emit(cmpReg(X17, SCRATCH1));
    a.bCond(Cond.NE, argFail);
    a.bind(ctxOk);
    a.emit(ret());

    // x13 = the argument, x14 = its size: detail 2 |= size << 16, stop
    a.bind(argFail);
    a.emit(ldr(X17, mem(X27, CTX_EXIT_DETAIL2)));
    a.emit(orrReg(X17, X17, SCRATCH2, 'lsl', 16));
    a.emit(str(X17, mem(X27, CTX_EXIT_DETAIL2)));
    emitCheckStop(a, EXIT_REQUEST_HELPER_ARG, this.#exitAll);
  }
}

/**
 * Stop the program for a failed check reached by BL: the request, value = x13, detail = the
 * BL's own address (x30 - 4, which the code range maps back to the BPF pc).
 */
function emitCheckStop(a: Assembler, request: number, exitAll: Label): void {
  a.emit(subImm(SCRATCH3, X30, 4));
  a.emit(movz(X17, request));
  a.emit(str(X17, mem(X27, CTX_EXIT_REQUEST)));
  a.emit(str(SCRATCH1, mem(X27, CTX_EXIT_VALUE)));
  a.emit(str(SCRATCH3, mem(X27, CTX_EXIT_DETAIL)));
  a.b(exitAll);
}

/**
 * The walk over the region table for reads or writes: x13 = address, x14 = size. A hit that
 * is long enough for the inline check becomes the cached entry of its access kind.
 */
function emitWalk(a: Assembler, label: Label, fail: Label, write: boolean): void {
  const entry = X16;
  const t = X17;
  const length = SCRATCH3;
  const loop = a.newLabel();
  const next = a.newLabel();
  const done = a.newLabel();
  const strided = a.newLabel();
  a.bind(label);
  a.cbz(SCRATCH2, done); // a helper's memory argument of 0 bytes touches nothing
  a.emit(addsReg(t, SCRATCH1, SCRATCH2)); // an access that wraps around fits nowhere
  a.bCond(Cond.HS, fail);
  a.materialize(entry, BigInt(CTX_REGIONS));
  a.emit(addReg(entry, X27, entry));
  a.bind(loop);
  a.emit(ldr(t, mem(entry, 16))); // flags: 0 ends the table
  a.cbz(t, fail);
  if (write) a.tbz(t, 1, next); // REGION_WRITABLE
  a.tbnz(t, 2, strided); // REGION_STRIDED
  emitBounds(a, entry, t, length, next);
  a.emit(cmpImm(length, REGION_CACHE_MIN));
  a.bCond(Cond.LO, done);
  a.emit(str(entry, mem(X27, write ? CTX_REGION_CACHE_WRITE : CTX_REGION_CACHE_READ)));
  a.bind(done);
  a.emit(ret());
  a.bind(next);
  a.emit(addImm(entry, entry, REGION_ENTRY_SIZE));
  a.b(loop);

  // Inside a strided entry (regions do not overlap: no other entry can hold the access), the
  // access must stay in its element: (addr - start) % stride + size <= element size. The
  // quotient needs a fourth register: x30 is saved below SP around it. Never cached.
  a.bind(strided);
  emitBounds(a, entry, t, length, next);
  a.emit(subReg(t, t, SCRATCH2)); // t = address - start
  a.emit(str(X30, preIndex(SP, -16)));
  a.emit(ldr(wreg(15), mem(entry, 28))); // stride
  a.emit(udiv(X30, t, length));
  a.emit(msub(t, X30, length, t)); // offset in the element
  a.emit(ldr(X30, postIndex(SP, 16)));
  a.emit(addReg(t, t, SCRATCH2));
  a.emit(ldr(wreg(15), mem(entry, 24))); // element size
  a.emit(cmpReg(t, length));
  a.bCond(Cond.HI, fail);
  a.emit(ret());
}

/** t = address - start + size; on to `next` unless [x13, x13 + x14) lies in [start, start + length). */
function emitBounds(a: Assembler, entry: XReg, t: XReg, length: XReg, next: Label): void {
  a.emit(ldp(t, length, mem(entry, 0)));
  a.emit(subsReg(t, SCRATCH1, t)); // t = address - start
  a.bCond(Cond.LO, next);
  a.emit(addReg(t, t, SCRATCH2)); // t + size: no wrap, the access does not wrap
  a.emit(cmpReg(t, length));
  a.bCond(Cond.HI, next);
}

/**
 * After a helper that moves the packet (bpf_xdp_adjust_head/_tail/_meta, bpf_skb_change_head,
 * ...: changesPacketData in helper-protos.ts), the packet entries follow the context's
 * pointers: entry REGION_ENTRY_PACKET = [data, data_end), REGION_ENTRY_META = [data_meta,
 * data), read from the internal context struct at CTX_PACKET_CONTEXT (0: the run has no
 * packet). Both caches go back to the stack entry: a cached packet entry may now be shorter
 * than REGION_CACHE_MIN. R0 (x8) is untouched.
 */
function emitPacketRefresh(a: Assembler, label: Label): void {
  const out = a.newLabel();
  const ctx = X16;
  const packet = CTX_REGIONS + REGION_ENTRY_PACKET * REGION_ENTRY_SIZE;
  const meta = CTX_REGIONS + REGION_ENTRY_META * REGION_ENTRY_SIZE;
  a.bind(label);
  a.emit(ldr(ctx, mem(X27, CTX_PACKET_CONTEXT)));
  a.cbz(ctx, out);
  a.emit(ldp(SCRATCH1, SCRATCH2, mem(ctx, PACKET_POINTERS.data))); // data, data_end
  a.emit(subsReg(SCRATCH2, SCRATCH2, SCRATCH1));
  a.emit(csel(SCRATCH2, SCRATCH2, XZR, Cond.HS));
  a.emit(stp(SCRATCH1, SCRATCH2, mem(X27, packet)));
  a.emit(ldr(SCRATCH3, mem(ctx, PACKET_POINTERS.data_meta)));
  a.emit(subsReg(SCRATCH2, SCRATCH1, SCRATCH3));
  a.emit(csel(SCRATCH2, SCRATCH2, XZR, Cond.HS));
  a.emit(stp(SCRATCH3, SCRATCH2, mem(X27, meta)));
  a.emit(addImm(ctx, X27, CTX_REGIONS));
  a.emit(str(ctx, mem(X27, CTX_REGION_CACHE_READ)));
  a.emit(str(ctx, mem(X27, CTX_REGION_CACHE_WRITE)));
  a.bind(out);
  a.emit(ret());
}

/** Where data, data_end and data_meta lie in both internal context structs (the refresh reads them). */
const PACKET_POINTERS = { data: XDP_INTERNAL.data.offset, data_end: XDP_INTERNAL.data_end.offset, data_meta: XDP_INTERNAL.data_meta.offset } as const;
for (const k of ['data', 'data_end', 'data_meta'] as const) {
  if (SKB_INTERNAL[k].offset !== PACKET_POINTERS[k]) throw new Error(`SKB_INTERNAL.${k} is not at XDP_INTERNAL's offset: the sandbox's packet refresh reads both`);
}
if (PACKET_POINTERS.data_end !== PACKET_POINTERS.data + 8) throw new Error('data_end must follow data (read as a pair)');

function lazy(map: Map<string, Label>, key: string, a: Assembler): Label {
  let l = map.get(key);
  if (!l) map.set(key, (l = a.newLabel()));
  return l;
}

/**
 * What an access addresses: a base register plus a constant, or plus an index register
 * shifted left by `shift`; `outsideFrame` marks an R10 + constant access that lies outside the
 * frame (known at compile time: it always stops the program).
 */
export interface SandboxTarget {
  readonly base: XReg;
  readonly off: number;
  readonly index?: XReg;
  readonly shift?: number;
  readonly outsideFrame?: boolean;
}

/** x13 = the target's address, without touching x10-x12 (they may hold a store's value or an index). */
function emitAddress(a: Assembler, t: SandboxTarget): void {
  if (t.index !== undefined) {
    a.emit(addReg(SCRATCH1, t.base, t.index, 'lsl', t.shift ?? 0));
    return;
  }
  const off = t.off;
  if (off === 0) a.emit(mov(SCRATCH1, t.base));
  else if (off > 0 && off < 4096) a.emit(addImm(SCRATCH1, t.base, off));
  else if (off < 0 && -off < 4096) a.emit(subImm(SCRATCH1, t.base, -off));
  else {
    a.materialize(SCRATCH1, BigInt(off));
    a.emit(addReg(SCRATCH1, t.base, SCRATCH1));
  }
}

/**
 * Emit the check for an access of `size` bytes at the target and return the register that
 * holds the checked address (x13); the access then goes through [x13].
 */
export function emitSandboxedAddress(a: Assembler, routines: SandboxRoutines, t: SandboxTarget, size: Size, access: AccessKind): XReg {
  emitAddress(a, t);
  if (t.outsideFrame) {
    a.bl(routines.fail(size, access));
    return SCRATCH1;
  }
  const ok = a.newLabel();
  a.emit(ldr(X16, mem(X27, access === 'write' ? CTX_REGION_CACHE_WRITE : CTX_REGION_CACHE_READ)));
  a.emit(ldp(SCRATCH2, SCRATCH3, mem(X16, 0))); // start, length
  a.emit(subReg(SCRATCH2, SCRATCH1, SCRATCH2));
  a.emit(subImm(SCRATCH3, SCRATCH3, size));
  a.emit(cmpReg(SCRATCH2, SCRATCH3));
  a.bCond(Cond.LS, ok);
  a.bl(routines.walk(size, access));
  a.bind(ok);
  return SCRATCH1;
}

/**
 * Function entry under the sandbox: take the next shadow frame (entry 0 of the region table
 * starts at the current frame's bottom), stop when it would go below the shadow stack, and
 * point R10 at the new frame's top. The entry function's frame was set up by the runtime.
 */
export function emitShadowFrameEnter(a: Assembler, routines: SandboxRoutines, usesFp: boolean): void {
  const ok = a.newLabel();
  a.emit(ldp(SCRATCH1, SCRATCH2, mem(X27, CTX_REGIONS)));
  a.emit(subImm(SCRATCH1, SCRATCH1, STACK_FRAME_SIZE));
  a.emit(ldr(SCRATCH3, mem(X27, CTX_SHADOW_LIMIT)));
  a.emit(cmpReg(SCRATCH1, SCRATCH3));
  a.bCond(Cond.HS, ok);
  a.emit(subImm(SCRATCH3, X30, 4));
  a.b(routines.depthExit);
  a.bind(ok);
  a.emit(addImm(SCRATCH2, SCRATCH2, STACK_FRAME_SIZE));
  a.emit(stp(SCRATCH1, SCRATCH2, mem(X27, CTX_REGIONS)));
  if (usesFp) a.emit(addImm(X25, SCRATCH1, STACK_FRAME_SIZE));
}

/** R10 of the entry function: the top of its shadow frame (entry 0 covers just that frame). */
export function emitShadowFrameEntry(a: Assembler): void {
  a.emit(ldp(SCRATCH1, SCRATCH2, mem(X27, CTX_REGIONS)));
  a.emit(addReg(X25, SCRATCH1, SCRATCH2));
}

/** Function exit under the sandbox: give the frame back. */
export function emitShadowFrameLeave(a: Assembler): void {
  a.emit(ldp(SCRATCH1, SCRATCH2, mem(X27, CTX_REGIONS)));
  a.emit(addImm(SCRATCH1, SCRATCH1, STACK_FRAME_SIZE));
  a.emit(subImm(SCRATCH2, SCRATCH2, STACK_FRAME_SIZE));
  a.emit(stp(SCRATCH1, SCRATCH2, mem(X27, CTX_REGIONS)));
}

/**
 * Before a call of one of the runtime's native helpers in code nobody proved safe (the
 * sandbox, or `verify: false` without it), by the helper's prototype
 * (src/bpf/helper-protos.ts), in argument order, before the helper touches anything (your
 * JavaScript helpers get only their sized memory checked, under the sandbox):
 * - ARG_CONST_MAP_PTR: the value must be one of the program's maps (the CTX_MAPS table: a
 *   lookup, never a dereference);
 * - ARG_PTR_TO_MAP_KEY / _VALUE: key_size / value_size bytes (read from the map's header, now
 *   known to be a map) in a region of the run, writable when the helper writes the value;
 * - ARG_PTR_TO_MEM with a size argument: that many bytes in a region, writable when the
 *   helper writes them (MEM_WRITE, MEM_UNINIT); 0 bytes pass (ARG_CONST_SIZE_OR_ZERO,
 *   PTR_MAYBE_NULL with size 0);
 * - ARG_PTR_TO_CTX: the run's context (CTX_ARG_CONTEXT; not checked when the run gave none).
 * Without the sandbox the BPF stacks are native frames: entry 0 of the region table becomes
 * [R10 - 512, the entry function's R10), this function's frame and its callers' (the saved
 * registers between them included: such code can write there directly anyway), or nothing
 * when the function has no R10.
 * - ARG_PTR_TO_RINGBUF_MEM: the record's header (the 8 bytes before it) in a writable region.
 * A failure stops the program (EXIT_REQUEST_HELPER_ARG: BpfHelperArgError). R1-R5 are x0-x4
 * and stay intact. Not checked: NUL-terminated strings (ARG_PTR_TO_CONST_STR).
 */
export function emitHelperArgChecks(a: Assembler, routines: SandboxRoutines, proto: HelperProto, frame: { readonly sandbox: boolean; readonly usesFp: boolean; readonly full: boolean }): void {
  // a helper that is not the runtime's (your JavaScript function under a Linux id) need not
  // follow the prototype's map, context and record kinds: only its sized memory is checked
  const args = frame.full ? proto.args : proto.args.map((arg) => (arg.kind === 'ARG_PTR_TO_MEM' ? arg : undefined));
  const memoryArgs = args.some((arg) => arg !== undefined && (MEMORY_ARGS.has(arg.kind) || (arg.kind === 'ARG_PTR_TO_MEM' && arg.sizeArg !== undefined)));
  if (memoryArgs && !frame.sandbox) {
    if (frame.usesFp) {
      // [R10 - 512, max(the entry's R10, R10)): this frame and its callers' (0: the entry has none)
      a.emit(ldr(X17, mem(X27, CTX_STACK_TOP)));
      a.emit(cmpReg(X17, X25));
      a.emit(csel(X17, X17, X25, Cond.HS));
      a.emit(subImm(X16, X25, STACK_FRAME_SIZE));
      a.emit(subReg(X17, X17, X16));
      a.emit(stp(X16, X17, mem(X27, CTX_REGIONS)));
    } else a.emit(stp(XZR, XZR, mem(X27, CTX_REGIONS)));
  }
  args.forEach((arg, i) => {
    if (arg === undefined) return;
    const n = i + 1;
    const value = xreg(i);
    switch (arg.kind) {
      case 'ARG_CONST_MAP_PTR':
        a.emit(mov(SCRATCH1, value));
        a.bl(routines.argCheck(n, HELPER_ARG_CHECK_MAP));
        return;
      case 'ARG_PTR_TO_MAP_KEY':
      case 'ARG_PTR_TO_MAP_VALUE': {
        if (arg.mapArg === undefined) return;
        a.emit(mov(SCRATCH1, value));
        a.emit(ldr(wreg(14), mem(xreg(arg.mapArg - 1), arg.kind === 'ARG_PTR_TO_MAP_KEY' ? MAP_KEY_SIZE : MAP_VALUE_SIZE)));
        a.bl(routines.argCheck(n, writesArg(arg) ? HELPER_ARG_CHECK_WRITE : HELPER_ARG_CHECK_READ));
        return;
      }
      case 'ARG_PTR_TO_MEM':
        if (arg.sizeArg === undefined) return;
        a.emit(mov(SCRATCH1, value));
        a.emit(mov(SCRATCH2, xreg(arg.sizeArg - 1)));
        a.bl(routines.argCheck(n, writesArg(arg) ? HELPER_ARG_CHECK_WRITE : HELPER_ARG_CHECK_READ));
        return;
      case 'ARG_PTR_TO_CTX':
        a.emit(mov(SCRATCH1, value));
        a.bl(routines.argCheck(n, HELPER_ARG_CHECK_CTX));
        return;
      case 'ARG_PTR_TO_RINGBUF_MEM':
        // the helper rewrites the record's 8-byte header in front of it: that must be ring
        // buffer memory of the run (the interpreter checks more: a record this run reserved)
        a.emit(subImm(SCRATCH1, value, RINGBUF_HEADER));
        a.emit(movz(SCRATCH2, RINGBUF_HEADER));
        a.bl(routines.argCheck(n, HELPER_ARG_CHECK_WRITE));
        return;
      default:
        return;
    }
  });
}

/** bpf_tail_call's map (R2) in unchecked code: one of the program's maps before the inline code reads its header. */
export function emitTailCallMapCheck(a: Assembler, routines: SandboxRoutines): void {
  a.emit(mov(SCRATCH1, xreg(1)));
  a.bl(routines.argCheck(2, HELPER_ARG_CHECK_MAP));
}

const MEMORY_ARGS: ReadonlySet<string> = new Set(['ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_PTR_TO_RINGBUF_MEM']);
/** native/output-maps.cc: a ring buffer record's header (length and flags) */
const RINGBUF_HEADER = 8;
/** native/bpf-runtime.h struct Map: key_size and value_size (u32) */
const MAP_KEY_SIZE = 4;
const MAP_VALUE_SIZE = 8;
/**
 * The sandbox's check of pointer arithmetic (src/bpf/pointer-checks.ts), before the ALU
 * instruction: x13 = t, the pointer's new offset into its value (kept for the message), and
 * t - min unsigned-compared with max - min, so one compare covers both ends of the window.
 * x13-x15 hold nothing across instructions.
 */
export function emitPointerCheck(a: Assembler, routines: SandboxRoutines, c: PointerCheck): void {
  const s = a64(c.scalarReg);
  if (c.negate) {
    a.materialize(SCRATCH1, BigInt(c.base));
    a.emit(subReg(SCRATCH1, SCRATCH1, s));
  } else if (c.base >= 0 && c.base < 4096) {
    a.emit(addImm(SCRATCH1, s, c.base));
  } else {
    a.materialize(SCRATCH1, BigInt(c.base));
    a.emit(addReg(SCRATCH1, s, SCRATCH1));
  }
  if (c.min > c.max) {
    // no offset satisfies every access through the pointer
    a.bl(routines.pointerFail());
    return;
  }
  let rel = SCRATCH1;
  if (c.min !== 0) {
    rel = SCRATCH2;
    a.materialize(SCRATCH2, BigInt(c.min));
    a.emit(subReg(SCRATCH2, SCRATCH1, SCRATCH2));
  }
  const width = c.max - c.min;
  if (width < 4096) {
    a.emit(cmpImm(rel, width));
  } else {
    a.materialize(SCRATCH3, BigInt(width));
    a.emit(cmpReg(rel, SCRATCH3));
  }
  const ok = a.newLabel();
  a.bCond(Cond.LS, ok);
  a.bl(routines.pointerFail());
  a.bind(ok);
}
