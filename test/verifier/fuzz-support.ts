import type { BpfInsn } from '../../src/bpf/instruction.js';
import { OPCODE_TABLE } from '../../src/bpf/insn-kind.js';
import { BpfRuntimeError, MEM_BASE, Memory } from '../../src/bpf/memory.js';
import { BpfBudgetError, BpfSandboxError } from '../../src/bpf/runtime-errors.js';
import { MAX_CALL_FRAMES, interpret } from '../../src/bpf/interpreter.js';
import { STACK_FRAME_SIZE } from '../../src/bpf/validate.js';
import { FUZZ_MEM_SIZE, Rng, generateProgram } from '../../src/bpf/program-generator.js';
import type { HelperProto } from '../../src/bpf/helper-protos.js';
import { HELPER_PROTOS } from '../../src/bpf/helper-protos.js';
import type { HelperFn } from '../../src/bpf/helpers.js';
import type { VerifyOptions } from '../../src/bpf/verifier/index.js';
import { BpfVerifierError, verifyProgram } from '../../src/bpf/verifier/index.js';

/**
 * Differential fuzzing of the verifier against the interpreter's sandbox: programs made of the
 * shapes the verifier reasons about (loads at offsets near the end of the memory, masks,
 * bounds checks, pointer arithmetic with them, stack slots near the frame's ends, spills,
 * loops, helper calls), mutated, verified; every accepted program must then run in the
 * interpreter without any of its checks failing (out of bounds, budget, bad call) and must
 * not return an address. The verifier itself may only throw BpfVerifierError, whatever it
 * is given. One seed gives one case, so any failure is reproducible from its seed.
 */

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });
const SIZES = [0x10, 0x08, 0x00, 0x18]; // B, H, W, DW size fields
const SIZE_BYTES: Record<number, number> = { 0x10: 1, 0x08: 2, 0x00: 4, 0x18: 8 };

/** Helpers the fuzz programs may call: numbers in, numbers out, modeled for the interpreter. */
export const FUZZ_HELPERS: ReadonlyMap<number, HelperProto> = new Map([5, 7, 8].map((id) => [id, HELPER_PROTOS.get(id)!]));
function fuzzHelperFns(rng: Rng): Map<number, HelperFn> {
  return new Map<number, HelperFn>([
    [5, () => BigInt(rng.u32()) * 1000n],
    [7, () => BigInt(rng.u32())],
    [8, () => BigInt(rng.int(1024))],
  ]);
}

export interface FuzzCase {
  readonly seed: number;
  readonly insns: BpfInsn[];
  readonly memSize: number | undefined;
  /** the memory the program runs on (memSize bytes, or what the verifier asked for) */
  readonly fill: number;
}

