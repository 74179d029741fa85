// Child process for the unsafe-corpus tests (plain JS over dist/): the verifier's unsafe corpus
// run WITHOUT the verifier, as `a64jit run --no-verify [--sandbox]` does, in a process of its
// own, because without the sandbox nothing stops an unsafe program from corrupting the memory
// of the process it runs in: the test's own process must survive whatever happens here.
//
//   node corpus-child.mjs PROGRAMS.json sandbox      every unsafe program, sandboxed, in the JIT
//                                                   and the interpreter: how each run ended
//   node corpus-child.mjs PROGRAMS.json faults N     every unsafe program unsandboxed in the JIT
//                                                   (and in the interpreter, which checks every
//                                                   access anyway); then the ones that fault
//                                                   again, round robin, until N faulting runs
//                                                   in a row; /proc/self/maps before and after;
//                                                   then the safe corpus, verified, JIT against
//                                                   the interpreter
//
// PROGRAMS.json: [{ file, kind (unsafe | safe), type, loops, elf? (path of the object), insns?,
// maps?, mem? }]. Each unsafe run gets HOSTILE input, what an unsafe program is unsafe on (inputs() below): short packets, every
// byte 0xff (the largest index, length or loop bound a byte or word can give), and every element
// of the program's array maps 0xff bytes too; hash maps start empty (every lookup misses).
import { readFileSync } from 'node:fs';
import { assembleLlvm, loadBpfObject } from '../../dist/bpf/index.js';
import { parseProgramType, programType } from '../../dist/bpf/program-types/index.js';
import { BpfFaultError } from '../../dist/jit/index.js';
import { BpfObjectFile } from '../../dist/object/index.js';
import { faultState } from '../../dist/runtime/index.js';

const [file, mode, count] = process.argv.slice(2);
const all = JSON.parse(readFileSync(file, 'utf8'));
const programs = all.filter((p) => p.kind === 'unsafe');
const safe = all.filter((p) => p.kind === 'safe');
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

