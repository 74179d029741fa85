import { writeFileSync } from 'node:fs';
import { BpfContextError, BpfMapError, BpfPatchError, MAX_CPUS, parseProgramType, programTypeSpellings, PROGRAM_TYPE_NAMES } from '../../bpf/index.js';
import { objectFromInstructions, BpfObjectFile, type Engine, type TestRunResult } from '../../object/index.js';
import { BpfRunInputError, NativeLibrary } from '../../runtime/index.js';
import { BpfMapOpError } from '../../runtime/maps/index.js';
import { setupCommandLine } from '../../runtime/emulation.js';
import { parseArgs, single, type ArgSpec, type ParsedArgs } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliInputError, CliUsageError } from '../command.js';
import { JIT_FLAGS, JIT_FLAGS_USAGE, SAFETY_FLAGS, SAFETY_USAGE, SAFETY_VALUES, VERIFY_FLAG_USAGE, engineError, jitFlags, safetyFlags } from '../engine.js';
import { ASM_SYNTAX_NAMES, PROGRAM_FORMATS, loadProgram, parseHexBytes, readInput, type AsmSyntax, type ProgramFormat } from '../inputs.js';
import { allMapContents, preloadMap } from '../maps-json.js';

const usage = `usage: a64jit run [options] <prog.o | prog.s | test.data | prog.bin | ->

Runs a BPF program as BPF_PROG_TEST_RUN does and prints R0 on one line as 'DECIMAL (0xHEX)':
  $ a64jit run prog.s
  42 (0x2a)
  $ a64jit run xdp_filter.o --data-in pkt.bin --data-out out.bin --repeat 1000 --json
The first token is R0 in decimal, for scripts: r0=$(a64jit run prog.s | cut -d' ' -f1).

The program type comes from the ELF section name as libbpf reads it (xdp, tc, socket,
cgroup_skb/ingress, kprobe/..., tracepoint/..., raw_tp/..., fentry/..., perf_event, ...) or from
--type. Packet types (xdp, sched_cls, sched_act, socket_filter, cgroup_skb) take the packet
from --data-in and build their context (struct xdp_md, struct __sk_buff) around it, with
--ctx-in setting the context fields a test run may set; tracing types take their context from
--ctx-in; a program without a section type (and .s, .bin, .data input) gets the bytes of
--data-in (or --mem) as a plain buffer: R1 = address, R2 = length.

Input (detected from the content and extension, or --format):
  .o     clang -target bpf ELF object: its maps are created (BTF or legacy definitions), global
         data is linked, extern functions are bound by name to the --lib libraries
  .s     assembly, uBPF syntax ('mov %r0, 1') or LLVM syntax ('r0 = 1'), detected or --syntax
  .data  a bpf_conformance test: its '-- raw' or '-- asm', and '-- mem' as the default memory
  .bin   raw bytecode, 8 bytes per slot; '-' reads standard input

Options:
  --program NAME       (.o) the program to run (default: the first); an unknown name lists them
  --entry NAME         (.o) the same as --program (any function may be named)
  --type TYPE          the program type: ${PROGRAM_TYPE_NAMES.join(', ')}, an alias
                       (${programTypeSpellings().join(', ')}) or a section name
  --data-in FILE       the packet (packet types) or the buffer (plain programs)
  --data-out FILE      write the packet after the run (from data_meta for XDP, as the kernel)
  --ctx-in FILE        the context struct's bytes (struct xdp_md, struct __sk_buff, pt_regs, ...)
  --ctx-out FILE       write the context after the run
  --repeat N           run N times, restoring the packet and context before each run; the
                       time per run is reported on stderr (or in --json)
  --map NAME=FILE      preload a map before the run: a JSON array of {"key","value"} (hex, or
                       values typed by the object's BTF), or raw values for an array (repeatable)
  --cpu N              the CPU the run is on: per-CPU map slots, bpf_get_smp_processor_id
  --cpus N             the CPU count of per-CPU maps (default: this host's, at most ${MAX_CPUS})
  --json               print retval, data_out (hex), ctx_out, every map's contents after the
                       run, the printk output and the duration as one JSON object
  --syntax ubpf|llvm   (.s) the assembly syntax
  --format ${PROGRAM_FORMATS.join('|')}
  --mem HEX            a plain buffer's bytes, e.g. '01 02 03 04' or 01020304
  --mem-file FILE      a plain buffer from a file, byte for byte (like --data-in)
  --lib LIB.so         a shared library for the object's extern functions (repeatable;
                       searched in order). It must be built for arm64 (the JIT calls it)
  --interp             run on the reference interpreter instead of the JIT
${VERIFY_FLAG_USAGE}
${SAFETY_USAGE}
${JIT_FLAGS_USAGE}

The helpers are the real ones with their Linux ids (bpf_ktime_get_ns is 5, bpf_trace_printk
6, ...); bpf_trace_printk output goes to stderr (into the JSON with --json). Without --interp,
on a non-arm64 host the command re-runs itself under qemu-aarch64 (set up by
\`${setupCommandLine()}\`) and says so on stderr. Exit code 1 for bad input or a failing program
(the message names the file and the pc, line:column, file offset, map or field), 2 for usage
errors.`;

