/**
 * JIT images: what JitProgram.compile decides and compiles before anything goes into
 * executable memory, as plain data that can travel between processes. Pure TypeScript: it
 * imports the BPF toolkit, the verifier and the compiler, never src/runtime or native code, so
 * an image can be made in any Node on any CPU. JitProgram.compile makes one and installs it;
 * JitProgram.load installs one made elsewhere (the differential fuzz compiles on the x86_64
 * host and only loads and runs the code in its arm64 process under qemu, where compiling is
 * ten to twenty times slower).
 *
 * What an image depends on besides the program: every absolute address the code embeds. That
 * is the context block's address (the entry prologue materializes it: the caller chooses the
 * block and gives its address), the native functions' addresses (CALL src 2) and the LDDW
 * pseudo values (map and data addresses, from resolvePseudo). These are not relocated: the
 * movz/movk sequence that materializes a value is as short as the value allows, so a different
 * address would be different code. An image is made for the addresses of the process that will
 * load it, which are given to the compiler exactly as JitProgram.compile gives them; load
 * checks the context block's address. Helper addresses live in the context block's helper
 * table, not in the code, so only the helper ids are part of the image.
 */
import { BpfPseudo, decodeProgram, encodeProgram, helperProto, validateProgram, type BpfInsn, type PointerCheck, type ProgramInfo } from '../bpf/index.js';
import { verifyProgram, type VerifyOptions, type VerifyResult } from '../bpf/verifier/index.js';
import { blindConstants } from './blinding.js';
import { compileProgram, type CompiledProgram } from './compiler.js';
import { HELPER_TABLE_SIZE, MAX_CHECKED_MAPS, SANDBOX_REGIONS } from './context-layout.js';
import { JitCompileError } from './errors.js';
import type { OptimizeOptions } from './opt/index.js';
import type { JitOptions, NativeTarget } from './program.js';

/** bpf_tail_call's id: inline code, not a table entry (emit-tailcall.ts). */
const TAIL_CALL_HELPER_ID = 12;

/** A compiled program, ready to be put in executable memory by JitProgram.load. */
export interface JitImage {
  readonly compiled: CompiledProgram;
  /** the slots that were compiled (after constant blinding, when on) */
  readonly program: readonly BpfInsn[];
  readonly atomics: 'lse' | 'llsc';
  /** the context block the code was compiled for (its address is in the entry prologue) */
  readonly contextAddress: bigint;
  /** the helper ids the code calls through the context block's helper table, ascending */
  readonly helperIds: readonly number[];
  /** the maps the helper argument checks accept (the context block's map table, CTX_MAPS) */
  readonly maps: readonly bigint[];
}

/**
 * JitOptions with every choice made that depends on the loading process: its LSE support,
 * the blinding seed and the context block's address.
 */
export interface ImageOptions extends Omit<JitOptions, 'atomics' | 'blind'> {
  readonly atomics: 'lse' | 'llsc';
  readonly blind?: false | { readonly seed: number };
  readonly contextAddress: bigint;
}

/** An image and what was proven about its program on the way (kept by the JitProgram). */
export interface PreparedImage {
  readonly image: JitImage;
  readonly verified?: { readonly result: VerifyResult; readonly options: Omit<VerifyOptions, 'natives'> };
  readonly sandboxAnalysis?: VerifyResult;
}

/**
 * Everything JitProgram.compile does before executable memory: checks of the options,
 * validation, verification (or the sandbox's analysis), constant blinding and compilation.
 * The same errors as compile, in the same order.
 */