/** How one run ended: { kind: 'ran' | error class, message }; the error itself in `error`. */
function outcome(f, ran = (r) => `R0 = ${r.retval}`) {
  try {
    return { kind: 'ran', message: ran(f()) };
  } catch (e) {
    const o = e instanceof Error ? { kind: e.constructor.name, message: e.message } : { kind: typeof e, message: String(e) };
    return Object.defineProperty(o, 'error', { value: e, enumerable: false });
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

/** Mappings of /proc/self/maps, without V8's and qemu's rwx code space (it grows and shrinks). */
const mappings = () => readFileSync('/proc/self/maps', 'utf8').trim().split('\n').filter((l) => l.split(/\s+/)[1] !== 'rwxp').length;

/**
 * A correct, verified program run after every unsafe one: a hash map update and lookup through
 * the native helpers, from the stack (R0 = 42). An unsafe run that ran to its end but broke the
 * map storage, the helpers or the JIT's calling path shows here, next to the program that did it.
 */
const CANARY = [
  'r7 = r10', 'r7 += -8', '*(u32 *)(r7 + 0) = 3', // key 3
  'r8 = r10', 'r8 += -16', '*(u64 *)(r8 + 0) = 40', // value 40
  'r1 = map_fd(0x0) ll', 'r2 = r7', 'r3 = r8', 'r4 = 0', 'call 2', // bpf_map_update_elem
  'r1 = map_fd(0x0) ll', 'r2 = r7', 'call 1', // bpf_map_lookup_elem
  'r6 = 2', 'if r0 == 0 goto +2', 'r1 = *(u64 *)(r0 + 0)', 'r6 += r1',
  'r0 = r6', 'exit',
].join('\n');

function openCanary() {
  const parsed = parsedObject({ insns: assembleLlvm(CANARY), maps: [{ name: 'canary', type: 1, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }] });
  const obj = new BpfObjectFile(parsed, { name: 'canary', cpus: 2 });
  const program = obj.program(parsed.programs[0].name);
  return { obj, run: () => outcome(() => program.testRun({ engine: 'jit', dataIn: new Uint8Array(16) })) };
}

/** Helpers whose result depends on the time or a random number: R0 is not compared across engines. */
const UNREPEATABLE_HELPERS = new Set([5, 7, 118, 125, 160, 208]); // ktime_get_ns, get_prandom_u32, jiffies64, ktime_get_boot_ns, ktime_get_coarse_ns, ktime_get_tai_ns
const BPF_CALL = 0x85;

/**
 * `--no-verify` alone: the first pass runs every unsafe program as runInputs does, in the JIT
 * without the sandbox (the budget and the helper argument checks on, as for any unverified
 * code; no shadow stack, no region checks), each followed by the canary, and in the
 * interpreter. The programs whose JIT run faulted stay open and run again, round robin on the
 * input they faulted on, until `n` faulting runs in a row: each must be a BpfFaultError at the
 * same pc with the same signal and access as the first. The first pass is the warm-up; the
 * mappings are counted after it and after the repeats (both after a gc). Then the safe corpus,
 * verified as a user runs it, on benign input: JIT against the interpreter.
 */
function faults(n) {
  const canary = openCanary();
  const canaryBroken = [];
  const results = [];
  const faulting = [];
  for (const p of programs) {
    let jit;
    for (const given of inputs(p)) {
      const { o, opened } = runOnce(p, 'jit', false, given);
      jit = { ...o, input: given.dataIn?.length ?? null, ...(o.error instanceof BpfFaultError ? { signal: o.error.signal } : {}) };
      if (o.error instanceof BpfFaultError && opened) faulting.push({ p, opened, given, first: o.error });
      else opened?.obj.close();
      const c = canary.run();
      if (c.message !== 'R0 = 42') canaryBroken.push(`after ${p.file} (input ${jit.input}): canary ${c.kind}: ${c.message}`);
      if (o.kind !== 'ran') break;
    }
    results.push({ file: p.file, jit, interpreter: runInputs(p, 'interpreter', false) });
  }
  globalThis.gc?.();
  const mappingsBefore = mappings();
  const containedBefore = faultState().contained;
  const wrong = [];
  let runs = 0;
  while (faulting.length > 0 && runs < n && wrong.length < 10) {
    for (const f of faulting) {
      if (runs === n || wrong.length === 10) break;
      runs++;
      try {
        f.opened.program.testRun({ engine: 'jit', ...f.given });
        wrong.push(`${f.p.file}: ran to its end on faulting run ${runs}`);
      } catch (e) {
        const same = e instanceof BpfFaultError && e.pc === f.first.pc && e.signal === f.first.signal && e.access === f.first.access;
        if (!same) wrong.push(`${f.p.file}: faulting run ${runs}: ${e?.constructor?.name}: ${e?.message} (first: ${f.first.message})`);
      }
    }
  }
  const contained = faultState().contained - containedBefore;
  for (const f of faulting) f.opened.obj.close();
  globalThis.gc?.();
  const mappingsAfter = mappings();
  const c = canary.run();
  if (c.message !== 'R0 = 42') canaryBroken.push(`after the faulting runs: canary ${c.kind}: ${c.message}`);
  canary.obj.close();
  const correct = [];
  const differ = [];
  for (const p of safe) {
    const type = p.type === 'plain' ? undefined : programType(parseProgramType(p.type).type);
    const given = type && !type.packet ? {} : { dataIn: Uint8Array.from({ length: p.mem ?? 64 }, (_, i) => (i * 37 + 11) & 0xff) };
    const parsed = parsedObject(p);
    const repeatable = !parsed.programs[0].insns.some((i) => i.code === BPF_CALL && i.src === 0 && UNREPEATABLE_HELPERS.has(i.imm));
    const run = (engine) =>
      outcome(() => {
        const obj = new BpfObjectFile(parsedObject(p), { name: p.file, cpus: 2, ...(p.type === 'plain' ? {} : { type: p.type }), ...(p.loops === false ? { allowLoops: false } : {}) });
        try {
          return obj.program(parsed.programs[0].name).testRun({ engine, ...given });
        } finally {
          obj.close();
        }
      }, (r) => `${repeatable ? `R0 = ${r.retval}` : 'R0 (time or random)'}, data ${Buffer.from(r.dataOut ?? []).toString('hex')}`);
    const [jit, interp] = [run('jit'), run('interpreter')];
    if (jit.kind !== 'ran' || jit.message !== interp.message) differ.push(`${p.file}: jit ${jit.kind}: ${jit.message} / interpreter ${interp.kind}: ${interp.message}`);
    else correct.push(p.file);
  }
  return {
    results,
    canaryBroken,
    faultingPrograms: faulting.length,
    faultingRuns: runs,
    contained,
    wrong,
    mappingsBefore,
    mappingsAfter,
    liveRanges: faultState().liveRanges,
    correctAfter: correct.length,
    differAfter: differ,
  };
}

if (mode === 'sandbox') {
  for (const p of programs) out({ file: p.file, jit: runInputs(p, 'jit', true), interpreter: runInputs(p, 'interpreter', true) });
} else if (mode === 'faults') {
  out(faults(Number(count)));
} else {
  throw new Error(`corpus-child: unknown mode '${mode}'`);
}
