/**
 * Thin wrappers over llvm-mc-22 and llvm-objdump-22, the oracles of the encoding tests. One process
 * per corpus, not per instruction.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LLVM_MC = 'llvm-mc-22';
export const LLVM_OBJDUMP = 'llvm-objdump-22';
export const MC_ARGS = ['-triple=aarch64', '-mattr=+lse'];

export function hasTool(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(0, 4000)}`);
  return r.stdout;
}

export const wordHex = (w: number): string => (w >>> 0).toString(16).padStart(8, '0');

/**
 * Assemble one instruction per line; return each line's encoding as an 8-digit hex word. Fails
 * with llvm-mc's messages (which carry line numbers) if any line is rejected.
 */
export function llvmMcEncode(lines: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'a64mc-'));
  try {
    const file = join(dir, 'in.s');
    writeFileSync(file, lines.join('\n') + '\n');
    const out = run(LLVM_MC, [...MC_ARGS, '-show-encoding', file]);
    const words: string[] = [];
    for (const line of out.split('\n')) {
      const m = /\/\/ encoding: \[([^\]]*)\]/.exec(line);
      if (!m) continue;
      const bytes = m[1]!.split(',').map((b) => parseInt(b, 16));
      if (bytes.length !== 4 || bytes.some((b) => Number.isNaN(b))) throw new Error(`unexpected encoding line: ${line}`);
      words.push(wordHex(bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)));
    }
    if (words.length !== lines.length) throw new Error(`llvm-mc produced ${words.length} encodings for ${lines.length} lines`);
    return words;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What llvm-objdump prints for each word, the words laid out from address 0. Only the column of
 * addresses and the symbolic `<.text+0x..>` annotation of branch targets are dropped, and runs of
 * whitespace collapsed: the rest (mnemonic, operands, `// =` comments) is kept verbatim.
 */
export function llvmObjdump(words: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'a64od-'));
  try {
    const src = join(dir, 'in.s');
    const obj = join(dir, 'in.o');
    writeFileSync(src, words.map((w) => `.inst 0x${w}`).join('\n') + '\n');
    run(LLVM_MC, [...MC_ARGS, '-filetype=obj', src, '-o', obj]);
    const out = run(LLVM_OBJDUMP, ['-d', '-z', '--no-show-raw-insn', obj]);
    const texts: string[] = [];
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\s+(.*)$/.exec(line);
      if (!m) continue;
      const addr = parseInt(m[1]!, 16);
      if (addr !== texts.length * 4) throw new Error(`objdump skipped to address ${addr}: ${line}`);
      texts.push(normalizeText(m[2]!));
    }
    if (texts.length !== words.length) throw new Error(`llvm-objdump printed ${texts.length} lines for ${words.length} words`);
    return texts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function normalizeText(s: string): string {
  return s.replace(/ <[^>]*>/g, '').replace(/\s+/g, ' ').trim();
}
