/**
 * A validator for the subset of JSON Schema (draft 2020-12) that the project's schemas use:
 * type (one name), const, enum, properties, required, additionalProperties (false or a
 * schema), items, minItems, maxItems, minimum, pattern, anyOf. Anything else in a schema is an
 * error here, so a schema cannot silently use a keyword this validator ignores.
 */
type Schema = Readonly<Record<string, unknown>>;

const KNOWN = new Set(['$schema', '$id', 'title', 'description', 'type', 'const', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'minimum', 'pattern', 'anyOf']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Every violation, as 'path: problem'; empty when `value` matches. */
export function validate(schema: Schema, value: unknown, path = '$'): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) return [`${path}: the schema uses '${key}', which this validator does not implement`];
  const errors: string[] = [];
  if (schema.anyOf !== undefined) {
    const branches = (schema.anyOf as Schema[]).map((s) => validate(s, value, path));
    if (!branches.some((b) => b.length === 0)) errors.push(`${path}: matches none of anyOf (${branches.map((b) => b[0]).join(' | ')})`);
  }
  if (schema.type !== undefined) {
    const t = typeOf(value);
    const want = schema.type as string;
    if (!(t === want || (want === 'number' && t === 'integer'))) return [...errors, `${path}: is ${t}, expected ${want}`];
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: is ${JSON.stringify(value)}, expected ${JSON.stringify(schema.const)}`);
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number' && schema.minimum !== undefined && value < (schema.minimum as number)) errors.push(`${path}: ${value} is below ${schema.minimum}`);
  if (typeof value === 'string' && schema.pattern !== undefined && !new RegExp(schema.pattern as string).test(value)) errors.push(`${path}: '${value}' does not match ${schema.pattern}`);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < (schema.minItems as number)) errors.push(`${path}: ${value.length} items, at least ${schema.minItems}`);
    if (schema.maxItems !== undefined && value.length > (schema.maxItems as number)) errors.push(`${path}: ${value.length} items, at most ${schema.maxItems}`);
    if (schema.items !== undefined) value.forEach((item, i) => errors.push(...validate(schema.items as Schema, item, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in obj)) errors.push(`${path}: missing '${key}'`);
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...validate(props[key]!, v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected '${key}'`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties as Schema, v, `${path}.${key}`));
    }
  }
  return errors;
}
