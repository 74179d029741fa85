import { BpfPseudo, MapType, Memory, interpret, prepareProgram, programType, type BpfInsn, type MapDescription } from '../../bpf/index.js';
import { FUZZ_MEM_SIZE, generateProgram, type FuzzMapSpec, type GeneratedProgram, type GeneratorOptions } from '../../bpf/program-generator.js';
import { bufferAddress, interpreterHelpers, nativeHelpers } from '../../runtime/index.js';
import { ArrayMap, createMap, type BpfMap } from '../../runtime/maps/index.js';
import { JitProgram } from '../program.js';
import { programText } from './differential.js';

/**
 * Differential fuzzing with maps: random programs that look up, update and delete in an
 * array and a hash map (src/bpf/program-generator-maps.ts) run under the JIT and under the
 * interpreter, each with fresh maps; R0, the whole buffer and the final contents of both maps
 * must agree. Every other seed inlines the array lookups (the shared fixups), so both the
 * native map_lookup_elem and the inline form are covered.
 */
export const FUZZ_MAPS: readonly FuzzMapSpec[] = [
  { kind: 'array', maxEntries: 8, valueSize: 16 },
  { kind: 'hash', maxEntries: 6, valueSize: 8 },
];

/**
 * The generator's options for map programs: smaller programs than the plain fuzzer's (whose
 * 20,000 CI programs already cover every instruction form) with more map statements, so a
 * case costs about half as much to compile under qemu and still makes ~10 map helper calls.
 */
export const FUZZ_MAP_PROGRAMS: GeneratorOptions = { maps: FUZZ_MAPS, mainStatements: 12, maxFunctions: 2, mapStatementRate: 0.35 };

const descriptions = (specs: readonly FuzzMapSpec[]): MapDescription[] =>
  specs.map((m, i) => ({ name: `m${i}`, type: m.kind === 'array' ? MapType.ARRAY : MapType.HASH, keySize: 4, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: 0 }));

export interface MapFuzzResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly helperCalls: number;
  readonly inlined: number;
  readonly report?: string;
}

