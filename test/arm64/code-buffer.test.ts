/**
 * Assembler labels and fixups. A random program of label-taking instructions is compared with
 * what llvm-mc-22 assembles from the same text with real labels; range limits are probed at the
 * exact boundaries of each field.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as A from '../../src/arm64/index.js';
import { rng } from './corpus.js';
import { LLVM_MC, MC_ARGS, hasTool, llvmMcEncode } from './llvm-oracle.js';

const { Assembler, A64BranchRangeError, A64LabelError, Cond, X0, X3, W7, nop } = A;

function fill(a: A.Assembler, words: number): void {
  for (let i = 0; i < words; i++) a.emit(nop());
}

describe('Assembler', () => {
  it.skipIf(!hasTool(LLVM_MC))('assembles a random labelled program exactly like llvm-mc', () => {
    const r = rng(7);
    const a = new Assembler();
    const labels = Array.from({ length: 40 }, () => a.newLabel());
    const unbound = new Set(labels.map((_, i) => i));
    const lines: string[] = [];
    for (let step = 0; step < 600; step++) {
      const x = r();
      if (x < 0.07 && unbound.size > 0) {
        const i = [...unbound][Math.floor(r() * unbound.size)]!;
        unbound.delete(i);
        a.bind(labels[i]!);
        lines.push(`L${i}:`);
        continue;
      }
      const li = Math.floor(r() * labels.length);
      const l = labels[li]!;
      const c = Math.floor(r() * 16) as A.Cond;
      switch (Math.floor(r() * 8)) {
        case 0: a.b(l); lines.push(`b L${li}`); break;
        case 1: a.bl(l); lines.push(`bl L${li}`); break;
        case 2: a.bCond(c, l); lines.push(`b.${A.condName(c)} L${li}`); break;
        case 3: a.cbz(X3, l); lines.push(`cbz x3, L${li}`); break;
        case 4: a.cbnz(W7, l); lines.push(`cbnz w7, L${li}`); break;
        case 5: a.tbz(X0, 33, l); lines.push(`tbz x0, #33, L${li}`); break;
        case 6: a.tbnz(W7, 5, l); lines.push(`tbnz w7, #5, L${li}`); break;
        default: a.adr(X0, l); lines.push(`adr x0, L${li}`); break;
      }
    }
    for (const i of unbound) {
      a.bind(labels[i]!);
      lines.push(`L${i}:`);
    }
    a.emit(nop());
    lines.push('nop');
    const code = a.finish();
    // llvm-mc resolves local labels within the section, so -show-encoding gives final bytes.
    const dir = mkdtempSync(join(tmpdir(), 'a64lbl-'));
    try {
      const src = join(dir, 'p.s');
      const obj = join(dir, 'p.o');
      writeFileSync(src, lines.join('\n') + '\n');
      const mc = spawnSync(LLVM_MC, [...MC_ARGS, '-filetype=obj', src, '-o', obj], { encoding: 'utf8' });
      expect(mc.status, mc.stderr).toBe(0);
      const dump = spawnSync('llvm-objdump-22', ['-d', '-z', obj], { encoding: 'utf8' }).stdout;
      const theirs = [...dump.matchAll(/^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s/gm)].map((m) => m[1]);
      const view = new DataView(code.buffer);
      const words = Array.from({ length: code.length / 4 }, (_, i) => view.getUint32(i * 4, true).toString(16).padStart(8, '0'));
      expect(words).toEqual(theirs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodes a backward branch at emission and a forward one at bind', () => {
    const a = new Assembler();
    const back = a.newLabel();
    const fwd = a.newLabel();
    a.bind(back);
    a.emit(nop());
    a.b(back);
    a.cbz(X0, fwd);
    expect(a.isBound(fwd)).toBe(false);
    fill(a, 3);
    a.bind(fwd);
    expect(a.labelOffset(fwd)).toBe(24);
    expect(a.wordAt(4)).toBe(A.b(-4));
    expect(a.wordAt(8)).toBe(A.cbz(X0, 16));
    expect(a.finish().length).toBe(24);
  });

  it('reaches exactly the documented limits, and not one instruction further', () => {
    const limits: [string, A.BranchField, (a: A.Assembler, l: A.Label) => void, number][] = [
      ['tbz', 'imm14', (a, l) => a.tbz(X0, 0, l), 32 * 1024],
      ['b.cond', 'imm19', (a, l) => a.bCond(Cond.NE, l), 1024 * 1024],
      ['cbnz', 'imm19', (a, l) => a.cbnz(X0, l), 1024 * 1024],
    ];
    for (const [name, field, emit, reach] of limits) {
      // Forward: the last reachable target is reach - 4 bytes ahead.
      const ok = new Assembler();
      const l1 = ok.newLabel();
      emit(ok, l1);
      fill(ok, reach / 4 - 2);
      ok.bind(l1);
      expect(ok.labelOffset(l1), name).toBe(reach - 4);

      const far = new Assembler();
      const l2 = far.newLabel();
      emit(far, l2);
      fill(far, reach / 4 - 1);
      const before = far.wordAt(0);
      expect(() => far.bind(l2)).toThrow(A64BranchRangeError);
      expect(far.wordAt(0), 'a failed bind must not patch').toBe(before);
      expect(far.isBound(l2)).toBe(false);

      // Backward: exactly -reach is reachable, one more word is not.
      const back = new Assembler();
      const l3 = back.newLabel();
      back.bind(l3);
      fill(back, reach / 4);
      expect(back.canReach(field, l3)).toBe(true);
      emit(back, l3);
      back.emit(nop());
      expect(back.canReach(field, l3)).toBe(false);
      let err: unknown;
      try {
        emit(back, l3);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(A64BranchRangeError);
      expect((err as A.A64BranchRangeError).distance).toBe(-reach - 8);
      expect((err as A.A64BranchRangeError).mnemonic).toBe(name === 'b.cond' ? 'b.ne' : name);
    }
  });

  it('reports B/BL reach without emitting 128 MiB', () => {
    expect(A.branchInRange('imm26', 128 * 1024 * 1024 - 4)).toBe(true);
    expect(A.branchInRange('imm26', 128 * 1024 * 1024)).toBe(false);
    expect(A.branchInRange('imm26', -128 * 1024 * 1024)).toBe(true);
    expect(A.branchInRange('imm26', -128 * 1024 * 1024 - 4)).toBe(false);
    expect(A.branchInRange('imm19', 2)).toBe(false);
    expect(() => A.bl(128 * 1024 * 1024)).toThrow(/bl: operand target: distance 134217728 bytes is out of range/);
  });

  it('refuses unbound labels at finish, double binds and foreign labels', () => {
    const a = new Assembler();
    const l = a.newLabel();
    a.b(l);
    expect(a.unboundReferences().map((x) => x.id)).toEqual([l.id]);
    expect(() => a.finish()).toThrow(A64LabelError);
    expect(() => a.finish()).toThrow(/unbound labels referenced: label 0 \(b at 0\)/);
    a.bind(l);
    expect(() => a.bind(l)).toThrow(/already bound/);
    const other = new Assembler();
    expect(() => other.b(l)).toThrow(/another assembler/);
    expect(a.finish().length).toBe(4);
  });

  it('an unreferenced unbound label is harmless; canReach is unknown for it', () => {
    const a = new Assembler();
    const l = a.newLabel();
    expect(a.canReach('imm19', l)).toBeUndefined();
    a.emit(nop());
    expect(a.finish().length).toBe(4);
  });

  it('grows, aligns, patches and returns little-endian bytes', () => {
    const a = new Assembler();
    a.emit(0x11223344);
    a.align(16);
    expect(a.offset).toBe(16);
    fill(a, 1000);
    a.patch(4, 0xd503201f);
    const bytes = a.finish();
    expect(bytes.length).toBe(16 + 4000);
    expect([...bytes.subarray(0, 4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(() => a.patch(2, 0)).toThrow(RangeError);
    expect(() => a.emit(2 ** 32)).toThrow(A.A64EncodeError);
    expect(a.materialize(X0, 0x1234_5678_9abc_def0n)).toBe(4);
  });

  it('llvm-mc agrees on a few fixed label-free encodings used above', () => {
    if (!hasTool(LLVM_MC)) return;
    expect(llvmMcEncode(['b #-4', 'cbz x0, #16'])).toEqual([A.b(-4), A.cbz(X0, 16)].map((w) => w.toString(16).padStart(8, '0')));
  });
});
