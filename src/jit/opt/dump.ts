import { CallKind, Mod, Op, type Block, type Func, type Inst } from './ir.js';

/**
 * The IR as text, for debugging the passes and for tests that pin an intermediate form:
 *
 *   B3 (slot 5) <- B2 B6 -> B6 B7
 *     v13 = phi v10, v20
 *     v17 = add v2, v16
 */
export function dumpFunction(fn: Func, reg?: Int32Array): string {
  const out: string[] = [];
  for (const b of fn.blocks) {
    if (b.removed) continue;
    out.push(`B${b.id} (slot ${b.start})${b.split ? ' edge' : ''}${b.depth > 0 ? ` depth ${b.depth}` : ''} <- ${b.preds.map((p) => `B${p.id}`).join(' ')} -> ${b.succs.map((s) => `B${s.id}`).join(' ')}`);
    for (const x of b.insts) if (!x.removed) out.push(`  ${dumpInst(x, reg)}`);
  }
  return out.join('\n');
}

const name = (x: Inst | null, reg?: Int32Array): string => (x === null ? '_' : x.op === Op.Const ? `#${x.k}` : `v${x.id}${reg && reg[x.id]! >= 0 ? `(x${reg[x.id]})` : ''}`);

export function dumpInst(x: Inst, reg?: Int32Array): string {
  const ops = [x.a, x.b, x.c, x.d].filter((v) => v !== null).map((v) => name(v, reg));
  if (x.b === null && hasImmediate(x)) ops.push(`#${x.imm}`);
  if (x.args !== null) ops.push(`[${x.args.map((v) => name(v, reg)).join(', ')}]`);
  const mod = x.mod !== Mod.None ? ` ${Mod[x.mod].toLowerCase()} #${x.amount}` : '';
  const extra = x.op === Op.Call ? ` ${CallKind[x.imm2]} ${x.imm}` : x.op === Op.CondBr || x.op === Op.Csel ? ` op=0x${x.imm2.toString(16)}` : '';
  const w = x.w === 32 ? '.32' : '';
  const size = x.op === Op.Load || x.op === Op.Store ? `.${x.size * 8}` : '';
  const lhs = x.op === Op.Store || x.op === Op.Br || x.op === Op.CondBr || x.op === Op.Ret ? '' : `${name(x, reg)} = `;
  return `${lhs}${Op[x.op].toLowerCase()}${w}${size} ${ops.join(', ')}${mod}${extra}   ; slot ${x.pc}`;
}

function hasImmediate(x: Inst): boolean {
  switch (x.op) {
    case Op.Const:
    case Op.Phi:
    case Op.Br:
    case Op.Ret:
    case Op.Call:
      return false;
    default:
      return true;
  }
}

export function blockName(b: Block): string {
  return `B${b.id}`;
}
