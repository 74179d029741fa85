import { decodeProgram, encodeProgram, interpret } from '../../bpf/index.js';
import { generateProgram, programForms, type GeneratedProgram } from '../../bpf/program-generator.js';

/**
 * The oracle side of the differential fuzz: each seed's program, generated, and what the
 * reference interpreter makes of it. Pure BPF (no arm64, no native code), so it can run in
 * any Node: under qemu the arm64 process hands it to the host's own Node (host-oracle.ts),
 * which generates and interprets about twelve times faster than the emulated one, and keeps
 * only compiling and running the JIT code for itself. The generator and the interpreter are
 * deterministic JavaScript, so a case is the same whichever CPU computes it; the JIT side
 * still compares against every byte of it.
 *
 * Cases travel as one binary batch (little-endian):
 *   u32 magic, u32 case count, u32 forms length, forms (UTF-8, '\n'-separated), then per case:
 *   u32 seed, u8 status (0 ok, 1 the generator failed, 2 the interpreter rejected the program),
 *   u32 functions, u32 executed, u64 R0, u32 slots, u32 mem length, u32 text length, u32 extra
 *   length, u32 image length, slots x 8 bytes of bytecode, the initial memory, the final
 *   memory, the text (an error), the extra (JSON a kind of fuzz adds, e.g. the map fuzz's final
 *   map contents), the image (the compiled program, when asked for: images.ts).
 */
export interface OracleCase {
  readonly seed: number;
  /** the generated program (absent when the generator failed) */
  readonly program?: GeneratedProgram;
  /** the interpreter's result (absent when the generator failed or the interpreter rejected the program) */
  readonly expected?: { readonly value: bigint; readonly mem: Uint8Array; readonly instructions: number };
  /** why there is no program or no expected result */
  readonly error?: string;
  /** what else this kind of fuzz expects (JSON text; the map fuzz: final map contents) */
  readonly extra?: string;
  /** the program compiled for the arm64 process that asked (an encoded JIT image: images.ts) */
  readonly image?: Uint8Array;
}

/** The fuzzers whose oracle can run elsewhere: the plain one and the map fuzz (maps.ts). */
export type OracleKind = 'plain' | 'maps';

export interface OracleBatch {
  readonly cases: readonly OracleCase[];
  /** every instruction form the batch's programs use (programForms) */
  readonly forms: readonly string[];
}

const MAGIC = 0x4f46_3635; // "56FO"
const CASE_HEADER = 41;

/** The seeds first, first + stride, ... (count of them), generated and interpreted. */
export function computeOracleBatch(first: number, count: number, stride = 1): OracleBatch {
  const forms = new Set<string>();
  const cases: OracleCase[] = [];
  for (let k = 0; k < count; k++) cases.push(computeOracleCase(first + k * stride, forms));
  return { cases, forms: [...forms] };
}

