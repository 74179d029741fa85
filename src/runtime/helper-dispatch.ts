/**
 * JS helpers reached from machine code through ONE koffi callback per JS thread, whatever the
 * number of programs and helpers.
 *
 * koffi keeps at most 8,192 registered callbacks per process and only gives one back on
 * koffi.unregister, so a callback per (program, helper) ran out after 8,192 programs dropped
 * without free(). Instead each thread has a small code region of stubs, one per helper id:
 *
 *   stub[id]:  movz x5, #id ; b common
 *   common:    mov x6, x27 ; mov x7, x30 ; ldr x16, =dispatcher ; br x16
 *
 * A program's helper table entry for `id` holds stub[id]'s address. The JIT calls it with R1-R5
 * in x0-x4 (x5-x7 carry nothing across a helper call: helpers take at most five arguments), so
 * the dispatcher receives (r1..r5, id, the calling program's context block, the return
 * address into its code) in x0-x7: eight integer arguments, all in registers (AAPCS64 6.8.2;
 * koffi defect B only affects stack arguments). The return address gives the helper its BPF pc.
 * It then finds the program by its context block address and calls the program's sink.
 *
 * The stub words are encoded here by hand (src/runtime does not import the assembler; the
 * test checks them with the disassembler): ARM ARM C6.2.226 MOVZ, C6.2.33 B, C6.2.221 ORR
 * (MOV alias), C6.2.167 LDR (literal), C6.2.37 BR.
 */
import { CodeRegion } from './code-region.js';
import { NativeCallError } from './errors.js';
import { koffi, prototype } from './native-function.js';

/** Helper ids that have a stub: 0 .. HELPER_STUBS - 1. */
export const HELPER_STUBS = 1024;

/** What a program does with a call of its helper `id`; must not throw (it runs under koffi). */
export type HelperSink = (id: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, returnAddress: bigint) => bigint;

const DISPATCH_SIGNATURE = 'uint64_t (uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)';

const movz = (rd: number, imm16: number): number => (0xd2800000 | (imm16 << 5) | rd) >>> 0;
const b = (offset: number): number => (0x14000000 | ((offset / 4) & 0x3ffffff)) >>> 0;
const movReg = (rd: number, rm: number): number => (0xaa0003e0 | (rm << 16) | rd) >>> 0;
const ldrLiteral = (rt: number, offset: number): number => (0x58000000 | ((offset / 4) << 5) | rt) >>> 0;
const br = (rn: number): number => (0xd61f0000 | (rn << 5)) >>> 0;

/** The stub code for a dispatcher at `target` (exported for the encoding test). */
export function helperStubCode(target: bigint): Uint8Array {
  const common = 8 * HELPER_STUBS;
  const code = new Uint8Array(common + 24);
  const view = new DataView(code.buffer);
  for (let id = 0; id < HELPER_STUBS; id++) {
    view.setUint32(8 * id, movz(5, id), true);
    view.setUint32(8 * id + 4, b(common - (8 * id + 4)), true);
  }
  view.setUint32(common, movReg(6, 27), true);
  view.setUint32(common + 4, movReg(7, 30), true);
  view.setUint32(common + 8, ldrLiteral(16, 8), true); // the literal at common + 16
  view.setUint32(common + 12, br(16), true);
  view.setBigUint64(common + 16, target, true);
  return code;
}

const sinks = new Map<number, HelperSink>();
let stubs: CodeRegion | undefined;

const u64 = (v: unknown): bigint => BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v as number));

function dispatch(r1: unknown, r2: unknown, r3: unknown, r4: unknown, r5: unknown, id: unknown, context: unknown, ret: unknown): bigint {
  const sink = sinks.get(Number(context));
  // a program's sink goes away only when it is freed, which waits for its runs to end
  if (!sink) return 0n;
  return sink(Number(id), u64(r1), u64(r2), u64(r3), u64(r4), u64(r5), u64(ret));
}

function ensureStubs(): CodeRegion {
  if (stubs) return stubs;
  let target: bigint;
  try {
    target = koffi().register(dispatch, koffi().pointer(prototype(DISPATCH_SIGNATURE))) as unknown as bigint;
  } catch (e) {
    throw new NativeCallError(`cannot register a64jit's helper dispatcher with koffi: ${(e as Error).message} (koffi allows 8,192 callbacks per process; a64jit needs one per thread)`);
  }
  stubs = CodeRegion.fromCode(helperStubCode(BigInt(target))); // lives as long as the thread
  return stubs;
}

/** Address of the stub that calls `id`'s helper of whichever program calls it. */
export function helperStubAddress(id: number): bigint {
  if (!Number.isInteger(id) || id < 0 || id >= HELPER_STUBS) throw new NativeCallError(`helper id ${id} is not an integer in 0..${HELPER_STUBS - 1}`);
  return ensureStubs().address + BigInt(8 * id);
}

/** Route helper calls of the program whose context block is at `context` to `sink`. */
export function setHelperSink(context: bigint, sink: HelperSink): void {
  sinks.set(Number(context), sink);
}

export function clearHelperSink(context: bigint): void {
  sinks.delete(Number(context));
}
