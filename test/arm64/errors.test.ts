/**
 * Invalid operands throw A64EncodeError naming the instruction and the operand. Where the same
 * request can be written as assembly, llvm-mc-22 must reject that text too: proof that the case
 * really is unencodable (and not just refused by us).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as A from '../../src/arm64/index.js';
import { LLVM_MC, MC_ARGS, hasTool } from './llvm-oracle.js';

const { A64BranchRangeError, A64EncodeError, Cond, X0, X1, X2, X3, W0, W1, W2, SP, WSP, XZR, mem, preIndex, memIndex } = A;
const [S0, D1] = [A.sreg(0), A.dreg(1)];

interface Case {
  readonly call: () => unknown;
  readonly mnemonic: string;
  readonly operand: string;
  /** The same request as assembly; llvm-mc must reject it. */
  readonly asm?: string;
}

const CASES: readonly Case[] = [
  { call: () => A.addImm(X0, X1, 4097), mnemonic: 'add', operand: 'imm', asm: 'add x0, x1, #4097' },
  { call: () => A.addImm(X0, X1, -1), mnemonic: 'add', operand: 'imm' },
  { call: () => A.addImm(XZR, X1, 1), mnemonic: 'add', operand: 'rd', asm: 'add xzr, x1, #1' },
  { call: () => A.addsImm(SP, X1, 1), mnemonic: 'adds', operand: 'rd', asm: 'adds sp, x1, #1' },
  { call: () => A.addImm(X0, XZR, 1), mnemonic: 'add', operand: 'rn', asm: 'add x0, xzr, #1' },
  { call: () => A.addImm(X0, X1, 1, 8 as 12), mnemonic: 'add', operand: 'shift', asm: 'add x0, x1, #1, lsl #8' },
  { call: () => A.addReg(X0, X1, SP), mnemonic: 'add', operand: 'rm', asm: 'add x0, x1, sp' },
  { call: () => A.subReg(X0, W1, X2), mnemonic: 'sub', operand: 'rn', asm: 'sub x0, w1, x2' },
  { call: () => A.addReg(X0, X1, X2, 'ror', 1), mnemonic: 'add', operand: 'shift', asm: 'add x0, x1, x2, ror #1' },
  { call: () => A.addReg(W0, W1, W2, 'lsl', 32), mnemonic: 'add', operand: 'amount', asm: 'add w0, w1, w2, lsl #32' },
  { call: () => A.addExt(X0, X1, X2, 'uxtw'), mnemonic: 'add', operand: 'rm', asm: 'add x0, x1, x2, uxtw' },
  { call: () => A.addExt(X0, X1, W2, 'uxtw', 5), mnemonic: 'add', operand: 'amount', asm: 'add x0, x1, w2, uxtw #5' },
  { call: () => A.cmpImm(XZR, 1), mnemonic: 'cmp', operand: 'rn', asm: 'cmp xzr, #1' },
  { call: () => A.neg(SP, X1), mnemonic: 'neg', operand: 'rd', asm: 'neg sp, x1' },
  { call: () => A.andImm(X0, X1, 0n), mnemonic: 'and', operand: 'imm', asm: 'and x0, x1, #0' },
  { call: () => A.andImm(X0, X1, -1n), mnemonic: 'and', operand: 'imm', asm: 'and x0, x1, #-1' },
  { call: () => A.andImm(W0, W1, 0x100000000n), mnemonic: 'and', operand: 'imm', asm: 'and w0, w1, #0x100000000' },
  { call: () => A.orrImm(X0, X1, 0x12345n), mnemonic: 'orr', operand: 'imm', asm: 'orr x0, x1, #0x12345' },
  { call: () => A.andsImm(SP, X1, 1n), mnemonic: 'ands', operand: 'rd', asm: 'ands sp, x1, #1' },
  { call: () => A.eorImm(X0, SP, 1n), mnemonic: 'eor', operand: 'rn', asm: 'eor x0, sp, #1' },
  { call: () => A.orrReg(X0, X1, X2, 'lsl', 64), mnemonic: 'orr', operand: 'amount', asm: 'orr x0, x1, x2, lsl #64' },
  { call: () => A.movz(X0, 0x10000), mnemonic: 'movz', operand: 'imm', asm: 'movz x0, #0x10000' },
  { call: () => A.movz(W0, 1, 32), mnemonic: 'movz', operand: 'shift', asm: 'movz w0, #1, lsl #32' },
  { call: () => A.movk(X0, 1, 8), mnemonic: 'movk', operand: 'shift', asm: 'movk x0, #1, lsl #8' },
  { call: () => A.movn(SP, 1), mnemonic: 'movn', operand: 'rd', asm: 'movn sp, #1' },
  { call: () => A.mov(X0, W1), mnemonic: 'mov', operand: 'rm', asm: 'mov x0, w1' },
  { call: () => A.mov(SP, XZR), mnemonic: 'mov', operand: 'rn', asm: 'mov sp, xzr' },
  { call: () => A.mul(X0, X1, SP), mnemonic: 'mul', operand: 'rm', asm: 'mul x0, x1, sp' },
  { call: () => A.umulh(W0 as unknown as A.XReg, W1 as unknown as A.XReg, W2 as unknown as A.XReg), mnemonic: 'umulh', operand: 'rd', asm: 'umulh w0, w1, w2' },
  { call: () => A.udiv(W0, X1, W2), mnemonic: 'udiv', operand: 'rn', asm: 'udiv w0, x1, w2' },
  { call: () => A.lslImm(X0, X1, 64), mnemonic: 'lsl', operand: 'shift', asm: 'lsl x0, x1, #64' },
  { call: () => A.asrImm(W0, W1, 32), mnemonic: 'asr', operand: 'shift', asm: 'asr w0, w1, #32' },
  { call: () => A.ubfx(X0, X1, 60, 5), mnemonic: 'ubfx', operand: 'width', asm: 'ubfx x0, x1, #60, #5' },
  { call: () => A.bfi(W0, W1, 0, 0), mnemonic: 'bfi', operand: 'width', asm: 'bfi w0, w1, #0, #0' },
  { call: () => A.extr(X0, X1, X2, 64), mnemonic: 'extr', operand: 'lsb', asm: 'extr x0, x1, x2, #64' },
  { call: () => A.sxtw(W0 as unknown as A.XReg, W1), mnemonic: 'sxtw', operand: 'rd', asm: 'sxtw w0, w1' },
  // llvm-mc also takes `sxtb x0, x1` (a GNU spelling); the ARM ARM form has a W source, which we require.
  { call: () => A.sxtb(X0, X1 as unknown as A.WReg), mnemonic: 'sxtb', operand: 'rn' },
  { call: () => A.rev32(W0 as unknown as A.XReg, W1 as unknown as A.XReg), mnemonic: 'rev32', operand: 'rd', asm: 'rev32 w0, w1' },
  { call: () => A.cset(X0, Cond.AL), mnemonic: 'cset', operand: 'cond', asm: 'cset x0, al' },
  { call: () => A.cinc(X0, X1, Cond.NV), mnemonic: 'cinc', operand: 'cond', asm: 'cinc x0, x1, nv' },
  { call: () => A.csel(X0, X1, SP, Cond.EQ), mnemonic: 'csel', operand: 'rm', asm: 'csel x0, x1, sp, eq' },
  { call: () => A.ldr(X0, mem(X1, 32761)), mnemonic: 'ldr', operand: 'offset', asm: 'ldr x0, [x1, #32761]' },
  { call: () => A.ldr(X0, mem(X1, 32768)), mnemonic: 'ldr', operand: 'offset', asm: 'ldr x0, [x1, #32768]' },
  { call: () => A.ldrh(W0, mem(X1, -257)), mnemonic: 'ldrh', operand: 'offset', asm: 'ldrh w0, [x1, #-257]' },
  { call: () => A.ldr(X0, mem(XZR)), mnemonic: 'ldr', operand: 'base', asm: 'ldr x0, [xzr]' },
  { call: () => A.str(X0, mem(W1)), mnemonic: 'str', operand: 'base', asm: 'str x0, [w1]' },
  { call: () => A.ldrb(X0, mem(X1)), mnemonic: 'ldrb', operand: 'rt', asm: 'ldrb x0, [x1]' },
  { call: () => A.ldrsw(W0 as unknown as A.XReg, mem(X1)), mnemonic: 'ldrsw', operand: 'rt', asm: 'ldrsw w0, [x1]' },
  { call: () => A.ldr(SP, mem(X1)), mnemonic: 'ldr', operand: 'rt', asm: 'ldr sp, [x1]' },
  { call: () => A.ldr(X0, preIndex(X0, 8)), mnemonic: 'ldr', operand: 'rt', asm: 'ldr x0, [x0, #8]!' },
  { call: () => A.ldr(X0, preIndex(X1, 256)), mnemonic: 'ldr', operand: 'offset', asm: 'ldr x0, [x1, #256]!' },
  { call: () => A.ldr(X0, memIndex(X1, W2, 'lsl')), mnemonic: 'ldr', operand: 'index', asm: 'ldr x0, [x1, w2]' },
  { call: () => A.ldr(X0, memIndex(X1, X2, 'uxtw')), mnemonic: 'ldr', operand: 'index', asm: 'ldr x0, [x1, x2, uxtw]' },
  { call: () => A.ldr(X0, memIndex(X1, SP)), mnemonic: 'ldr', operand: 'index', asm: 'ldr x0, [x1, sp]' },
  { call: () => A.ldur(X0, mem(X1, 256)), mnemonic: 'ldur', operand: 'offset', asm: 'ldur x0, [x1, #256]' },
  { call: () => A.ldr(A.qreg(0), mem(X1, 65536)), mnemonic: 'ldr', operand: 'offset', asm: 'ldr q0, [x1, #65536]' },
  { call: () => A.ldp(X0, X1, mem(X2, 4)), mnemonic: 'ldp', operand: 'offset', asm: 'ldp x0, x1, [x2, #4]' },
  { call: () => A.stp(X0, X1, mem(X2, 512)), mnemonic: 'stp', operand: 'offset', asm: 'stp x0, x1, [x2, #512]' },
  { call: () => A.ldp(X0, X0, mem(X2)), mnemonic: 'ldp', operand: 'rt2', asm: 'ldp x0, x0, [x2]' },
  { call: () => A.ldp(X0, W1, mem(X2)), mnemonic: 'ldp', operand: 'rt2', asm: 'ldp x0, w1, [x2]' },
  { call: () => A.ldp(X0, X1, preIndex(X0, 16)), mnemonic: 'ldp', operand: 'rt', asm: 'ldp x0, x1, [x0, #16]!' },
  { call: () => A.stp(X0, X1, A.postIndex(X1, 16)), mnemonic: 'stp', operand: 'rt2', asm: 'stp x0, x1, [x1], #16' },
  { call: () => A.ldp(A.dreg(0), S0, mem(X2)), mnemonic: 'ldp', operand: 'rt2', asm: 'ldp d0, s0, [x2]' },
  { call: () => A.ldp(A.breg(0), A.breg(1), mem(X2)), mnemonic: 'ldp', operand: 'rt', asm: 'ldp b0, b1, [x2]' },
  { call: () => A.ldp(X0, X1, memIndex(X2, X3)), mnemonic: 'ldp', operand: 'address', asm: 'ldp x0, x1, [x2, x3]' },
  { call: () => A.stxr(W0, X0, X1), mnemonic: 'stxr', operand: 'ws', asm: 'stxr w0, x0, [x1]' },
  { call: () => A.stlxr(W1, W0, X1), mnemonic: 'stlxr', operand: 'ws', asm: 'stlxr w1, w0, [x1]' },
  { call: () => A.stxr(X0, X1, X2), mnemonic: 'stxr', operand: 'ws', asm: 'stxr x0, x1, [x2]' },
  { call: () => A.ldxr(X0, X1, 1), mnemonic: 'ldxrb', operand: 'rt', asm: 'ldxrb x0, [x1]' },
  { call: () => A.ldar(W0, XZR), mnemonic: 'ldar', operand: 'base', asm: 'ldar w0, [xzr]' },
  { call: () => A.ldadd(X0, W1, X2), mnemonic: 'ldadd', operand: 'rt', asm: 'ldadd x0, w1, [x2]' },
  { call: () => A.swp(X0, X1, X2, 'acq_rel', 2), mnemonic: 'swpalh', operand: 'rs', asm: 'swpalh x0, x1, [x2]' },
  { call: () => A.stadd(X0, X1, 'acquire' as 'release'), mnemonic: 'stadd', operand: 'order', asm: 'stadda x0, [x1]' },
  { call: () => A.cas(W0, W1, XZR), mnemonic: 'cas', operand: 'base', asm: 'cas w0, w1, [xzr]' },
  { call: () => A.b(2), mnemonic: 'b', operand: 'target', asm: 'b #2' },
  { call: () => A.b(1 << 27), mnemonic: 'b', operand: 'target', asm: 'b #134217728' },
  { call: () => A.bl(-(1 << 27) - 4), mnemonic: 'bl', operand: 'target', asm: 'bl #-134217732' },
  { call: () => A.bCond(Cond.EQ, 1 << 20), mnemonic: 'b.eq', operand: 'target', asm: 'b.eq #1048576' },
  { call: () => A.cbz(X0, -(1 << 20) - 4), mnemonic: 'cbz', operand: 'target', asm: 'cbz x0, #-1048580' },
  { call: () => A.cbnz(SP, 0), mnemonic: 'cbnz', operand: 'rt', asm: 'cbnz sp, #0' },
  { call: () => A.tbz(X0, 1, 32768), mnemonic: 'tbz', operand: 'target', asm: 'tbz x0, #1, #32768' },
  { call: () => A.tbnz(W0, 32, 0), mnemonic: 'tbnz', operand: 'bit', asm: 'tbnz w0, #32, #0' },
  { call: () => A.br(W0 as unknown as A.XReg), mnemonic: 'br', operand: 'rn', asm: 'br w0' },
  { call: () => A.blr(SP), mnemonic: 'blr', operand: 'rn', asm: 'blr sp' },
  { call: () => A.adr(X0, 1 << 20), mnemonic: 'adr', operand: 'target', asm: 'adr x0, #1048576' },
  { call: () => A.adr(SP, 0), mnemonic: 'adr', operand: 'rd', asm: 'adr sp, #0' },
  { call: () => A.adrp(X0, 4097), mnemonic: 'adrp', operand: 'target', asm: 'adrp x0, #4097' },
  { call: () => A.adrp(X0, 2 ** 32), mnemonic: 'adrp', operand: 'target', asm: 'adrp x0, #4294967296' },
  { call: () => A.dmb(16), mnemonic: 'dmb', operand: 'option', asm: 'dmb #16' },
  { call: () => A.dsb('osx' as A.BarrierOption), mnemonic: 'dsb', operand: 'option', asm: 'dsb osx' },
  { call: () => A.hint(128), mnemonic: 'hint', operand: 'imm', asm: 'hint #128' },
  { call: () => A.brk(65536), mnemonic: 'brk', operand: 'imm', asm: 'brk #65536' },
  { call: () => A.fmov(W0, D1), mnemonic: 'fmov', operand: 'rd', asm: 'fmov w0, d1' },
  { call: () => A.fmov(A.qreg(0), X1), mnemonic: 'fmov', operand: 'rd', asm: 'fmov q0, x1' },
  { call: () => A.fadd(S0, A.sreg(1), A.dreg(2)), mnemonic: 'fadd', operand: 'rm', asm: 'fadd s0, s1, d2' },
  { call: () => A.str(WSP, mem(X1)), mnemonic: 'str', operand: 'rt', asm: 'str wsp, [x1]' },
  { call: () => A.addImm(X0, X1, 1.5), mnemonic: 'add', operand: 'imm', asm: 'add x0, x1, #1.5' },
];