/** A program of verifier-relevant shapes. R6 holds the memory throughout (R1 is clobbered by calls). */
export function shapedProgram(seed: number): FuzzCase {
  const r = new Rng(seed);
  const memSize = r.chance(0.2) ? undefined : r.range(1, 96);
  const m = memSize ?? r.range(8, 64);
  const out: BpfInsn[] = [I(0xbf, 6, 1)]; // r6 = r1
  // scalars live in these; R8 is the pointer scratch, R9 the loop counter
  const regs = [2, 3, 4, 5, 7];
  // most registers and the top of the stack start out written (so that not every case is an uninitialized read)
  for (const x of regs) if (r.chance(0.97)) out.push(I(0xb7, x, 0, 0, r.range(0, m + 4)));
  const window = 64;
  for (let off = 8; off <= window; off += 8) out.push(I(0x7a, 10, 0, -off, r.range(0, 255)));
  // mostly inside the written window (at least `size` below the frame pointer), sometimes anywhere
  const stackOff = (size = 1): number => (r.chance(0.92) ? r.range(size, Math.max(size, window)) : r.range(1, 520));
  const reg = (): number => r.pick(regs);
  // mostly a valid offset, sometimes just past one end
  const near = (n: number): number => (r.chance(0.85) ? r.range(Math.max(0, n - 10), n) : r.range(-4, n + 8));
  const mask = (): number => r.pick([1, 3, 7, 15, 31, 63, 0x7f, 0xff, m - 1, m, r.range(0, 300)]);
  const statements = r.range(2, 9);
  const pendingJumps: { at: number; left: number }[] = [];
  let inLoop = false;
  for (let i = 0; i < statements; i++) {
    const before = out.length;
    const kind = r.int(14);
    const x = reg();
    const z = reg();
    const y = 8;
    const size = r.pick(SIZES);
    const sb = SIZE_BYTES[size]!;
    switch (kind) {
      case 0: // load from the memory at a constant offset
        out.push(I(0x61 | size, x, 6, near(m - sb)));
        break;
      case 1: // mask
        out.push(I(0x57, x, 0, 0, mask()));
        break;
      case 2: {
        // bounds check skipping the next statement(s)
        const op = r.pick([0x25, 0x35, 0xa5, 0xb5, 0x65, 0xc5, 0x15, 0x55]); // jgt jge jlt jle jsgt jslt jeq jne (imm)
        out.push(I(op, x, 0, 0, near(m)));
        pendingJumps.push({ at: out.length - 1, left: r.range(1, 3) });
        break;
      }
      case 3: // pointer = memory + index, then an access (the index usually masked first)
        if (r.chance(0.6)) out.push(I(0x57, x, 0, 0, r.pick([1, 3, 7, 15, 31, m - 1])));
        out.push(I(0xbf, y, 6), I(0x0f, y, x), r.chance(0.7) ? I(0x61 | size, x, y, r.range(-2, 4)) : I(0x63 | size, y, x, r.range(-2, 4)));
        break;
      case 4: // stack store
        out.push(r.chance(0.5) ? I(0x62 | size, 10, 0, -stackOff(sb), r.i32()) : I(0x63 | size, 10, x, -stackOff(sb)));
        break;
      case 5: // stack load
        out.push(I(0x61 | size, x, 10, -stackOff(sb)));
        break;
      case 6: // variable stack access, the index usually masked first
        if (r.chance(0.7)) out.push(I(0x57, x, 0, 0, r.pick([1, 3, 7, 15, 31])));
        out.push(I(0xbf, y, 10), I(0x07, y, 0, 0, -stackOff(40)), I(0x0f, y, x), r.chance(0.5) ? I(0x61 | size, x, y, 0) : I(0x63 | size, y, x, 0));
        break;
      case 7: {
        // ALU
        const op = r.pick([0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xc0, 0xb0]);
        const wide = r.chance(0.7) ? 0x07 : 0x04;
        out.push(r.chance(0.5) ? I(wide | op, x, 0, 0, r.chance(0.5) ? r.range(0, 70) : r.i32()) : I(wide | op | 0x08, x, z));
        break;
      }
      case 8: // two registers compared
        out.push(I(r.pick([0x2d, 0xad, 0x6d, 0x1d, 0x5d]), x, z, 0));
        pendingJumps.push({ at: out.length - 1, left: r.range(1, 2) });
        break;
      case 9: {
        // a bounded (or not) loop over the memory
        if (inLoop) break;
        inLoop = true;
        const c = 9;
        const n = r.chance(0.8) ? r.range(1, Math.max(1, m)) : r.range(1, 400);
        out.push(I(0xb7, c, 0, 0, 0));
        const head = out.length;
        out.push(I(0xbf, y, 6), I(0x0f, y, c), I(0x71, x, y, 0), I(0x07, c, 0, 0, r.chance(0.9) ? 1 : 0));
        out.push(I(0xa5, c, 0, head - (out.length + 1), n)); // if c < n goto head
        inLoop = false;
        break;
      }
      case 10: // spill and fill a pointer
        {
          const slot = -8 * r.range(1, 8);
          out.push(I(0x7b, 10, r.chance(0.8) ? 6 : 10, slot), I(0x79, y, 10, r.chance(0.8) ? slot : -8 * r.range(1, 64)));
        }
        break;
      case 11: // atomic add
        out.push(I(0xc3 | (r.chance(0.5) ? 0x18 : 0x00), r.chance(0.5) ? 10 : 6, x, r.chance(0.5) ? -8 * r.range(1, 8) : 8 * r.range(0, 4), r.pick([0x00, 0x01])));
        break;
      case 12: // a helper call (clobbers R1-R5)
        out.push(I(0x85, 0, 0, 0, r.pick([5, 7, 8])));
        out.push(I(0xbf, x, 0));
        for (const a of [2, 3, 4, 5]) if (a !== x && r.chance(0.95)) out.push(I(0xb7, a, 0, 0, r.range(0, m)));
        break;
      default: // constant
        out.push(I(0xb7, x, 0, 0, r.chance(0.5) ? r.range(0, m + 8) : r.i32()));
    }
    // resolve forward jumps whose target is reached
    for (const j of pendingJumps) {
      if (out.length > before) j.left--;
    }
    for (let k = pendingJumps.length - 1; k >= 0; k--) {
      const j = pendingJumps[k]!;
      if (j.left <= 0) {
        out[j.at] = { ...out[j.at]!, off: out.length - j.at - 1 };
        pendingJumps.splice(k, 1);
      }
    }
  }
  for (const j of pendingJumps) out[j.at] = { ...out[j.at]!, off: out.length - j.at - 1 };
  out.push(r.chance(0.8) ? I(0xbf, 0, reg()) : I(0xb7, 0, 0, 0, 0));
  out.push(I(0x95));
  return { seed, insns: out, memSize, fill: m };
}

