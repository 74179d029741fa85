/**
 * A mistake in BPF assembly source, shared by both assemblers (LLVM/kernel syntax in
 * llvm-asm.ts, uBPF syntax in ubpf-asm.ts). Positions are 1-based, as editors show them.
 */
export class BpfAsmError extends Error {
  override readonly name = 'BpfAsmError';
  constructor(
    /** what is wrong, without the position (the position is appended to `message`) */
    readonly reason: string,
    /** 1-based source line */
    readonly line: number,
    /** 1-based column of the offending token */
    readonly column: number,
    /** the offending token as written ('' at end of line) */
    readonly token: string,
  ) {
    super(`${line}:${column}: ${reason}${token === '' ? '' : ` (at '${token}')`}`);
  }
}
