import type { ContextStruct, FieldTarget } from '../../bpf/index.js';
import { BpfRunInputError } from './errors.js';

/** Little-endian reads and writes of a field at its offset, of its own width. */
export function putField(view: DataView, t: FieldTarget, value: bigint): void {
  switch (t.size) {
    case 1:
      view.setUint8(t.offset, Number(value & 0xffn));
      return;
    case 2:
      view.setUint16(t.offset, Number(value & 0xffffn), true);
      return;
    case 4:
      view.setUint32(t.offset, Number(value & 0xffff_ffffn), true);
      return;
    case 8:
      view.setBigUint64(t.offset, BigInt.asUintN(64, value), true);
  }
}

export function getField(view: DataView, t: FieldTarget): bigint {
  switch (t.size) {
    case 1:
      return BigInt(view.getUint8(t.offset));
    case 2:
      return BigInt(view.getUint16(t.offset, true));
    case 4:
      return BigInt(view.getUint32(t.offset, true));
    case 8:
      return view.getBigUint64(t.offset, true);
  }
}

export const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * A uapi ctx_in zero-padded to the struct's size (the kernel's bpf_ctx_init: shorter is fine,
 * longer only with zeros past the struct), with every non-zero field outside `allowed` refused.
 */
export function readCtxIn(ctx: ContextStruct, ctxIn: Uint8Array | undefined, allowed: readonly string[]): Uint8Array {
  const out = new Uint8Array(ctx.size);
  if (ctxIn === undefined) return out;
  if (ctxIn.length > ctx.size && ctxIn.subarray(ctx.size).some((b) => b !== 0)) {
    throw new BpfRunInputError(`${ctxIn.length} bytes is more than ${ctx.struct} (${ctx.size} bytes), and the bytes past it are not zero`, 'ctx_in');
  }
  out.set(ctxIn.subarray(0, ctx.size));
  const covered = new Uint8Array(ctx.size);
  for (const f of ctx.fields) {
    covered.fill(1, f.offset, f.offset + f.size);
    if (allowed.includes(f.name)) continue;
    if (out.subarray(f.offset, f.offset + f.size).some((b) => b !== 0)) {
      throw new BpfRunInputError(`${ctx.struct} field ${f.name} cannot be set by ctx_in (it comes from the packet or the run); settable: ${allowed.join(', ')}`, 'ctx_in', f.name);
    }
  }
  for (let i = 0; i < ctx.size; i++) {
    if (covered[i] === 0 && out[i] !== 0) throw new BpfRunInputError(`byte ${i} of ${ctx.struct} is padding and must be zero`, 'ctx_in');
  }
  return out;
}

/** The uapi value of a field from a uapi struct's bytes. */
export function uapiValue(ctx: ContextStruct, bytes: Uint8Array, name: string): bigint {
  const f = ctx.fields.find((x) => x.name === name)!;
  const v = viewOf(bytes);
  return f.size === 8 ? v.getBigUint64(f.offset, true) : f.size === 4 ? BigInt(v.getUint32(f.offset, true)) : f.size === 2 ? BigInt(v.getUint16(f.offset, true)) : BigInt(v.getUint8(f.offset));
}