export function prepareImage(program: readonly BpfInsn[], options: ImageOptions): PreparedImage {
  const helpers = options.helpers ?? new Map();
  const nativeHelpers = options.nativeHelpers ?? new Map<number, bigint>();
  const natives = options.natives ?? new Map<number, NativeTarget>();
  const helperIds = new Set<number>([...helpers.keys(), ...nativeHelpers.keys(), ...(options.tailCalls === true ? [TAIL_CALL_HELPER_ID] : [])]);
  for (const id of [...helpers.keys(), ...nativeHelpers.keys()]) {
    if (!Number.isInteger(id) || id < 0 || id >= HELPER_TABLE_SIZE) throw new JitCompileError(`helper id ${String(id)} is not an integer in 0..${HELPER_TABLE_SIZE - 1}`, -1);
  }
  for (const id of nativeHelpers.keys()) {
    if (helpers.has(id)) throw new JitCompileError(`helper ${id} is given both as a JavaScript function and as native code`, -1);
  }
  if ((options.regions?.length ?? 0) > SANDBOX_REGIONS - 2) throw new JitCompileError(`more than ${SANDBOX_REGIONS - 2} regions for the sandbox`, -1);
  validateProgram(program, { ...options.validate, helpers: helperIds, natives });
  // the sandbox is for programs the verifier cannot prove: it implies verify: false unless asked
  const verifyOff = options.verify === false || (options.verify === undefined && options.sandbox === true);
  const verifyOptions = verifyOff ? undefined : options.verify === true || options.verify === undefined ? {} : options.verify;
  const verified = verifyOptions && verifyProgram(program, { ...verifyOptions, natives });
  // not a proof: the program still runs with the sandbox's checks and the default budget
  const analysis = options.sandbox === true && !verified && options.sandboxAnalysis !== false ? (typeof options.sandboxAnalysis === 'object' ? options.sandboxAnalysis : {}) : undefined;
  const analysed = analysis && verifyProgram(program, { ...analysis, natives, sandbox: true });
  const blinded = options.blind ? blindConstants(program, options.blind.seed) : undefined;
  const slots = blinded?.program ?? program;
  const givenChecks = options.sandbox === true ? (options.pointerChecks ?? analysed?.facts.pointerChecks ?? new Map<number, PointerCheck>()) : new Map<number, PointerCheck>();
  // blinding moves slots: each pointer-arithmetic check follows its instruction
  const pointerChecks = blinded ? new Map([...givenChecks].map(([pc, c]) => [blinded.slotOf[pc] ?? -1, c] as const).filter(([pc]) => pc >= 0)) : givenChecks;
  // verified programs carry no budget (they terminate); unverified code gets the default one
  const budget = options.budget === false ? undefined : (options.budget ?? (verified ? undefined : DEFAULT_JIT_BUDGET));
  // unverified code gets its helpers' arguments checked; the maps it may name are recorded
  // (only programs that call such helpers: the checks compile 1:1)
  const checkedHelpers = new Set(nativeHelpers.keys());
  const helperArgChecks = options.sandbox === true || ((options.helperArgChecks ?? !verified) && callsPointerHelpers(program, checkedHelpers, options.tailCalls === true));
  const maps = new Set<bigint>(options.maps ?? []);
  const userResolve = options.resolvePseudo;
  const resolvePseudo =
    userResolve &&
    ((p: number, imm: number, next: number, pc: number): bigint => {
      const v = userResolve(p, imm, next, pc);
      if (p === BpfPseudo.MAP_FD) maps.add(v);
      return v;
    });
  let compiled: CompiledProgram;
  try {
    compiled = compileProgram(slots, {
      contextAddress: options.contextAddress,
      helperIds,
      ...(options.tailCalls === true ? { tailCalls: true } : {}),
      natives: new Map([...natives].map(([id, n]) => [id, n.address])),
      atomics: options.atomics,
      contain: true,
      sandbox: options.sandbox === true,
      ...(pointerChecks.size > 0 ? { pointerChecks } : {}),
      ...(budget !== undefined ? { budget } : {}),
      ...(resolvePseudo ? { resolvePseudo } : {}),
      ...(helperArgChecks ? { helperArgChecks: true, checkedHelpers } : {}),
      ...(blinded ? { info: blinded.info } : {}),
      optimize: optimizeOptions(options.optimize, blinded !== undefined),
    });
  } catch (e) {
    if (e instanceof RangeError) throw new JitCompileError(e.message, -1);
    throw e;
  }
  if (maps.size > MAX_CHECKED_MAPS) throw new JitCompileError(`more than ${MAX_CHECKED_MAPS} maps for the helper argument checks`, -1);
  const image: JitImage = { compiled, program: slots, atomics: options.atomics, contextAddress: options.contextAddress, helperIds: [...helperIds].sort((a, b) => a - b), maps: [...maps] };
  return {
    image,
    ...(verified && verifyOptions ? { verified: { result: verified, options: verifyOptions } } : {}),
    ...(analysed ? { sandboxAnalysis: analysed } : {}),
  };
}

/**
 * The budget of unverified programs under the JIT, in back-edges and calls per run: the
 * interpreter's default instruction budget (it counts every instruction, the JIT only the
 * instructions that can repeat).
 */
export const DEFAULT_JIT_BUDGET = 1_000_000;

/** JitOptions.optimize as the compiler takes it; a blinded program's AX values stay opaque. */
function optimizeOptions(optimize: boolean | OptimizeOptions | undefined, blinded: boolean): false | OptimizeOptions {
  if (optimize === false) return false;
  const o = typeof optimize === 'object' ? optimize : {};
  return blinded ? { ...o, blinded: true } : o;
}