const OPCODES = [...OPCODE_TABLE.keys()];

/** Random edits: fields, opcodes, inserted and deleted slots, jump offsets. */
export function mutate(insns: readonly BpfInsn[], rng: Rng): BpfInsn[] {
  const out = insns.map((i) => ({ ...i }));
  const edits = rng.range(1, 3);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = rng.int(out.length);
    const insn = out[at]!;
    switch (rng.int(8)) {
      case 0:
        insn.imm = rng.chance(0.5) ? insn.imm + rng.range(-8, 8) : rng.i32();
        break;
      case 1:
        insn.off = rng.chance(0.5) ? insn.off + rng.range(-8, 8) : rng.range(-600, 600);
        break;
      case 2:
        insn.dst = rng.int(rng.chance(0.9) ? 11 : 16);
        break;
      case 3:
        insn.src = rng.int(rng.chance(0.9) ? 11 : 16);
        break;
      case 4:
        insn.code = rng.pick(OPCODES);
        break;
      case 5:
        out.splice(at, 0, { code: rng.pick(OPCODES), dst: rng.int(11), src: rng.int(11), off: rng.range(-4, 4), imm: rng.range(-64, 64) });
        break;
      case 6:
        out.splice(at, 1);
        break;
      default:
        insn.code = rng.int(256);
    }
    insn.off = Math.max(-0x8000, Math.min(0x7fff, insn.off));
    insn.imm = insn.imm | 0;
  }
  return out;
}

export type FuzzOutcome =
  /** sandboxRan: sandbox mode accepted it, and its runs ended as they may */
  | { readonly kind: 'rejected'; readonly sandboxRan?: true }
  | { readonly kind: 'accepted'; readonly ran: boolean }
  | { readonly kind: 'verifier-crash'; readonly error: unknown }
  | { readonly kind: 'unsound'; readonly why: string };

