import { basename } from 'node:path';
import { HELPER_PROTOS } from '../../bpf/helper-protos.js';
import { parseProgramType, programType, programTypeSpellings, sectionProgramType, PROGRAM_TYPE_NAMES } from '../../bpf/program-types/index.js';
import { BpfVerifierError, objectMaps, verifyProgram, type VerifyOptions } from '../../bpf/verifier/index.js';
import type { BpfInsn } from '../../bpf/instruction.js';
import { parseArgs, single, type ArgSpec, type ParsedArgs } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliUsageError } from '../command.js';
import { engineError } from '../engine.js';
import { ASM_SYNTAX_NAMES, PROGRAM_FORMATS, displayName, parseProgram, readInput, type AsmSyntax, type ProgramFormat } from '../inputs.js';

const usage = `usage: a64jit verify [options] <prog.o | prog.s | prog.bin | test.data | ->

Proves each program safe to run without run-time checks (the verifier of src/bpf/verifier,
worded like the Linux verifier) and prints one line per program:
  ok NAME (N insns processed, M states)
  rejected NAME: pc P: message (the failing instruction)
then 'N accepted, M rejected'. Exit code 0 only if every program is accepted.

Without --type an object's program has the type its section names (xdp, tc, kprobe/...), as
'a64jit run' reads it; other programs are plain buffers: R1 points to the memory, R2 holds its
length, and the verifier works out the least memory size the program needs, or checks the
accesses against --mem-size. Helper calls are checked against the Linux helpers' prototypes.

Options:
  --type TYPE          the program type (${PROGRAM_TYPE_NAMES.join(', ')}; also ${programTypeSpellings().join(', ')}
                       and libbpf section names such as xdp or tc/ingress)
  --program NAME       (.o) only this program
  --mem-size N         (plain) the memory is exactly N bytes (R2 = N)
  --log                print the verifier's state before each instruction (like the kernel's
                       log level 2)
  --sandbox            the analysis 'run --sandbox' (and 'run --no-verify --sandbox') runs
                       before the program: refuses what no run-time check sees (uninitialized
                       registers and stack, pointer leaks, helper arguments, context offsets,
                       accesses certainly out of bounds) with the same messages, and lists what
                       it leaves to the sandbox's run-time checks (accesses whose bounds it
                       cannot prove) and to the instruction budget (loops it cannot bound):
                         ok NAME (N insns processed, M states, K accesses left to run-time
                         checks, L loops left to the budget)
                           pc P: what normal mode would have refused there
  --syntax ubpf|llvm   (.s) the assembly syntax
  --format ${PROGRAM_FORMATS.join('|')}

Exit code 1 when a program is rejected or the input is bad, 2 for usage errors.`;

const spec: ArgSpec = {
  flags: ['--log', '--sandbox'],
  values: ['--type', '--program', '--mem-size', '--syntax', '--format'],
};

interface Parsed extends ParsedArgs {
  readonly input: string;
}