/** Whether the program calls a native helper that takes a pointer (by its prototype), or tail calls (a map). */
function callsPointerHelpers(program: readonly BpfInsn[], native: ReadonlySet<number>, tailCalls: boolean): boolean {
  return program.some((insn) => {
    if (insn.code !== 0x85 || insn.src !== 0) return false;
    if (insn.imm === TAIL_CALL_HELPER_ID) return tailCalls;
    if (!native.has(insn.imm)) return false;
    return helperProto(insn.imm)?.args.some((arg) => POINTER_ARGS.has(arg.kind)) ?? false;
  });
}
const POINTER_ARGS: ReadonlySet<string> = new Set(['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_PTR_TO_MEM', 'ARG_PTR_TO_CTX', 'ARG_PTR_TO_RINGBUF_MEM']);

/*
 * Serialized form (little-endian): u32 magic, u32 JSON length, u32 code length, u32 slot
 * count, the JSON (everything but the code, the origins and the slots; bigints as decimal
 * strings, sets as arrays), the code, the origins (one i32 per instruction word), the slots
 * (8 bytes each, encodeProgram).
 */
const MAGIC = 0x4d49_3436; // "64IM"

interface ImageJson {
  readonly atomics: 'lse' | 'llsc';
  readonly contextAddress: string;
  readonly helperIds: readonly number[];
  readonly maps: readonly string[];
  readonly compiled: Omit<CompiledProgram, 'code' | 'origins' | 'info' | 'pointerChecks'> & {
    readonly info: Omit<ProgramInfo, 'lddwTails'> & { readonly lddwTails: readonly number[] };
    readonly pointerChecks?: readonly (readonly [number, PointerCheck])[];
  };
}

export function encodeJitImage(image: JitImage): Buffer {
  const { code, origins, info, pointerChecks, ...others } = image.compiled;
  const rest = pointerChecks ? { ...others, pointerChecks: [...pointerChecks].sort(([a], [b]) => a - b) } : others;
  const json: ImageJson = {
    atomics: image.atomics,
    contextAddress: image.contextAddress.toString(),
    helperIds: image.helperIds,
    maps: image.maps.map(String),
    // keys sorted: an image decoded and encoded again is the same bytes
    compiled: Object.fromEntries(Object.entries({ ...rest, info: { ...info, lddwTails: [...info.lddwTails].sort((a, b) => a - b) } }).sort(([a], [b]) => (a < b ? -1 : 1))) as ImageJson['compiled'],
  };
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const slots = encodeProgram(image.program);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(text.length, 4);
  head.writeUInt32LE(code.length, 8);
  head.writeUInt32LE(image.program.length, 12);
  return Buffer.concat([head, text, code, Buffer.from(origins.buffer, origins.byteOffset, origins.byteLength), slots]);
}

/** Reads an image back; anything malformed is a JitCompileError saying what. */
export function decodeJitImage(bytes: Uint8Array): JitImage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => {
    throw new JitCompileError(`JIT image: ${why}`, -1);
  };
  if (b.length < 16 || b.readUInt32LE(0) !== MAGIC) bad('bad magic (not an encoded JIT image)');
  const textLength = b.readUInt32LE(4);
  const codeLength = b.readUInt32LE(8);
  const slotCount = b.readUInt32LE(12);
  if (codeLength % 4 !== 0) bad(`code length ${codeLength} is not a multiple of 4`);
  const total = 16 + textLength + codeLength * 2 + slotCount * 8;
  if (b.length !== total) bad(`${b.length} bytes, the header says ${total}`);
  let json: ImageJson;
  try {
    json = JSON.parse(b.toString('utf8', 16, 16 + textLength)) as ImageJson;
  } catch (e) {
    return bad(`unreadable header: ${(e as Error).message}`);
  }
  let at = 16 + textLength;
  const code = new Uint8Array(b.subarray(at, at + codeLength));
  at += codeLength;
  const origins = new Int32Array(codeLength / 4);
  new Uint8Array(origins.buffer).set(b.subarray(at, at + codeLength));
  at += codeLength;
  const program = decodeProgram(b.subarray(at, at + slotCount * 8));
  const { info, slotNotes, pointerChecks, ...rest } = json.compiled;
  return {
    compiled: {
      ...rest,
      ...(pointerChecks ? { pointerChecks: new Map(pointerChecks) } : {}),
      code,
      origins,
      info: { ...info, lddwTails: new Set(info.lddwTails) },
      // JSON wrote the slots without a note as null
      ...(slotNotes ? { slotNotes: slotNotes.map((n) => n ?? undefined) } : {}),
    },
    program,
    atomics: json.atomics,
    contextAddress: BigInt(json.contextAddress),
    helperIds: json.helperIds,
    maps: json.maps.map((m) => BigInt(m)),
  };
}
