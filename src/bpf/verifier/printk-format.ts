/**
 * The conversions of a bpf_trace_printk format, as the helper consumes its arguments (the
 * kernel's bpf_bprintf_prepare rules, which native/helpers.cc follows): for each argument in
 * order, whether the helper reads memory through it (%s, %pks/%pus, %pi4/%pI4/%pi6/%pI6: a
 * checked copy, so a pointer reveals nothing) or formats its value (everything else, so a
 * pointer would print an address). Pure: knows only the format bytes.
 */
export type PrintkUse = 'memory' | 'value';

export function printkUses(fmt: Uint8Array): PrintkUse[] {
  const uses: PrintkUse[] = [];
  for (let i = 0; i < fmt.length && fmt[i] !== 0; i++) {
    if (fmt[i] !== 0x25 /* % */) continue;
    if (fmt[i + 1] === 0x25) {
      i++;
      continue;
    }
    i++;
    while (i < fmt.length && ' 0+-'.includes(String.fromCharCode(fmt[i] as number))) i++;
    while (i < fmt.length && (fmt[i] as number) >= 0x30 && (fmt[i] as number) <= 0x39) i++;
    const c = String.fromCharCode(fmt[i] ?? 0);
    const n1 = String.fromCharCode(fmt[i + 1] ?? 0);
    const n2 = String.fromCharCode(fmt[i + 2] ?? 0);
    const reads = c === 's' || (c === 'p' && ((('ku'.includes(n1) && n2 === 's') || ('iI'.includes(n1) && '46'.includes(n2))) && n1 !== ''));
    uses.push(reads ? 'memory' : 'value');
  }
  return uses;
}
