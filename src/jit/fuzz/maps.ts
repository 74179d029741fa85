import { MapType, Memory, interpret, prepareProgram, programType, type BpfInsn, type MapDescription, type Region } from '../../bpf/index.js';
import { FUZZ_MEM_SIZE, generateProgram, type FuzzMapSpec, type GeneratedProgram, type GeneratorOptions } from '../../bpf/program-generator.js';
import { bufferAddress, hostInfo, interpreterHelpers, nativeHelpers } from '../../runtime/index.js';
import { ArrayMap, createMap, type BpfMap } from '../../runtime/maps/index.js';
import { CONTEXT_SIZE } from '../context-layout.js';
import { JitProgram } from '../program.js';
import { programText } from './differential.js';
import { caseImage, mapFdResolver, type ImageTarget } from './images.js';
import type { OracleBatch, OracleCase } from './oracle.js';

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

/** One engine's set of maps, made once and emptied before every case (creation is slow under qemu). */
const mapSets = new Map<'jit' | 'interp', BpfMap[]>();
function freshMaps(engine: 'jit' | 'interp'): BpfMap[] {
  let set = mapSets.get(engine);
  if (!set) {
    set = descriptions(FUZZ_MAPS).map((d) => createMap(d, { cpus: 1 }));
    mapSets.set(engine, set);
  }
  for (const m of set) {
    if (m instanceof ArrayMap) m.regions()[0]!.bytes.fill(0);
    else for (const k of [...m.keys()]) m.delete(k);
  }
  return set;
}

/** What the interpreter side of a map case adds to an OracleCase (its `extra`). */
interface MapExpectation {
  /** final contents of each map, sorted key=value hex pairs */
  readonly maps: readonly string[];
  readonly helperCalls: number;
  readonly inlined: number;
}

const resolver = (maps: readonly BpfMap[]): ((pseudo: number, imm: number) => bigint) => mapFdResolver(maps.map((m) => m.address));

/** The JIT side's one context block for map programs (cases run one by one). */
let jitContext: Buffer | undefined;

/**
 * What an oracle process must compile the map cases for (images.ts): this process's context
 * block, CPU, native map helpers and JIT-side maps (made once, so their addresses stay).
 */
export function mapImageTarget(): ImageTarget {
  jitContext ??= Buffer.alloc(CONTEXT_SIZE);
  return { contextAddress: bufferAddress(jitContext), lse: hostInfo().lse, nativeHelpers: [...nativeHelpers(programType('plain'))], maps: freshMaps('jit').map((m) => m.address) };
}

/**
 * The oracle side of a map case: the program of a seed, its array lookups inlined on even
 * seeds (the shared fixups; the layout they use is relative to the map, so the same rewritten
 * program serves both engines and both processes), run in the interpreter with fresh maps.
 * The case's program is the rewritten one, the program the JIT must run.
 */
export function computeMapOracleCase(seed: number): OracleCase {
  let program: GeneratedProgram;
  try {
    program = generateProgram(seed, FUZZ_MAP_PROGRAMS);
  } catch (e) {
    return { seed, error: `the generator failed (generator bug): ${(e as Error).stack ?? String(e)}` };
  }
  const helperCalls = program.insns.filter((i) => i.code === 0x85 && i.src === 0).length;
  const maps = freshMaps('interp');
  let insns: readonly BpfInsn[] = program.insns;
  let inlined = 0;
  if (seed % 2 === 0) {
    const prepared = prepareProgram(program.insns, { type: programType('plain'), arrayLayout: (i: number) => (maps[i] instanceof ArrayMap ? (maps[i] as ArrayMap).inlineLayout() : undefined) });
    insns = prepared.insns;
    inlined = prepared.rewrites.inlinedLookups;
  }
  const run = { ...program, insns: [...insns] };
  try {
    const r = runInterpreter(insns, program, maps, resolver(maps));
    const extra: MapExpectation = { maps: dump(maps), helperCalls, inlined };
    return { seed, program: run, expected: { value: r.value, mem: r.mem, instructions: 0 }, extra: JSON.stringify(extra) };
  } catch (e) {
    return { seed, program: run, error: `the interpreter failed (generator bug?): ${(e as Error).message}`, extra: JSON.stringify({ maps: [], helperCalls, inlined }) };
  }
}