/**
 * Second bases for the memory, the stack frames and function addresses, so that a result that
 * depends on where any of them is shows up as a difference between the two runs. (Leaks used to
 * be guessed from a value's range, which a computed number can hit: seeds 809609, 757615 and
 * 784625 built STACK_TOP and CODE_BASE exactly from bytes on the stack.) The second bases differ
 * in their low bits too, so a masked address still differs.
 */
const OTHER_MEM_BASE = MEM_BASE * 3n;
const OTHER_STACK_BASE = 0x0000_5a5a_5a12_3400n;
const OTHER_CODE_BASE = 0x0000_6c6c_0001_2340n;

/**
 * Verify one program and, when accepted, run it in the interpreter on memory of the proven
 * size, twice, with the memory at two different addresses: the results (R0 and the memory's
 * final bytes) must not differ, else an address leaked into them.
 * Then the same in the verifier's sandbox mode (checkSandboxMode).
 */
export function checkCase(insns: readonly BpfInsn[], options: VerifyOptions, memSize: number, rng: Rng, verify = true): FuzzOutcome {
  const normal = checkNormal(insns, options, memSize, rng, verify);
  if (!verify || normal.kind === 'verifier-crash' || normal.kind === 'unsound') return normal;
  const boxed = checkSandboxMode(insns, options, memSize, rng, normal.kind === 'accepted');
  if (boxed === 'ran') return { kind: 'rejected', sandboxRan: true };
  return boxed ?? normal;
}

/**
 * The same program in the verifier's sandbox mode (what `--sandbox` runs first): it may only
 * throw BpfVerifierError; it accepts whatever normal mode accepts (it only leaves more to run
 * time); and a program it accepts that normal mode refused runs in the interpreter (every
 * access checked against the regions, a budget) twice, with the memory, the stack and the
 * functions at two bases: each run ends normally or with a BpfSandboxError or BpfBudgetError,
 * never anything else, and both runs end the same way (else an address leaked). Undefined or
 * 'ran' (it was run): no problem.
 */
