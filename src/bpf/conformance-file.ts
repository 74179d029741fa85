/**
 * Reader for the bpf_conformance `.data` test format:
 *
 *   # comment lines (anywhere outside `-- asm`, where `#` comments are the assembler's)
 *   -- asm       uBPF-syntax program
 *   -- raw       bytecode: one 64-bit little-endian word per line (`0x0000000000000095`)
 *                or whitespace-separated hex bytes (`95 00 00 00 00 00 00 00`)
 *   -- mem       hex bytes handed to the program (R1 = address, R2 = length)
 *   -- result    expected R0 (hex or decimal)
 *   -- error     expected error text (the test passes only if running fails with it)
 *
 * Other section names carry no meaning for running a test (the suite uses `-- c` for the C
 * source a program was compiled from and `-- no register offset` as a note for uBPF); they are
 * kept in `ignoredSections` and otherwise ignored, which is how the reference runner treats
 * them. A test is runnable only if it has a program and an expectation; `checkRunnable` says
 * what is missing.
 */
export interface ConformanceSection {
  name: string;
  /** 1-based line of the `-- name` header */
  line: number;
  /** the lines after the header, up to the next header */
  body: string[];
}

export interface ConformanceTest {
  /** uBPF assembly and the file line of its first line */
  asm?: { source: string; firstLine: number };
  raw?: Uint8Array;
  mem?: Uint8Array;
  result?: bigint;
  /** text of `-- error`; '' when the section is present but empty */
  error?: string;
  ignoredSections: ConformanceSection[];
}

export class ConformanceFileError extends Error {
  override readonly name = 'ConformanceFileError';
  constructor(
    readonly reason: string,
    /** 1-based line in the `.data` file */
    readonly line: number,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const KNOWN = new Set(['asm', 'raw', 'mem', 'result', 'error']);

export function parseConformanceFile(text: string): ConformanceTest {
  const lines = text.split(/\r?\n/);
  const sections: ConformanceSection[] = [];
  let current: ConformanceSection | undefined;
  lines.forEach((line, i) => {
    const header = /^--\s*(.*?)\s*$/.exec(line);
    if (header) {
      current = { name: header[1] ?? '', line: i + 1, body: [] };
      sections.push(current);
      return;
    }
    if (current) {
      current.body.push(line);
      return;
    }
    const t = line.trim();
    if (t !== '' && !t.startsWith('#')) throw new ConformanceFileError(`text before the first '-- section' header: '${t}'`, i + 1);
  });

  const test: ConformanceTest = { ignoredSections: [] };
  const seen = new Set<string>();
  for (const s of sections) {
    if (!KNOWN.has(s.name)) {
      test.ignoredSections.push(s);
      continue;
    }
    if (seen.has(s.name)) throw new ConformanceFileError(`section '-- ${s.name}' appears twice`, s.line);
    seen.add(s.name);
    switch (s.name) {
      case 'asm':
        test.asm = { source: s.body.join('\n'), firstLine: s.line + 1 };
        break;
      case 'raw':
        test.raw = parseRaw(s);
        break;
      case 'mem':
        test.mem = parseBytes(s);
        break;
      case 'result':
        test.result = parseResult(s);
        break;
      case 'error':
        test.error = meaningful(s)
          .map((l) => l.text)
          .join('\n');
        break;
    }
  }
  return test;
}

/** Body lines that are not blank and not `#` comments, with their file line numbers. */
function meaningful(s: ConformanceSection): { text: string; line: number }[] {
  return s.body
    .map((text, i) => ({ text: text.trim(), line: s.line + 1 + i }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
}

function parseRaw(s: ConformanceSection): Uint8Array {
  const out: number[] = [];
  for (const l of meaningful(s)) {
    for (const tok of l.text.split(/\s+/)) {
      if (/^0x[0-9a-f]{1,16}$/i.test(tok) && tok.length > 4) {
        // One instruction as a 64-bit number; the slot is its little-endian encoding.
        let v = BigInt(tok);
        for (let b = 0; b < 8; b++) {
          out.push(Number(v & 0xffn));
          v >>= 8n;
        }
      } else if (/^(0x)?[0-9a-f]{1,2}$/i.test(tok)) {
        out.push(parseInt(tok.replace(/^0x/i, ''), 16));
      } else {
        throw new ConformanceFileError(`'-- raw': '${tok}' is neither a hex byte nor a 64-bit hex word`, l.line);
      }
    }
  }
  return Uint8Array.from(out);
}

function parseBytes(s: ConformanceSection): Uint8Array {
  const out: number[] = [];
  for (const l of meaningful(s)) {
    for (const tok of l.text.split(/\s+/)) {
      if (!/^(0x)?[0-9a-f]{1,2}$/i.test(tok)) throw new ConformanceFileError(`'-- ${s.name}': '${tok}' is not a hex byte`, l.line);
      out.push(parseInt(tok.replace(/^0x/i, ''), 16));
    }
  }
  return Uint8Array.from(out);
}

function parseResult(s: ConformanceSection): bigint {
  const body = meaningful(s);
  const first = body[0];
  if (first === undefined) throw new ConformanceFileError("'-- result' is empty", s.line);
  if (body.length > 1) throw new ConformanceFileError("'-- result' holds more than one value", (body[1] as { line: number }).line);
  if (!/^-?(0x[0-9a-f]+|[0-9]+)$/i.test(first.text)) throw new ConformanceFileError(`'-- result': '${first.text}' is not a number`, first.line);
  const neg = first.text.startsWith('-');
  const v = BigInt(first.text.replace(/^-/, ''));
  if (v >= 1n << 64n) throw new ConformanceFileError(`'-- result': '${first.text}' does not fit 64 bits`, first.line);
  return BigInt.asUintN(64, neg ? -v : v);
}
