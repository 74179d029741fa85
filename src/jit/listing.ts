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
 *
 * The body of a function is walked in code order through `origins` (native pc -> BPF pc): a
 * heading is printed whenever the origin changes, so optimized code, whose slots may be
 * merged, moved or duplicated, still names the BPF instruction behind every machine
 * instruction. Slots without code of their own are listed where their successors start, with
 * the optimizer's note when there is one.
 */
export function listing(program: readonly BpfInsn[], compiled: CompiledProgram, base: bigint): ListingLine[] {
  const code = new DataView(compiled.code.buffer, compiled.code.byteOffset, compiled.code.byteLength);
  const out: ListingLine[] = [];
  const word = (off: number): void => {
    const w = code.getUint32(off, true);
    const address = base + BigInt(off);
    out.push({ kind: 'a64', address, offset: off, word: w, text: disassembleA64(w, address) });
  };
  const hasCode = new Uint8Array(program.length);
  for (const o of compiled.origins) if (o >= 0) hasCode[o] = 1;
  const heading = (pc: number, silent: boolean): void => {
    const text = usesAx(program[pc]!) ? axText(program, pc) : (helperCallText(program[pc]!) ?? disassembleInsn(program, pc, {}).text);
    const note = silent ? compiled.slotNotes?.[pc] : undefined;
    out.push({ kind: 'bpf', pc, text: note ? `${text}    (${note})` : text });
  };
  compiled.info.functions.forEach((fn, i) => {
    out.push({ kind: 'function', index: fn.index, text: `func#${fn.index}${fn.index === 0 ? ' (entry)' : ''}, slots ${fn.start}..${fn.end - 1}` });
    const [pStart, pEnd] = compiled.prologues[i]!;
    const [eStart] = compiled.epilogues[i]!;
    out.push({ kind: 'bpf', pc: -1, text: 'prologue' });
    for (let off = pStart; off < pEnd; off += 4) word(off);
    let next = fn.start;
    /** headings of the slots from `next` up to (not including) `pc` that have no code */
    const silentUpTo = (pc: number): void => {
      while (next < pc) {
        if (!hasCode[next]) heading(next, true);
        next += disassembleInsn(program, next, {}).slots;
      }
    };
    let current = -2;
    for (let off = pEnd; off < eStart; off += 4) {
      const o = compiled.origins[off / 4]!;
      if (o !== current) {
        current = o;
        if (o >= 0) {
          if (o >= next) {
            silentUpTo(o);
            next = o + disassembleInsn(program, o, {}).slots;
          }
          heading(o, false);
        } else out.push({ kind: 'bpf', pc: -1, text: 'runtime' });
      }
      word(off);
    }
    silentUpTo(fn.end);
    out.push({ kind: 'bpf', pc: -1, text: 'epilogue' });
    const fnEnd = i + 1 < compiled.functionOffsets.length ? compiled.functionOffsets[i + 1]! : compiled.code.length;
    for (let off = eStart; off < fnEnd; off += 4) word(off);
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