function checkSandboxMode(insns: readonly BpfInsn[], options: VerifyOptions, memSize: number, rng: Rng, normalAccepted: boolean): FuzzOutcome | 'ran' | undefined {
  let needed: number;
  try {
    needed = verifyProgram(insns, { helpers: FUZZ_HELPERS, maxProcessed: 50_000, ...options, sandbox: true }).memSize;
  } catch (e) {
    if (!(e instanceof BpfVerifierError)) return { kind: 'verifier-crash', error: e };
    return normalAccepted ? { kind: 'unsound', why: `sandbox mode refused a program normal mode accepts: ${e.message}` } : undefined;
  }
  // accepted by normal mode too: proven, and run above
  if (normalAccepted) return undefined;
  // the memory the case has: what sandbox mode would prove it needs can be anything, since
  // the run-time checks stop what goes past it (seed 1,191,080 "needed" a memory too large
  // to print)
  const size = options.memSize ?? Math.min(needed > 0 ? needed : memSize, Math.max(memSize, 4096));
  const seed = rng.u32();
  const bytes = Uint8Array.from({ length: size }, () => rng.int(256));
  const run = (base: bigint, moved: boolean): string => {
    const mem = Uint8Array.from(bytes);
    const memory = new Memory();
    if (mem.length > 0) memory.addRegion('mem', mem, { base });
    const elsewhere = moved ? { stackMemory: { bytes: new Uint8Array(MAX_CALL_FRAMES * STACK_FRAME_SIZE), base: OTHER_STACK_BASE }, codeBase: OTHER_CODE_BASE } : {};
    try {
      // a loop left to the budget may run long: a small budget keeps the fuzz's time (the shaped
      // programs are short; an accepted one that runs longer stops with a BpfBudgetError)
      const r = interpret(insns, { memory, args: [mem.length > 0 ? base : 0n, BigInt(mem.length)], helpers: fuzzHelperFns(new Rng(seed)), validate: false, maxInstructions: 2_000, ...elsewhere });
      return `R0 = 0x${r.value.toString(16)}, memory ${Buffer.from(mem).toString('hex')}`;
    } catch (e) {
      if (e instanceof BpfSandboxError || e instanceof BpfBudgetError) return `${e.name} at pc ${e.pc}`;
      throw new Error(`sandbox mode accepted, then the run threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  };
  try {
    const a = run(MEM_BASE, false);
    const b = run(OTHER_MEM_BASE, true);
    if (a !== b) return { kind: 'unsound', why: `sandbox mode accepted, and the runs depend on the address of the memory, the stack or a function (${a} / ${b})` };
    return 'ran';
  } catch (e) {
    return { kind: 'unsound', why: e instanceof Error ? e.message : String(e) };
  }
}

function checkNormal(insns: readonly BpfInsn[], options: VerifyOptions, memSize: number, rng: Rng, verify: boolean): FuzzOutcome {
  let needed = 0;
  try {
    if (verify) needed = verifyProgram(insns, { helpers: FUZZ_HELPERS, maxProcessed: 50_000, ...options }).memSize;
  } catch (e) {
    if (e instanceof BpfVerifierError) return { kind: 'rejected' };
    return { kind: 'verifier-crash', error: e };
  }
  const size = options.memSize ?? (needed > 0 ? needed : memSize);
  const seed = rng.u32();
  const bytes = Uint8Array.from({ length: size }, () => rng.int(256));
  const run = (base: bigint, moved: boolean): { value: bigint; mem: Uint8Array } => {
    const helperRng = new Rng(seed);
    const mem = Uint8Array.from(bytes);
    const memory = new Memory();
    if (mem.length > 0) memory.addRegion('mem', mem, { base });
    const elsewhere = moved ? { stackMemory: { bytes: new Uint8Array(MAX_CALL_FRAMES * STACK_FRAME_SIZE), base: OTHER_STACK_BASE }, codeBase: OTHER_CODE_BASE } : {};
    const r = interpret(insns, { memory, args: [mem.length > 0 ? base : 0n, BigInt(mem.length)], helpers: fuzzHelperFns(helperRng), validate: false, maxInstructions: 1_000_000, ...elsewhere });
    return { value: r.value, mem };
  };
  try {
    const a = run(MEM_BASE, false);
    const b = run(OTHER_MEM_BASE, true);
    if (a.value !== b.value) return { kind: 'unsound', why: `R0 depends on the address of the memory, the stack or a function (0x${a.value.toString(16)} / 0x${b.value.toString(16)})` };
    if (!a.mem.every((x, i) => x === b.mem[i])) return { kind: 'unsound', why: "the memory's final bytes depend on the address of the memory, the stack or a function" };
    return { kind: 'accepted', ran: true };
  } catch (e) {
    if (e instanceof BpfRuntimeError) return { kind: 'unsound', why: e.message };
    return { kind: 'unsound', why: `interpreter threw ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Case `seed` of the whole fuzz: a shaped program, mutated or not, or a generator program. */
export function fuzzCase(seed: number): { insns: BpfInsn[]; options: VerifyOptions; memSize: number } {
  const rng = new Rng(seed ^ 0x5a5a5a5a);
  if (seed % 25 === 24) {
    // a program of the JIT fuzz generator: all the instruction forms, calls, stack arguments
    const g = generateProgram(seed, { mainStatements: 5, maxFunctions: 2 });
    const insns = rng.chance(0.5) ? mutate(g.insns, rng) : g.insns;
    return { insns, options: { memSize: FUZZ_MEM_SIZE, maxCombinedStack: Infinity }, memSize: FUZZ_MEM_SIZE };
  }
  const c = shapedProgram(seed);
  const insns = rng.chance(0.25) ? mutate(c.insns, rng) : c.insns;
  return { insns, options: c.memSize === undefined ? {} : { memSize: c.memSize }, memSize: c.fill };
}
