import { BpfLoadError, loadBpfObject, mapTypeName, parseProgramType, programTypeSpellings, PROGRAM_TYPE_NAMES, type BpfMapDef } from '../../bpf/index.js';
import { BpfObjectFile } from '../../object/index.js';
import { parseArgs, single, type ArgSpec } from '../args.js';
import type { CliCommand, CliIo } from '../command.js';
import { CliInputError, CliUsageError } from '../command.js';
import { inputError, readInput } from '../inputs.js';

const usage = `usage: a64jit show [--json] [--type TYPE] <prog.o | ->

Prints what an object holds, as bpftool and libbpf see it:
  programs: name, program type (from the section name, or --type), section, instructions
  maps:     name, map type, key and value size (with their BTF types), max_entries, flags,
            and the global data sections (.data, .rodata, .bss) as the array maps they become

Options:
  --json        the same as one JSON object
  --type TYPE   the program type for every program: ${PROGRAM_TYPE_NAMES.join(', ')}, an alias
                (${programTypeSpellings().join(', ')}) or a section name

Nothing is run or created: any host. Exit code 1 for a malformed object, 2 for usage errors.`;

const spec: ArgSpec = { flags: ['--json'], values: ['--type'] };

export const showCommand: CliCommand = {
  name: 'show',
  summary: "list an object's programs (type, section, instructions) and maps (type, sizes, BTF types)",
  usage,
  readsStdin: (args) => parseArgs(args, spec).positionals.includes('-'),
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, spec);
    if (parsed.positionals.length !== 1) throw new CliUsageError(parsed.positionals.length === 0 ? 'no object file given (use - for standard input)' : 'only one object file is accepted');
    const type = single(parsed, '--type');
    if (type !== undefined && parseProgramType(type) === undefined) throw new CliUsageError(`unknown program type '${type}' (types: ${PROGRAM_TYPE_NAMES.join(', ')})`);
    const path = parsed.positionals[0]!;
    const file = path === '-' ? '<stdin>' : path;
    const bytes = await readInput(path, io);
    let obj: BpfObjectFile;
    try {
      obj = new BpfObjectFile(loadBpfObject(bytes), { name: file, ...(type !== undefined ? { type } : {}) });
    } catch (e) {
      if (e instanceof BpfLoadError && e.message.startsWith('program ')) throw new CliInputError(`${file}: ${e.message}`);
      throw inputError(e, file);
    }
    const codec = obj.codec;
    const btfName = (id: number | undefined): string | null => (id === undefined || codec === undefined ? null : codec.typeName(id));
    const programs = [...obj.programs.values()].map((p) => ({
      name: p.name,
      type: p.type.name,
      ...(p.attach !== undefined ? { attach: p.attach } : {}),
      section: p.section,
      insns: p.insnCount,
    }));
    const mapRow = (m: BpfMapDef) => ({
      name: m.name,
      type: mapTypeName(m.type),
      key_size: m.keySize,
      value_size: m.valueSize,
      max_entries: m.maxEntries,
      flags: m.flags,
      key_btf: btfName(m.btfKeyTypeId),
      value_btf: btfName(m.btfValueTypeId),
      definition: m.definition,
      ...(m.inner !== undefined ? { inner: { type: mapTypeName(m.inner.type), key_size: m.inner.keySize, value_size: m.inner.valueSize, max_entries: m.inner.maxEntries } } : {}),
      ...(m.initialSlots !== undefined ? { initial_slots: m.initialSlots.length } : {}),
    });
    const maps = obj.mapDescriptions.map(mapRow);
    const data = obj.parsed.data.map((d) => ({
      name: d.name,
      type: 'array',
      key_size: 4,
      value_size: d.bytes.length,
      max_entries: 1,
      flags: 0,
      key_btf: null,
      value_btf: null,
      definition: 'global data',
      writable: d.writable,
      variables: (d.variables ?? []).map((v) => ({ name: v.name, offset: v.offset, size: v.size, type: btfName(v.type) })),
    }));
    if (parsed.flags.has('--json')) {
      io.out(`${JSON.stringify({ file, license: obj.parsed.license ?? null, programs, maps: [...maps, ...data] }, null, 2)}\n`);
      return 0;
    }
    const table = (rows: string[][]): string => {
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      return rows.map((r) => `  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd()).join('\n');
    };
    io.out(`${file}${obj.parsed.license !== undefined ? ` (license ${obj.parsed.license})` : ''}\n`);
    io.out(`programs: ${programs.length}\n`);
    if (programs.length > 0) {
      io.out(`${table([['name', 'type', 'section', 'insns'], ...programs.map((p) => [p.name, p.attach ? `${p.type} (${p.attach})` : p.type, p.section, String(p.insns)])])}\n`);
    }
    const rows = [...maps, ...data];
    io.out(`maps: ${rows.length}\n`);
    if (rows.length > 0) {
      const size = (n: number, t: string | null) => (t ? `${n} (${t})` : String(n));
      io.out(
        `${table([
          ['name', 'type', 'key', 'value', 'max_entries', 'flags'],
          ...rows.map((m) => [m.name, m.definition === 'global data' ? `${m.type} (global data${'writable' in m && !m.writable ? ', read-only' : ''})` : m.type, size(m.key_size, m.key_btf), size(m.value_size, m.value_btf), String(m.max_entries), `0x${m.flags.toString(16)}`]),
        ])}\n`,
      );
    }
    return 0;
  },
};
