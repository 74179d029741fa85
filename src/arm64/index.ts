/**
 * a64jit AArch64 assembler and disassembler. Knows nothing of BPF.
 *
 * Encoders are pure functions returning one 32-bit instruction word; they validate every operand
 * and throw `A64EncodeError` (mnemonic + operand) rather than emit wrong bits:
 *
 *   addImm(X0, SP, 16)                 add x0, sp, #16
 *   subReg(W1, W2, W3, 'lsl', 4)       sub w1, w2, w3, lsl #4
 *   orrImm(X0, XZR, 0x5555555555555555n)
 *   ldr(X0, mem(X1, 8)) / str(W2, preIndex(SP, -16)) / ldrb(W3, memIndex(X1, X2))
 *   ldadd(X1, X2, X3, 'acq_rel')       ldaddal x1, x2, [x3]
 *
 * Registers (registers.ts) carry their width; X0..X30/W0..W30, XZR/WZR and SP/WSP are distinct
 * values, and each encoder checks whether register 31 may be SP or ZR in that slot.
 *
 * `Assembler` (code-buffer.ts) collects words and resolves labels:
 *
 *   const a = new Assembler();
 *   const done = a.newLabel();
 *   a.emit(cmpImm(X0, 0));
 *   a.bCond(Cond.EQ, done);            // forward reference, patched by bind()
 *   a.materialize(X0, 0x1234_5678_9abc_def0n);
 *   a.bind(done);
 *   a.emit(ret());
 *   const code: Uint8Array = a.finish(); // throws A64LabelError on unbound labels
 *
 * Out-of-reach branches throw `A64BranchRangeError` (carrying distance and reach): at emission
 * for a bound (backward) label, at `bind()` for a forward one, leaving the buffer unchanged.
 * To relax, ask first -- `a.canReach('imm19', label)` for bound labels, `branchInRange(field,
 * bytes)` with the JIT's own bound on a forward distance -- and emit e.g. `b.<inverted cond>`
 * over an unconditional `b` (`invertCond`). Reach: B/BL +-128 MiB, B.cond/CBZ/CBNZ/ADR
 * +-1 MiB, TBZ/TBNZ +-32 KiB (`BRANCH_FIELDS`).
 *
 * `materialize(rd, value, width?)` returns the shortest MOVZ/MOVN/MOVK/ORR sequence for any
 * 32- or 64-bit constant (never longer than gcc -O2); `Assembler.materialize` emits it.
 * `encodeLogicalImmediate`/`decodeLogicalImmediate` convert bitmask immediates of both widths.
 *
 * `disassemble(word, address)` / `disassembleBytes(code, base)` print what llvm-objdump prints
 * for every instruction the encoders produce (aliases, hex immediates, absolute targets).
 */
export * from './errors.js';
export * from './registers.js';
export * from './conditions.js';
export * from './logical-immediate.js';
export * from './data-processing.js';
export * from './load-store.js';
export * from './branches.js';
export * from './system.js';
export * from './fp-simd.js';
export * from './materialize.js';
export * from './code-buffer.js';
export * from './disassembler.js';
