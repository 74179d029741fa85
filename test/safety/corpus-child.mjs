// Child process for the unsafe-corpus tests (plain JS over dist/): the verifier's unsafe corpus
// run WITHOUT the verifier, as `a64jit run --no-verify --sandbox` does, in a process of its
// own: the test's process must survive whatever happens here.
//
//   node corpus-child.mjs PROGRAMS.json sandbox      every program, sandboxed, in the JIT and
//                                                   the interpreter: how each run ended
//
// PROGRAMS.json: [{ file, kind, type, loops, elf? (path of the object), insns?, maps?, mem? }].
// Each run gets HOSTILE input, what an unsafe program is unsafe on (inputs() below): short packets, every
// byte 0xff (the largest index, length or loop bound a byte or word can give), and every element
// of the program's array maps 0xff bytes too; hash maps start empty (every lookup misses).
import { readFileSync } from 'node:fs';
import { loadBpfObject } from '../../dist/bpf/index.js';
import { parseProgramType, programType } from '../../dist/bpf/program-types/index.js';
import { BpfObjectFile } from '../../dist/object/index.js';

const [file, mode] = process.argv.slice(2);
const all = JSON.parse(readFileSync(file, 'utf8'));
const programs = all.filter((p) => p.kind === 'unsafe');
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const PACKET = 14;
const BPF_MAP_TYPE_ARRAY = 2;

function parsedObject(p) {
  if (p.elf) return loadBpfObject(new Uint8Array(readFileSync(p.elf)));
  return {
    programs: [{ name: 'prog', section: '.text', insns: p.insns, layout: [{ name: 'prog', section: '.text', pc: 0, slots: p.insns.length }], relocations: [] }],
    functions: [],
    data: [],
    maps: (p.maps ?? []).map((m) => ({ ...m, definition: 'legacy' })),
    externs: [],
    dataRelocations: [],
  };
}

function open(p, sandbox) {
  const parsed = parsedObject(p);
  // `loops: no` in a corpus header: the kernel's policy without CAP_BPF (every back-edge refused)
  const obj = new BpfObjectFile(parsed, { name: p.file, cpus: 2, verify: false, ...(p.type === 'plain' ? {} : { type: p.type }), ...(sandbox ? { sandbox: true } : {}), ...(p.loops === false ? { allowLoops: false } : {}) });
  for (const [name, map] of obj.maps) {
    const d = map.description;
    if (name.startsWith('.') || d.type !== BPF_MAP_TYPE_ARRAY) continue;
    for (let k = 0; k < d.maxEntries; k++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      map.update(key, new Uint8Array(d.valueSize).fill(0xff));
    }
  }
  return { obj, program: obj.program(parsed.programs[0].name) };
}

/**
 * The runs' inputs, in order: packet programs get a 14-byte packet (a shortest one: an access
 * past a check for 14 bytes goes past its end) and then a 64-byte one (the checks of the first
 * few headers pass, so what a program does after them runs); plain programs their `mem:` size;
 * context-only types their zeroed context.
 */
function inputs(p) {
  const type = p.type === 'plain' ? undefined : programType(parseProgramType(p.type).type);
  if (type && !type.packet) return [{}];
  if (!type || p.mem !== undefined) return [{ dataIn: new Uint8Array(p.mem ?? PACKET).fill(0xff) }];
  return [PACKET, 64].map((n) => ({ dataIn: new Uint8Array(n).fill(0xff) }));
}
const input = (p) => inputs(p)[0];

/** How one run ended: { kind: 'ran' | error class, message }. */
function outcome(f) {
  try {
    const r = f();
    return { kind: 'ran', message: `R0 = ${r.retval}` };
  } catch (e) {
    return e instanceof Error ? { kind: e.constructor.name, message: e.message } : { kind: typeof e, message: String(e) };
  }
}

function runOnce(p, engine, sandbox, given = input(p)) {
  // the last line on stderr names the program if one takes the process down
  process.stderr.write(`${engine}${sandbox ? ' sandbox' : ''}: ${p.file}\n`);
  let opened;
  const o = outcome(() => {
    opened = open(p, sandbox);
    return opened.program.testRun({ engine, ...given });
  });
  return { o, opened };
}

/** Each input in turn until a run stops: that run's outcome (with the input's size), else the last. */
function runInputs(p, engine, sandbox) {
  let last;
  for (const given of inputs(p)) {
    const { o, opened } = runOnce(p, engine, sandbox, given);
    opened?.obj.close();
    last = { ...o, input: given.dataIn?.length ?? null };
    if (o.kind !== 'ran') break;
  }
  return last;
}

if (mode !== 'sandbox') throw new Error(`corpus-child: unknown mode '${mode}'`);
for (const p of programs) out({ file: p.file, jit: runInputs(p, 'jit', true), interpreter: runInputs(p, 'interpreter', true) });