const dump = (maps: readonly BpfMap[]): string[] => maps.map((m) => [...m.entries()].map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`).sort().join(' '));

/** Two sets of maps (one per engine), made once and emptied before every case (creation is slow under qemu). */
let mapSets: { jit: BpfMap[]; interp: BpfMap[] } | undefined;
function freshMaps(): { jit: BpfMap[]; interp: BpfMap[] } {
  mapSets ??= { jit: descriptions(FUZZ_MAPS).map((d) => createMap(d, { cpus: 1 })), interp: descriptions(FUZZ_MAPS).map((d) => createMap(d, { cpus: 1 })) };
  for (const m of [...mapSets.jit, ...mapSets.interp]) {
    if (m instanceof ArrayMap) m.regions()[0]!.bytes.fill(0);
    else for (const k of [...m.keys()]) m.delete(k);
  }
  return mapSets;
}

export function runMapFuzzCase(seed: number): MapFuzzResult {
  const program = generateProgram(seed, FUZZ_MAP_PROGRAMS);
  const type = programType('plain');
  const inline = seed % 2 === 0;
  const helperCalls = program.insns.filter((i) => i.code === 0x85 && i.src === 0).length;
  const sets = freshMaps();
  // Both engines run the same program: the fixups inline array lookups (their layout does
  // not depend on which map set), or there is nothing to rewrite in a plain program.
  let insns: readonly BpfInsn[] = program.insns;
  let inlined = 0;
  if (inline) {
    const prepared = prepareProgram(program.insns, { type, arrayLayout: (i: number) => (sets.jit[i] instanceof ArrayMap ? (sets.jit[i] as ArrayMap).inlineLayout() : undefined) });
    insns = prepared.insns;
    inlined = prepared.rewrites.inlinedLookups;
  }
  const run = (engine: 'jit' | 'interpreter'): { value: bigint; mem: Uint8Array; maps: string[] } => {
    const maps = engine === 'jit' ? sets.jit : sets.interp;
    const resolvePseudo = (pseudo: number, imm: number): bigint => {
      if (pseudo !== BpfPseudo.MAP_FD || maps[imm] === undefined) throw new Error(`lddw pseudo ${pseudo} imm ${imm}`);
      return maps[imm]!.address;
    };
    const out = engine === 'jit' ? runJit(insns, program, resolvePseudo) : runInterpreter(insns, program, maps, resolvePseudo);
    return { ...out, maps: dump(maps) };
  };
  let jit: ReturnType<typeof run>;
  let interp: ReturnType<typeof run>;
  try {
    jit = run('jit');
  } catch (e) {
    return failure(seed, program, `the JIT failed: ${(e as Error).message}`, helperCalls);
  }
  try {
    interp = run('interpreter');
  } catch (e) {
    return failure(seed, program, `the interpreter failed (generator bug?): ${(e as Error).message}`, helperCalls);
  }
  const memEqual = Buffer.from(jit.mem).equals(Buffer.from(interp.mem));
  const mapsEqual = jit.maps.every((m, i) => m === interp.maps[i]);
  if (jit.value === interp.value && memEqual && mapsEqual) return { seed, ok: true, helperCalls, inlined };
  const lines = [
    `R0: interpreter 0x${interp.value.toString(16)}, JIT 0x${jit.value.toString(16)}`,
    `memory: ${memEqual ? 'equal' : 'DIFFERENT'}`,
    ...FUZZ_MAPS.map((_, i) => `map m${i}: ${jit.maps[i] === interp.maps[i] ? 'equal' : `DIFFERENT\n  interpreter ${interp.maps[i]}\n  JIT         ${jit.maps[i]}`}`),
  ];
  return failure(seed, program, `MISMATCH (${inline ? 'array lookups inlined' : 'native lookups'})\n${lines.join('\n')}`, helperCalls);
}

function failure(seed: number, program: GeneratedProgram, what: string, helperCalls: number): MapFuzzResult {
  return { seed, ok: false, helperCalls, inlined: 0, report: `fuzz-maps: seed ${seed}\n${what}\nprogram:\n${programText(program.insns)}` };
}

let jitBuffer: Buffer | undefined;
function runJit(insns: readonly BpfInsn[], program: GeneratedProgram, resolvePseudo: (p: number, imm: number) => bigint): { value: bigint; mem: Uint8Array } {
  if (!jitBuffer) {
    const backing = Buffer.alloc(FUZZ_MEM_SIZE + 16);
    const mis = Number(bufferAddress(backing) % 16n);
    jitBuffer = backing.subarray((16 - mis) % 16, (16 - mis) % 16 + FUZZ_MEM_SIZE);
  }
  // random programs are not meant to verify (the verifier has its own fuzzing): the engines are compared
  const jit = JitProgram.compile(insns, { nativeHelpers: nativeHelpers(programType('plain')), resolvePseudo, verify: false });
  try {
    jitBuffer.set(program.mem);
    const value = jit.run(jitBuffer);
    return { value, mem: Uint8Array.from(jitBuffer) };
  } finally {
    jit.free();
  }
}

const stack = Buffer.alloc(8 * 512);
function runInterpreter(insns: readonly BpfInsn[], program: GeneratedProgram, maps: readonly BpfMap[], resolvePseudo: (p: number, imm: number) => bigint): { value: bigint; mem: Uint8Array } {
  const memory = new Memory();
  const byAddress = new Map(maps.map((m) => [m.address, m]));
  for (const m of maps) for (const r of m.regions()) memory.addRegion(r.name, r.bytes, { base: r.base, writable: r.writable });
  const helpers = interpreterHelpers(programType('plain'), { map: (a) => byAddress.get(a), ctxAddress: undefined });
  const r = interpret(insns, {
    mem: program.mem,
    memory,
    helpers,
    resolvePseudo,
    stackMemory: { bytes: stack, base: bufferAddress(stack) },
    maxInstructions: 10 * program.maxCost + 10_000,
    validate: false,
  });
  return { value: r.value, mem: r.mem! };
}