function parse(args: readonly string[]): Parsed {
  const parsed = parseArgs(args, spec);
  if (parsed.positionals.length === 0) throw new CliUsageError('no program file given (use - for standard input)');
  if (parsed.positionals.length > 1) throw new CliUsageError(`only one program file is accepted (got ${parsed.positionals.join(', ')})`);
  const syntax = single(parsed, '--syntax');
  if (syntax !== undefined && !(ASM_SYNTAX_NAMES as readonly string[]).includes(syntax)) throw new CliUsageError(`unknown syntax '${syntax}' (known: ${ASM_SYNTAX_NAMES.join(', ')})`);
  const format = single(parsed, '--format');
  if (format !== undefined && !(PROGRAM_FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`unknown format '${format}' (known: ${PROGRAM_FORMATS.join(', ')})`);
  const type = single(parsed, '--type');
  if (type !== undefined && !parseProgramType(type)) throw new CliUsageError(`unknown program type '${type}' (known: ${[...PROGRAM_TYPE_NAMES, ...programTypeSpellings()].join(', ')})`);
  const memSize = single(parsed, '--mem-size');
  if (memSize !== undefined && !/^\d+$/.test(memSize)) throw new CliUsageError(`--mem-size takes a number of bytes, got '${memSize}'`);
  return { ...parsed, input: parsed.positionals[0]! };
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'prove programs safe (the verifier) and print ok or the rejection for each',
  usage,
  readsStdin: (args) => parse(args).input === '-',
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    const wanted = single(parsed, '--program');
    const syntax = single(parsed, '--syntax') as AsmSyntax | undefined;
    const format = single(parsed, '--format') as ProgramFormat | undefined;
    const bytes = await readInput(parsed.input, io);
    const file = displayName(parsed.input);
    const loaded = parseProgram(bytes, parsed.input, { ...(syntax === undefined ? {} : { syntax }), ...(format === undefined ? {} : { format }) });
    const typeText = single(parsed, '--type');
    const named = typeText === undefined ? undefined : parseProgramType(typeText);
    const type = named && programType(named.type);
    const memSize = single(parsed, '--mem-size');
    const base: VerifyOptions = {
      // the Linux helpers, which `run` binds
      helpers: HELPER_PROTOS,
      ...(type ? { programType: type } : {}),
      ...(named?.attach !== undefined ? { attach: named.attach } : {}),
      ...(memSize !== undefined ? { memSize: Number(memSize) } : {}),
    };
    const targets: { name: string; insns: readonly BpfInsn[]; options: VerifyOptions }[] = [];
    if (loaded.kind === 'insns') {
      if (wanted !== undefined) throw new CliUsageError('--program applies to ELF objects (.o) only');
      targets.push({ name: basename(file), insns: loaded.insns, options: base });
    } else {
      const programs = loaded.obj.programs.filter((p) => wanted === undefined || p.name === wanted);
      if (programs.length === 0) {
        const names = loaded.obj.programs.map((p) => p.name).join(', ');
        throw engineError(new Error(`no program '${wanted}' (programs: ${names || 'none'})`), file);
      }
      const maps = objectMaps(loaded.obj);
      for (const p of programs) targets.push({ name: p.name, insns: p.insns, options: { ...base, ...sectionType(p.section, type), ...maps } });
    }
    const sandbox = parsed.flags.has('--sandbox');
    let accepted = 0;
    let rejected = 0;
    for (const t of targets) {
      const log = parsed.flags.has('--log') ? { log: { sink: (line: string) => io.out(`${line}\n`) } } : {};
      try {
        const r = verifyProgram(t.insns, { ...t.options, ...log, ...(sandbox ? { sandbox: true } : {}) });
        accepted++;
        if (!sandbox) {
          io.out(`ok ${t.name} (${r.processed} insns processed, ${r.states} states)\n`);
          continue;
        }
        io.out(`ok ${t.name} (${r.processed} insns processed, ${r.states} states, ${r.leftToRunTime} accesses left to run-time checks, ${r.loopsLeftToBudget} loops left to the budget)\n`);
        const checks = [...r.facts.pointerChecks].map(([pc, c]) => [pc, `pointer arithmetic checked as it runs: R${c.dst}'s offset must stay in ${c.min}..${c.max} (value_size=${c.limit}, map '${c.map}')`] as const);
        const left = [...r.facts.leftToRunTime, ...r.facts.loopsLeftToBudget, ...checks].sort((a, b) => a[0] - b[0]);
        for (const [pc, why] of left) io.out(`  pc ${pc}: ${why}\n`);
      } catch (e) {
        if (!(e instanceof BpfVerifierError)) throw engineError(e, file);
        rejected++;
        io.out(`rejected ${t.name}: ${e.message}\n`);
      }
    }
    io.out(`${accepted} accepted, ${rejected} rejected\n`);
    return rejected === 0 ? 0 : 1;
  },
};

/** Without --type, an object's program has the type its section names (as `run` and libbpf read it). */
function sectionType(section: string, given: VerifyOptions['programType']): Pick<VerifyOptions, 'programType' | 'attach'> {
  if (given) return {};
  const m = sectionProgramType(section);
  if (m.kind !== 'type') return {};
  return { programType: programType(m.type), ...(m.attach !== undefined ? { attach: m.attach } : {}) };
}
