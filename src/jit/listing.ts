import { disassemble as disassembleA64 } from '../arm64/index.js';
import { BpfClass, BpfJmpOp, disassembleInsn, HELPER_NAMES, type BpfInsn } from '../bpf/index.js';
import type { CompiledProgram } from './compiler.js';
import { BPF_REG_AX } from './registers.js';

/** One line of a JIT listing: a heading (function, BPF instruction) or a machine instruction. */
export type ListingLine =
  | { readonly kind: 'function'; readonly index: number; readonly text: string }
  | { readonly kind: 'bpf'; readonly pc: number; readonly text: string }
  | { readonly kind: 'a64'; readonly address: bigint; readonly offset: number; readonly word: number; readonly text: string };

/**
 * Each BPF instruction followed by the AArch64 instructions it became, with prologues and
 * epilogues under their own headings. Addresses are absolute (the code's load address), as
 * objdump prints them, so branch targets in the text can be followed.
 */
export function listing(program: readonly BpfInsn[], compiled: CompiledProgram, base: bigint): ListingLine[] {
  const code = new DataView(compiled.code.buffer, compiled.code.byteOffset, compiled.code.byteLength);
  const out: ListingLine[] = [];
  const words = (from: number, to: number): void => {
    for (let off = from; off < to; off += 4) {
      const word = code.getUint32(off, true);
      const address = base + BigInt(off);
      out.push({ kind: 'a64', address, offset: off, word, text: disassembleA64(word, address) });
    }
  };
  compiled.info.functions.forEach((fn, i) => {
    out.push({ kind: 'function', index: fn.index, text: `func#${fn.index}${fn.index === 0 ? ' (entry)' : ''}, slots ${fn.start}..${fn.end - 1}` });
    const [pStart, pEnd] = compiled.prologues[i]!;
    out.push({ kind: 'bpf', pc: -1, text: 'prologue' });
    words(pStart, pEnd);
    for (let pc = fn.start; pc < fn.end; ) {
      const line = disassembleInsn(program, pc, {});
      const slots = line.slots;
      const from = compiled.pcOffsets[pc]!;
      const next = pc + slots;
      const to = next < fn.end ? compiled.pcOffsets[next]! : compiled.epilogues[i]![0];
      out.push({ kind: 'bpf', pc, text: usesAx(program[pc]!) ? axText(program, pc) : (helperCallText(program[pc]!) ?? line.text) });
      words(from, to);
      pc = next;
    }
    const [eStart] = compiled.epilogues[i]!;
    out.push({ kind: 'bpf', pc: -1, text: 'epilogue' });
    const fnEnd = i + 1 < compiled.functionOffsets.length ? compiled.functionOffsets[i + 1]! : compiled.code.length;
    words(eStart, fnEnd);
  });
  return out;
}

/**
 * A helper call by id as bpftool prints it, `call bpf_ktime_get_ns#5`, when the id has a Linux
 * name (src/bpf/helper-protos.ts); undefined for other instructions and unnamed ids.
 */
export function helperCallText(insn: BpfInsn): string | undefined {
  if (insn.code !== (BpfClass.JMP | BpfJmpOp.CALL) || insn.src !== 0) return undefined;
  const name = insn.imm > 0 ? HELPER_NAMES[insn.imm] : undefined;
  return name === undefined ? undefined : `call bpf_${name}#${insn.imm}`;
}

function usesAx(insn: BpfInsn): boolean {
  return insn.dst === BPF_REG_AX || insn.src === BPF_REG_AX;
}

/**
 * The BPF disassembler knows r0-r11 only; AX (the blinding register) is shown as `ax`: the
 * instruction is disassembled with AX renamed to a register it does not otherwise mention,
 * whose name is then replaced.
 */
function axText(program: readonly BpfInsn[], pc: number): string {
  const insn = program[pc]!;
  const stand = [1, 2, 3, 4, 5, 6, 7, 8, 9].find((r) => r !== insn.dst && r !== insn.src)!;
  const renamed = { ...insn, dst: insn.dst === BPF_REG_AX ? stand : insn.dst, src: insn.src === BPF_REG_AX ? stand : insn.src };
  const copy = [...program.slice(0, pc), renamed, ...program.slice(pc + 1, pc + 2)];
  return disassembleInsn(copy, pc, {}).text.replace(new RegExp(`\\b([rw])${stand}\\b`, 'g'), (_m, p: string) => (p === 'w' ? 'wax' : 'ax'));
}

const hex = (v: number, width: number): string => v.toString(16).padStart(width, '0');

/** objdump-like text: `   addr:  bytes  instruction` under each BPF line. */
export function formatListing(lines: readonly ListingLine[]): string {
  const out: string[] = [];
  for (const l of lines) {
    if (l.kind === 'function') out.push(`\n<${l.text}>:`);
    else if (l.kind === 'bpf') out.push(l.pc < 0 ? `  ; ${l.text}` : `  ; ${String(l.pc).padStart(5)}: ${l.text}`);
    else {
      const bytes = [0, 8, 16, 24].map((s) => hex((l.word >>> s) & 0xff, 2)).join(' ');
      out.push(`  ${l.address.toString(16).padStart(12, '0')}:  ${bytes}  ${l.text}`);
    }
  }
  return `${out.join('\n').trimStart()}\n`;
}