/** One seed's case; `validate` also validates the program in the interpreter (the JIT validates it anyway). */
export function computeOracleCase(seed: number, forms?: Set<string>, validate = false): OracleCase {
  let program: GeneratedProgram;
  try {
    program = generateProgram(seed);
  } catch (e) {
    return { seed, error: `the generator failed (generator bug): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
  }
  if (forms) programForms(program.insns, forms);
  try {
    const r = interpret(program.insns, { mem: program.mem, maxInstructions: 10 * program.maxCost + 1000, validate });
    return { seed, program, expected: { value: r.value, mem: r.mem as Uint8Array, instructions: r.instructions } };
  } catch (e) {
    // the generator promises valid, in-bounds, terminating programs: this is its bug
    return { seed, program, error: `the interpreter rejected the generated program (generator bug): ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  }
}

export function encodeOracleBatch(batch: OracleBatch): Buffer {
  const parts: Buffer[] = [];
  const forms = Buffer.from(batch.forms.join('\n'), 'utf8');
  const head = Buffer.alloc(12);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(batch.cases.length, 4);
  head.writeUInt32LE(forms.length, 8);
  parts.push(head, forms);
  for (const c of batch.cases) {
    const code = c.program ? Buffer.from(encodeProgram(c.program.insns)) : Buffer.alloc(0);
    const mem = c.program ? Buffer.from(c.program.mem) : Buffer.alloc(0);
    const final = c.expected ? Buffer.from(c.expected.mem) : Buffer.alloc(0);
    const text = Buffer.from(c.error ?? '', 'utf8');
    const extra = Buffer.from(c.extra ?? '', 'utf8');
    const image = c.image ? Buffer.from(c.image) : Buffer.alloc(0);
    const h = Buffer.alloc(CASE_HEADER);
    h.writeUInt32LE(c.seed, 0);
    h.writeUInt8(!c.program ? 1 : !c.expected ? 2 : 0, 4);
    h.writeUInt32LE(c.program?.functions ?? 0, 5);
    h.writeUInt32LE(c.expected?.instructions ?? 0, 9);
    h.writeBigUInt64LE(BigInt.asUintN(64, c.expected?.value ?? 0n), 13);
    h.writeUInt32LE(code.length / 8, 21);
    h.writeUInt32LE(mem.length, 25);
    h.writeUInt32LE(text.length, 29);
    h.writeUInt32LE(extra.length, 33);
    h.writeUInt32LE(image.length, 37);
    parts.push(h, code, mem, final, text, extra, image);
  }
  return Buffer.concat(parts);
}

/** Reads a batch back; a malformed batch (a broken oracle process) is an Error naming the offset. */
export function decodeOracleBatch(bytes: Buffer): OracleBatch {
  let at = 0;
  const need = (n: number, what: string): void => {
    if (at + n > bytes.length) throw new Error(`oracle batch: truncated ${what} at byte ${at} of ${bytes.length}`);
  };
  need(12, 'header');
  if (bytes.readUInt32LE(0) !== MAGIC) throw new Error('oracle batch: bad magic (not the output of the fuzz oracle)');
  const count = bytes.readUInt32LE(4);
  const formsLength = bytes.readUInt32LE(8);
  at = 12;
  need(formsLength, 'forms');
  const formsText = bytes.toString('utf8', at, at + formsLength);
  at += formsLength;
  const cases: OracleCase[] = [];
  for (let k = 0; k < count; k++) {
    need(CASE_HEADER, `case ${k} header`);
    const seed = bytes.readUInt32LE(at);
    const status = bytes.readUInt8(at + 4);
    const functions = bytes.readUInt32LE(at + 5);
    const instructions = bytes.readUInt32LE(at + 9);
    const value = bytes.readBigUInt64LE(at + 13);
    const slots = bytes.readUInt32LE(at + 21);
    const memLength = bytes.readUInt32LE(at + 25);
    const textLength = bytes.readUInt32LE(at + 29);
    const extraLength = bytes.readUInt32LE(at + 33);
    const imageLength = bytes.readUInt32LE(at + 37);
    at += CASE_HEADER;
    const finalLength = status === 0 ? memLength : 0;
    need(slots * 8 + memLength + finalLength + textLength + extraLength + imageLength, `case ${k} (seed ${seed}) body`);
    const insns = decodeProgram(bytes.subarray(at, at + slots * 8));
    at += slots * 8;
    const mem = new Uint8Array(bytes.subarray(at, at + memLength));
    at += memLength;
    const final = new Uint8Array(bytes.subarray(at, at + finalLength));
    at += finalLength;
    const error = textLength > 0 ? bytes.toString('utf8', at, at + textLength) : undefined;
    at += textLength;
    const extra = extraLength > 0 ? bytes.toString('utf8', at, at + extraLength) : undefined;
    at += extraLength;
    const image = imageLength > 0 ? new Uint8Array(bytes.subarray(at, at + imageLength)) : undefined;
    at += imageLength;
    // maxCost and arities are the generator's bookkeeping; the JIT side needs neither
    const program: GeneratedProgram | undefined = status === 1 ? undefined : { seed, insns, mem, functions, maxCost: 0, arities: [] };
    cases.push({
      seed,
      ...(program ? { program } : {}),
      ...(status === 0 ? { expected: { value, mem: final, instructions } } : {}),
      ...(error !== undefined ? { error } : {}),
      ...(extra !== undefined ? { extra } : {}),
      ...(image ? { image } : {}),
    });
  }
  if (at !== bytes.length) throw new Error(`oracle batch: ${bytes.length - at} unexpected bytes after case ${count}`);
  return { cases, forms: formsText.length > 0 ? formsText.split('\n') : [] };
}
