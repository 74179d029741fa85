import { BpfBudgetError, BpfHelperArgError, BpfPointerError, BpfRuntimeError, BpfSandboxError, MAX_CALL_FRAMES, helperName, helperProto, insnKind, type BpfInsn, type Region } from '../../bpf/index.js';
import { NO_BPF_PC, codeRangeAt, decodeFault, type RegisteredCodeRange } from '../../runtime/index.js';
import type { CompiledProgram } from '../compiler.js';
import {
  EXIT_REQUEST_BAD_CALL,
  EXIT_REQUEST_BUDGET,
  EXIT_REQUEST_DEPTH,
  EXIT_REQUEST_FAULT,
  EXIT_REQUEST_HELPER_ARG,
  EXIT_REQUEST_POINTER,
  EXIT_REQUEST_SANDBOX,
  HELPER_ARG_CHECK_CTX,
  HELPER_ARG_CHECK_MAP,
  HELPER_ARG_CHECK_WRITE,
} from '../context-layout.js';
import { BpfFaultError, JitRuntimeError, type FaultAccess } from '../errors.js';

/** What a run left in the per-call words of the context block. */
export interface ExitWords {
  readonly request: number;
  readonly value: bigint;
  readonly detail: bigint;
  readonly detail2: bigint;
}

/** What an exit needs to know about the program to explain itself. */
export interface ExitContext {
  readonly program: readonly BpfInsn[];
  readonly compiled: CompiledProgram;
  readonly range: RegisteredCodeRange;
  /** the regions the run could touch (sandbox entries; data images and memory otherwise) */
  readonly regions: readonly Region[];
}

/**
 * The error for an exit request that stops the program abnormally (budget, sandbox, fault,
 * call depth, bad callx); undefined for a normal end or a helper's exit.
 */
export function exitError(words: ExitWords, c: ExitContext): Error | undefined {
  switch (words.request) {
    case EXIT_REQUEST_BAD_CALL: {
      const pc = pcAt(c, words.detail);
      return new JitRuntimeError(`pc ${pc}: callx to 0x${words.value.toString(16)}: not a registered helper id or a function of this program`, pc);
    }
    case EXIT_REQUEST_BUDGET:
      return new BpfBudgetError(pcAt(c, words.detail), c.compiled.budget ?? 0, 'back-edges and calls');
    case EXIT_REQUEST_SANDBOX: {
      const size = Number(words.detail2 & ((1n << 56n) - 1n));
      const write = (words.detail2 >> 56n) & 1n;
      const regions = c.regions;
      const readOnly = write === 1n && regions.some((r) => !r.writable && words.value >= r.base && words.value + BigInt(size) <= r.base + BigInt(r.size));
      return new BpfSandboxError(pcAt(c, words.detail), write ? 'write' : 'read', size, words.value, regions, readOnly ? 'read-only' : 'out-of-bounds');
    }
    case EXIT_REQUEST_HELPER_ARG:
      return helperArgError(words, c);
    case EXIT_REQUEST_POINTER: {
      const pc = pcAt(c, words.detail);
      const check = c.compiled.pointerChecks?.get(pc);
      if (!check) return new BpfRuntimeError('pointer arithmetic out of its value (no check recorded here)', pc);
      return new BpfPointerError(pc, check, BigInt.asIntN(64, words.value));
    }
    case EXIT_REQUEST_DEPTH:
      return new BpfRuntimeError(`call stack exceeds ${MAX_CALL_FRAMES} frames`, pcAt(c, words.detail));
    case EXIT_REQUEST_FAULT:
      return faultError(words, c);
    default:
      return undefined;
  }
}

/** A helper argument check failed: detail 2 = argument number | check << 8 | size << 16. */
function helperArgError(words: ExitWords, c: ExitContext): BpfHelperArgError {
  const pc = pcAt(c, words.detail);
  const n = Number(words.detail2 & 0xffn);
  const check = Number((words.detail2 >> 8n) & 0xffn);
  const size = Number(words.detail2 >> 16n);
  const id = pc >= 0 ? (c.program[pc]?.imm ?? -1) : -1;
  const argName = helperProto(id)?.args[n - 1]?.name ?? `arg${n}`;
  const problem = check === HELPER_ARG_CHECK_MAP ? 'not-a-map' : check === HELPER_ARG_CHECK_CTX ? 'not-the-context' : 'memory';
  const write = check === HELPER_ARG_CHECK_WRITE;
  const a = words.value;
  const readOnly = write && c.regions.some((r) => !r.writable && a >= r.base && a + BigInt(size) <= r.base + BigInt(r.size));
  return new BpfHelperArgError(pc, helperName(id), n, argName, a, problem, write ? 'write' : 'read', size, c.regions, readOnly ? 'read-only' : 'out-of-bounds');
}

/** The BPF pc of a native pc in this program, or in another one (a tail call's target). */
function pcAt(c: ExitContext, nativePc: bigint): number {
  return c.range.bpfPcAt(nativePc) ?? codeRangeAt(nativePc)?.bpfPcAt(nativePc) ?? NO_BPF_PC;
}

function faultError(words: ExitWords, c: ExitContext): BpfFaultError {
  const record = decodeFault(words.value, words.detail2, words.detail);
  let pc = pcAt(c, record.pc);
  let access: FaultAccess = 'unknown';
  let size: number | undefined;
  let where: string;
  if (pc >= 0) {
    const k = insnKind(c.program[pc]!);
    if (k?.kind === 'load' || k?.kind === 'load-acquire') access = 'read';
    else if (k?.kind === 'store' || k?.kind === 'store-release') access = 'write';
    else if (k?.kind === 'atomic') access = 'read-write';
    if (k && 'size' in k) size = k.size;
    where = `in the JIT code of pc ${pc}`;
  } else {
    // (a fault outside this program's code, in a tail call's target, is placed at function 0)
    const offset = c.range.offsetOf(record.pc) ?? 0;
    let fn = 0;
    c.compiled.functionOffsets.forEach((start, i) => {
      if (start <= offset) fn = i;
    });
    const f = c.compiled.info.functions[fn]!;
    pc = f.start;
    // a fault in a prologue is almost always the native stack running out (deep recursion)
    where = `in the prologue or epilogue of the function at slot ${f.start} (the native stack may be exhausted)`;
  }
  if (record.esrAccess === 'execute' || (access === 'unknown' && record.address === record.pc)) access = 'execute';
  return new BpfFaultError(pc, record.signalName, record.code, record.address, access, size, record.pc, where, c.regions);
}