export function computeMapOracleBatch(first: number, count: number, stride = 1): OracleBatch {
  const cases: OracleCase[] = [];
  for (let k = 0; k < count; k++) cases.push(computeMapOracleCase(first + k * stride));
  return { cases, forms: [] };
}

/** The JIT side of a map case whose interpreter result is known (computed here or by the host's Node). */
export function checkMapFuzzCase(oracle: OracleCase): MapFuzzResult {
  const { seed } = oracle;
  const exp = oracle.extra ? (JSON.parse(oracle.extra) as MapExpectation) : { maps: [], helperCalls: 0, inlined: 0 };
  const { helperCalls, inlined } = exp;
  if (!oracle.program) return { seed, ok: false, helperCalls, inlined: 0, report: `fuzz-maps: seed ${seed}\n${oracle.error ?? 'no program'}` };
  if (!oracle.expected) return failure(seed, `${oracle.error ?? 'no interpreter result'}`, helperCalls);
  const maps = freshMaps('jit');
  let jit: { value: bigint; mem: Uint8Array };
  try {
    jit = runJit(oracle, maps, resolver(maps));
  } catch (e) {
    return failure(seed, `the JIT failed: ${(e as Error).message}`, helperCalls);
  }
  const jitMaps = dump(maps);
  const interp = oracle.expected;
  const memEqual = Buffer.from(jit.mem).equals(Buffer.from(interp.mem));
  const mapsEqual = jitMaps.every((m, i) => m === exp.maps[i]);
  if (jit.value === interp.value && memEqual && mapsEqual) return { seed, ok: true, helperCalls, inlined };
  const lines = [
    `R0: interpreter 0x${interp.value.toString(16)}, JIT 0x${jit.value.toString(16)}`,
    `memory: ${memEqual ? 'equal' : 'DIFFERENT'}`,
    ...FUZZ_MAPS.map((_, i) => `map m${i}: ${jitMaps[i] === exp.maps[i] ? 'equal' : `DIFFERENT\n  interpreter ${exp.maps[i]}\n  JIT         ${jitMaps[i]}`}`),
  ];
  return failure(seed, `MISMATCH (${seed % 2 === 0 ? 'array lookups inlined' : 'native lookups'})\n${lines.join('\n')}`, helperCalls);
}

/** Both sides of a map case in this process. */
export function runMapFuzzCase(seed: number): MapFuzzResult {
  return checkMapFuzzCase(computeMapOracleCase(seed));
}

function failure(seed: number, what: string, helperCalls: number): MapFuzzResult {
  // the report shows the program as generated (before the fixups), regenerated from its seed
  return { seed, ok: false, helperCalls, inlined: 0, report: `fuzz-maps: seed ${seed}\n${what}\nprogram:\n${programText(generateProgram(seed, FUZZ_MAP_PROGRAMS).insns)}` };
}

let jitBuffer: Buffer | undefined;
function runJit(oracle: OracleCase, maps: readonly BpfMap[], resolvePseudo: (p: number, imm: number) => bigint): { value: bigint; mem: Uint8Array } {
  const program = oracle.program!;
  if (!jitBuffer) {
    const backing = Buffer.alloc(FUZZ_MEM_SIZE + 16);
    const mis = Number(bufferAddress(backing) % 16n);
    jitBuffer = backing.subarray((16 - mis) % 16, (16 - mis) % 16 + FUZZ_MEM_SIZE);
  }
  // random programs are not meant to verify (the verifier has its own fuzzing): the engines are compared
  // (unverified: helpers' pointer arguments are checked, against the maps' memory as the interpreter maps it)
  const regions = maps.flatMap((m) => m.regions().map((r): Region => ({ kind: 'map_value', name: r.name, base: r.base, size: r.bytes.length, writable: r.writable })));
  // a case compiled by the oracle process for mapImageTarget() is loaded, else compiled here
  const image = caseImage(oracle);
  if (image && !jitContext) throw new Error('fuzz-maps: a case comes compiled, but mapImageTarget() was never asked for');
  const jit = image
    ? JitProgram.load(image, jitContext!, { nativeHelpers: nativeHelpers(programType('plain')), regions })
    : JitProgram.compile(program.insns, { nativeHelpers: nativeHelpers(programType('plain')), resolvePseudo, verify: false, budget: false, regions });
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