const spec: ArgSpec = {
  flags: ['--interp', '--json', '--no-verify', ...SAFETY_FLAGS, ...JIT_FLAGS],
  values: ['--entry', '--program', '--type', '--syntax', '--format', '--mem', '--mem-file', '--lib', '--data-in', '--data-out', '--ctx-in', '--ctx-out', '--repeat', '--map', '--cpu', '--cpus', ...SAFETY_VALUES],
  repeatable: ['--lib', '--map'],
};

function integerOption(parsed: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = single(parsed, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new CliUsageError(`${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

function parse(args: readonly string[]): ParsedArgs & { input: string } {
  const parsed = parseArgs(args, spec);
  if (parsed.positionals.length === 0) throw new CliUsageError('no program file given (use - for standard input)');
  if (parsed.positionals.length > 1) throw new CliUsageError(`only one program file is accepted (got ${parsed.positionals.join(', ')})`);
  const buffers = ['--mem', '--mem-file', '--data-in'].filter((o) => parsed.values.has(o));
  if (buffers.length > 1) throw new CliUsageError(`${buffers.join(' and ')} exclude each other`);
  if (parsed.values.has('--entry') && parsed.values.has('--program')) throw new CliUsageError('--entry and --program name the same thing: give one');
  const syntax = single(parsed, '--syntax');
  if (syntax !== undefined && !(ASM_SYNTAX_NAMES as readonly string[]).includes(syntax)) {
    throw new CliUsageError(`unknown syntax '${syntax}' (known: ${ASM_SYNTAX_NAMES.join(', ')})`);
  }
  const format = single(parsed, '--format');
  if (format !== undefined && !(PROGRAM_FORMATS as readonly string[]).includes(format)) {
    throw new CliUsageError(`unknown format '${format}' (known: ${PROGRAM_FORMATS.join(', ')})`);
  }
  const type = single(parsed, '--type');
  if (type !== undefined && parseProgramType(type) === undefined) {
    throw new CliUsageError(`unknown program type '${type}' (types: ${PROGRAM_TYPE_NAMES.join(', ')}; aliases: ${programTypeSpellings().join(', ')})`);
  }
  for (const m of parsed.values.get('--map') ?? []) if (!/^[^=]+=.+$/.test(m)) throw new CliUsageError(`--map takes NAME=FILE, got '${m}'`);
  integerOption(parsed, '--repeat', 1, 100_000_000);
  integerOption(parsed, '--cpu', 0, MAX_CPUS - 1);
  integerOption(parsed, '--cpus', 1, MAX_CPUS);
  jitFlags(parsed); // rejects JIT switches with --interp
  safetyFlags(parsed);
  if (parsed.flags.has('--interp') && parsed.values.has('--lib')) throw new CliUsageError('--lib needs the JIT: the interpreter cannot call native code');
  return { ...parsed, input: parsed.positionals[0]! };
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run a BPF program (.o, .s, .data, .bin) like BPF_PROG_TEST_RUN on the JIT (or --interp) and print R0',
  usage,
  executesNative: (args) => !parse(args).flags.has('--interp'),
  readsStdin: (args) => {
    const p = parse(args);
    return [p.input, single(p, '--mem-file'), single(p, '--data-in'), single(p, '--ctx-in')].includes('-');
  },
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    const stdinUsers = [parsed.input, single(parsed, '--mem-file'), single(parsed, '--data-in'), single(parsed, '--ctx-in')].filter((x) => x === '-');
    if (stdinUsers.length > 1) throw new CliUsageError('only one input can come from standard input');
    const entry = single(parsed, '--entry') ?? single(parsed, '--program');
    const syntax = single(parsed, '--syntax') as AsmSyntax | undefined;
    const format = single(parsed, '--format') as ProgramFormat | undefined;
    const loaded = await loadProgram(parsed.input, io, {
      ...(single(parsed, '--entry') === undefined ? {} : { entry: single(parsed, '--entry')! }),
      ...(syntax === undefined ? {} : { syntax }),
      ...(format === undefined ? {} : { format }),
    });
    if (single(parsed, '--program') !== undefined && loaded.kind !== 'object') throw new CliUsageError('--program applies to ELF objects (.o) only');

    const memHex = single(parsed, '--mem');
    const dataFile = single(parsed, '--mem-file') ?? single(parsed, '--data-in');
    const dataWhat = single(parsed, '--mem-file') !== undefined ? '--mem-file' : '--data-in';
    const dataIn =
      memHex !== undefined
        ? parseHexBytes(memHex, '--mem')
        : dataFile !== undefined
          ? await readInput(dataFile, io, { what: dataWhat })
          : loaded.kind === 'insns' && loaded.mem !== undefined
            ? loaded.mem
            : undefined;
    const ctxFile = single(parsed, '--ctx-in');
    const ctxIn = ctxFile !== undefined ? await readInput(ctxFile, io, { what: '--ctx-in' }) : undefined;
    const json = parsed.flags.has('--json');
    const type = single(parsed, '--type');
    const cpus = integerOption(parsed, '--cpus', 1, MAX_CPUS);
    const printk: string[] = [];
    const libraries: NativeLibrary[] = [];
    let obj: BpfObjectFile | undefined;
    try {
      for (const lib of parsed.values.get('--lib') ?? []) libraries.push(NativeLibrary.open(lib));
      const flags = jitFlags(parsed);
      const safety = safetyFlags(parsed);
      const options = {
        name: loaded.file,
        jit: { atomics: flags.atomics, blind: flags.blind, optimize: flags.optimize },
        ...(cpus !== undefined ? { cpus } : {}),
        ...(type !== undefined ? { type } : {}),
        libraries,
        // each program is proven safe before it runs unless --no-verify (trusted code) or
        // --sandbox (untrusted code, checked as it runs)
        verify: !parsed.flags.has('--no-verify') && !safety.sandbox,
        ...(safety.sandbox ? { sandbox: true } : {}),
        ...(safety.budget !== undefined ? { budget: safety.budget } : {}),
        printk: (line: string) => (json ? printk.push(line) : io.err(`${line}${line.endsWith('\n') ? '' : '\n'}`)),
      };
      obj = loaded.kind === 'object' ? new BpfObjectFile(loaded.obj, options) : objectFromInstructions(loaded.insns, options);
      const program = obj.program(loaded.kind === 'object' ? (entry ?? loaded.program.name) : 'prog');
      obj.load();
      for (const m of parsed.values.get('--map') ?? []) {
        const eq = m.indexOf('=');
        const [name, file] = [m.slice(0, eq), m.slice(eq + 1)];
        const map = obj.maps.get(name);
        if (map === undefined) throw new CliInputError(`${loaded.file}: --map: the object has no map '${name}' (maps: ${[...obj.maps.keys()].join(', ') || 'none'})`);
        preloadMap(obj, map, await readInput(file, io, { what: `--map ${name}` }), file);
      }
      const engine: Engine = parsed.flags.has('--interp') ? 'interpreter' : 'jit';
      const repeat = integerOption(parsed, '--repeat', 1, 100_000_000) ?? 1;
      const cpu = integerOption(parsed, '--cpu', 0, MAX_CPUS - 1);
      const result = program.testRun({
        engine,
        repeat,
        ...(dataIn !== undefined ? { dataIn } : {}),
        ...(ctxIn !== undefined ? { ctxIn } : {}),
        ...(cpu !== undefined ? { cpu } : {}),
      });
      writeOutputs(parsed, result);
      if (json) {
        io.out(`${JSON.stringify(report(obj, program.name, program.type.name, engine, repeat, result, printk), null, 2)}\n`);
      } else {
        io.out(`${result.retval} (0x${result.retval.toString(16)})\n`);
        if (repeat > 1) io.err(`${repeat} runs, ${formatNs(result.durationNs)} per run (${engine === 'jit' ? 'JIT' : 'interpreter'}, including the call from JavaScript)\n`);
      }
      return 0;
    } catch (e) {
      throw runError(e, loaded.file);
    } finally {
      obj?.close();
      for (const lib of libraries) lib.close();
    }
  },
};

function writeOutputs(parsed: ParsedArgs, r: TestRunResult): void {
  const write = (option: string, bytes: Uint8Array | undefined, what: string): void => {
    const file = single(parsed, option);
    if (file === undefined) return;
    if (bytes === undefined) throw new CliUsageError(`${option}: this program type has no ${what}`);
    try {
      writeFileSync(file, bytes);
    } catch (e) {
      throw new CliInputError(`${file}: ${option}: cannot write: ${(e as Error).message}`);
    }
  };
  write('--data-out', r.dataOut, 'packet or buffer');
  write('--ctx-out', r.ctxOut, 'context struct');
}

const formatNs = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`);

function report(obj: BpfObjectFile, program: string, type: string, engine: Engine, repeat: number, r: TestRunResult, printk: readonly string[]): Record<string, unknown> {
  return {
    program,
    type,
    engine,
    retval: r.retval.toString(),
    retval_hex: `0x${r.retval.toString(16)}`,
    data_out: r.dataOut === undefined ? null : Buffer.from(r.dataOut).toString('hex'),
    ctx_out: r.ctxOut === undefined ? null : Buffer.from(r.ctxOut).toString('hex'),
    repeat,
    duration_ns: Math.round(r.durationNs),
    printk,
    maps: allMapContents(obj),
  };
}

/** The object API's typed errors as one CLI line naming the file and what failed. */
function runError(e: unknown, file: string): unknown {
  if (e instanceof CliInputError || e instanceof CliUsageError) return e;
  if (e instanceof BpfContextError || e instanceof BpfPatchError) return new CliInputError(`${file}: ${e.message}`);
  if (e instanceof BpfMapError || e instanceof BpfMapOpError) return new CliInputError(`${file}: ${e.message}`);
  if (e instanceof BpfRunInputError) return new CliInputError(`${file}: ${e.message}`);
  if (e instanceof RangeError && /has no program|unknown program type|has no section|has no map/.test(e.message)) return new CliInputError(`${file}: ${e.message.replace(/^\S+ has/, 'the object has')}`);
  return engineError(e, file);
}
