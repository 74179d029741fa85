import type { AccessSize, ContextField, ContextStruct, ProgramType } from './model.js';
import { hasStruct } from './model.js';

/**
 * Is a context access valid for a program type? The kernel's is_valid_access callbacks as
 * data: the access must lie inside one field, be naturally aligned (`off % size == 0`), have
 * one of the field's sizes, and the field must be readable/writable for this type (and attach
 * type). A failure carries the kernel's message ("invalid bpf_context access off=76 size=2")
 * and a plain-words reason naming the field.
 */
export type ContextAccessResult =
  | { readonly ok: true; readonly field: ContextField; readonly struct: ContextStruct }
  | { readonly ok: false; readonly message: string; readonly reason: string; readonly field?: ContextField };

export interface ContextAccess {
  readonly offset: number;
  readonly size: AccessSize;
  readonly write: boolean;
  /** LDX|MEMSX */
  readonly signed?: boolean;
  /** the expected attach type (from the section), for attach-specific fields */
  readonly attach?: string;
}

export function checkContextAccess(type: ProgramType, access: ContextAccess): ContextAccessResult {
  const { offset, size, write } = access;
  const message = `invalid bpf_context access off=${offset} size=${size}`;
  const ctx = type.context;
  if (!hasStruct(ctx)) return { ok: false, message, reason: `${type.name} programs have no context struct` };
  const fail = (reason: string, field?: ContextField): ContextAccessResult => ({ ok: false, message, reason, ...(field ? { field } : {}) });
  if (offset < 0 || offset + size > ctx.size) return fail(`offset ${offset}+${size} is outside ${ctx.struct} (${ctx.size} bytes)`);
  if (offset % size !== 0) return fail(`a ${size}-byte access at offset ${offset} of ${ctx.struct} is not aligned`);
  const field = ctx.fields.find((f) => offset >= f.offset && offset + size <= f.offset + f.size);
  if (field === undefined) {
    const near = ctx.fields.find((f) => offset < f.offset + f.size && f.offset < offset + size);
    return fail(near ? `the access at offset ${offset}+${size} spans more than the field ${near.name} of ${ctx.struct}` : `offset ${offset} of ${ctx.struct} is padding`);
  }
  const where = `${ctx.struct} field ${field.name}`;
  const allowedFor = type.fieldsByAttach?.[field.name];
  if (allowedFor !== undefined && (access.attach === undefined || !allowedFor.includes(access.attach))) {
    return fail(`${where} is only for ${allowedFor.join(', ')} programs`, field);
  }
  const sizes = write ? field.write : field.read;
  if (sizes.length === 0) return fail(`${where} is not ${write ? 'writable' : 'readable'} in ${type.name} programs`, field);
  if (!sizes.includes(size)) return fail(`${where} cannot be ${write ? 'written' : 'read'} with a ${size}-byte access (allowed: ${sizes.join(', ')})`, field);
  if (size < field.size && field.narrowAtStart === true && offset !== field.offset) return fail(`a narrow read of ${where} must start at its first byte`, field);
  if (access.signed === true && field.noSignedLoad === true) return fail(`${where} cannot be read with a sign-extending load`, field);
  return { ok: true, field, struct: ctx };
}

/** The field of a struct with this name (array fields by their name without index). */
export function contextField(ctx: ContextStruct, name: string): ContextField | undefined {
  return ctx.fields.find((f) => f.name === name);
}