describe('invalid operands', () => {
  it.each(CASES.map((c) => [`${c.mnemonic} ${c.operand}: ${c.asm ?? '(no assembly form)'}`, c] as const))('%s', (_, c) => {
    let err: unknown;
    try {
      c.call();
    } catch (e) {
      err = e;
    }
    expect(err, 'no error thrown').toBeInstanceOf(A64EncodeError);
    const e = err as A.A64EncodeError;
    expect([e.mnemonic, e.operand]).toEqual([c.mnemonic, c.operand]);
    expect(e.message).toContain(c.mnemonic);
    expect(e.message).toContain(c.operand);
  });

  it('reports branch distances as A64BranchRangeError with the distance and reach', () => {
    const e = (() => {
      try {
        A.tbz(X0, 1, 40000);
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(A64BranchRangeError);
    expect((e as A.A64BranchRangeError).distance).toBe(40000);
    expect((e as A.A64BranchRangeError).limit).toBe(32 * 1024);
    expect((e as Error).message).toMatch(/tbz: operand target: distance 40000 bytes is out of range/);
  });

  it.skipIf(!hasTool(LLVM_MC))('are rejected by llvm-mc-22 as well, every one', () => {
    const lines = CASES.flatMap((c) => (c.asm ? [c.asm] : []));
    const dir = mkdtempSync(join(tmpdir(), 'a64err-'));
    try {
      const file = join(dir, 'bad.s');
      writeFileSync(file, lines.join('\n') + '\n');
      const r = spawnSync(LLVM_MC, [...MC_ARGS, '-show-encoding', file], { encoding: 'utf8' });
      const rejected = new Set([...r.stderr.matchAll(/bad\.s:(\d+):\d+: error:/g)].map((m) => Number(m[1])));
      const accepted = lines.filter((_, i) => !rejected.has(i + 1));
      expect(accepted, 'llvm-mc accepted what we refuse').toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
