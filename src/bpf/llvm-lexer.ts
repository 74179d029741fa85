import { BpfAsmError } from './asm-error.js';

/**
 * Tokens of LLVM/kernel BPF assembly ("r0 = *(u64 *)(r1 + 8)"). The syntax has no fixed
 * mnemonic position, so the assembler matches whole token sequences against templates; the
 * templates are tokenised by this same lexer, which keeps both sides consistent about spacing
 * ("r0=1" and "r0 = 1" are the same tokens).
 */
export interface Token {
  readonly kind: 'ident' | 'num' | 'punct';
  readonly text: string;
  /** 1-based column in the source line */
  readonly col: number;
  /** numeric value of a 'num' token */
  readonly value?: bigint;
}

// Longest first: the lexer takes the first entry that matches at the current position.
const PUNCT = [
  '<<=', '>>=',
  '==', '!=', '>=', '<=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=',
  '=', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', ':', '&', '|', '^', '<', '>', '!',
];

const IDENT_START = /[A-Za-z_.$]/;
const IDENT_REST = /[A-Za-z0-9_.$]/;

/** Tokenise one source line. `#` and `//` start a comment (as in llvm-mc for BPF). */
export function lexLine(text: string, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '#' || (ch === '/' && text[i + 1] === '/')) break;
    const col = i + 1;
    if (IDENT_START.test(ch)) {
      let j = i + 1;
      while (j < text.length && IDENT_REST.test(text[j]!)) j++;
      out.push({ kind: 'ident', text: text.slice(i, j), col });
      i = j;
      continue;
    }
    if (ch >= '0' && ch <= '9') {
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z_]/.test(text[j]!)) j++;
      const lexeme = text.slice(i, j);
      out.push({ kind: 'num', text: lexeme, col, value: parseNumber(lexeme, line, col) });
      i = j;
      continue;
    }
    const p = PUNCT.find((q) => text.startsWith(q, i));
    if (p === undefined) throw new BpfAsmError('unexpected character', line, col, ch);
    out.push({ kind: 'punct', text: p, col });
    i += p.length;
  }
  return out;
}

/** Decimal, 0x hex, 0b binary and leading-0 octal, as llvm-mc reads integers. */
function parseNumber(lexeme: string, line: number, col: number): bigint {
  const m = /^(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0([0-7]+)|([1-9][0-9]*|0))$/.exec(lexeme);
  if (!m) throw new BpfAsmError('malformed number', line, col, lexeme);
  if (m[1] !== undefined) return BigInt(`0x${m[1]}`);
  if (m[2] !== undefined) return BigInt(`0b${m[2]}`);
  if (m[3] !== undefined) return BigInt(`0o${m[3]}`);
  return BigInt(m[4]!);
}
