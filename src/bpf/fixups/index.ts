import type { BpfInsn } from '../instruction.js';
import { insnKind } from '../insn-kind.js';
import { BpfContextError, convertContextAccess } from '../program-types/convert.js';
import type { ProgramType } from '../program-types/model.js';
import { hasStruct } from '../program-types/model.js';
import { analyzeProvenance, localMapAtCall, type ProgramFacts } from '../program-types/provenance.js';
import type { ProgramInfo } from '../validate.js';
import { validateProgram } from '../validate.js';
import { inlineArrayLookup, type ArrayInline } from './array-lookup.js';
import { callLocalAppended } from './builder.js';
import { lowerLdAbs } from './ld-abs.js';
import { LOOP_HELPER_ID, loopFunction } from './loop.js';
import { patchProgram, type PatchInsn } from './patch.js';

/**
 * BPF -> BPF rewrites that both engines run before a program does (the kernel's
 * convert_ctx_accesses and do_misc_fixups): context field accesses onto the runtime's
 * internal context, LD_ABS/LD_IND onto the packet, bpf_loop into a loop calling the callback,
 * array map lookups inlined. The interpreter and the JIT get the same rewritten program, so
 * they agree on every one of these by construction.
 *
 * This room (src/bpf/fixups) is pure BPF: it imports src/bpf models only.
 */

export interface PrepareOptions {
  readonly type: ProgramType;
  /** the expected attach type from the section (attach-specific context fields) */
  readonly attach?: string;
  /** provenance facts from elsewhere (a verifier); computed when absent */
  readonly facts?: ProgramFacts;
  readonly info?: ProgramInfo;
  /** an inlinable array map's layout by map index (LDDW src 1 imm), or undefined to call the helper */
  readonly arrayLayout?: (map: number) => ArrayInline | undefined;
}

export interface PreparedProgram {
  readonly insns: BpfInsn[];
  /** pc in `insns` -> pc of the original program (-1 for code a fixup appended) */
  readonly origin: readonly number[];
  readonly facts: ProgramFacts;
  /** what was rewritten, for listings and tests */
  readonly rewrites: { readonly contextAccesses: number; readonly ldAbs: number; readonly loops: number; readonly inlinedLookups: number };
}

const NO_FACTS: ProgramFacts = { ctxAccesses: new Map(), mapAtCall: new Map(), ldAbsWithCtx: new Set(), problems: [] };

/** Rewrite `program` for `type`. Throws BpfContextError for context misuse, naming the pc. */
export function prepareProgram(program: readonly BpfInsn[], options: PrepareOptions): PreparedProgram {
  const { type } = options;
  const info = options.info ?? validateProgram(program, { legacyPacketAccess: type.legacyPacketAccess });
  const hasCtx = hasStruct(type.context);
  // The analysis is only needed for context accesses, LD_ABS and the maps of inlined lookups.
  const needsFacts = hasCtx || program.some((i) => insnKind(i)?.kind === 'ld-legacy');
  const facts =
    options.facts ??
    (needsFacts
      ? analyzeProvenance(program, { context: hasCtx, info })
      : { ...NO_FACTS, mapAtCall: options.arrayLayout !== undefined ? localMapAtCall(program, info) : NO_FACTS.mapAtCall });
  const rewritesCtx = hasStruct(type.context) && type.context.internal !== 'raw';
  if (rewritesCtx && facts.problems.length > 0) {
    const p = facts.problems[0]!;
    throw new BpfContextError(p.reason, p.pc);
  }
  const patches = new Map<number, readonly PatchInsn[]>();
  const appended: PatchInsn[][] = [];
  let loopIndex: number | undefined;
  const counts = { contextAccesses: 0, ldAbs: 0, loops: 0, inlinedLookups: 0 };
  const entry = info.functions[0]!;

  for (const [pc, fact] of facts.ctxAccesses) {
    const replacement = convertContextAccess(type, options.attach, program[pc]!, pc, fact);
    if (replacement !== undefined) {
      patches.set(pc, replacement);
      counts.contextAccesses++;
    }
  }
  for (let pc = 0; pc < program.length; pc++) {
    if (info.lddwTails.has(pc)) continue;
    const k = insnKind(program[pc]!);
    if (k?.kind === 'ld-legacy') {
      if (!type.legacyPacketAccess) throw new BpfContextError(`LD_ABS/LD_IND are not defined for ${type.name} programs (only socket_filter, sched_cls, sched_act, cgroup_skb)`, pc);
      if (!facts.ldAbsWithCtx.has(pc)) throw new BpfContextError('at the time of BPF_LD_ABS|IND R6=ctx is expected', pc);
      if (pc >= entry.end) throw new BpfContextError('LD_ABS/LD_IND are only supported in the entry function (a failed load ends the whole program)', pc);
      patches.set(pc, lowerLdAbs(program[pc]!));
      counts.ldAbs++;
    } else if (k?.kind === 'call-helper' && k.id === LOOP_HELPER_ID) {
      if (loopIndex === undefined) loopIndex = appended.push(loopFunction()) - 1;
      patches.set(pc, [callLocalAppended(loopIndex)]);
      counts.loops++;
    } else if (k?.kind === 'call-helper' && k.id === 1 && options.arrayLayout) {
      const map = facts.mapAtCall.get(pc);
      const layout = map === undefined ? undefined : options.arrayLayout(map);
      const inline = layout && inlineArrayLookup(layout);
      if (inline) {
        patches.set(pc, inline);
        counts.inlinedLookups++;
      }
    }
  }
  if (patches.size === 0) return { insns: program.map((i) => ({ ...i })), origin: program.map((_, i) => i), facts, rewrites: counts };
  const patched = patchProgram(program, patches, appended);
  return { insns: patched.insns, origin: patched.origin, facts, rewrites: counts };
}

export { patchProgram, BpfPatchError } from './patch.js';
export type { PatchInsn, PatchedProgram } from './patch.js';
export type { ArrayInline } from './array-lookup.js';
export { inlineArrayLookup } from './array-lookup.js';
export { lowerLdAbs, SKF_LL_OFF, SKF_NET_OFF } from './ld-abs.js';
export { loopFunction, LOOP_HELPER_ID } from './loop.js';
