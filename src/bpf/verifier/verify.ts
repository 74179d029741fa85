import type { BpfInsn } from '../instruction.js';
import type { ProgramInfo } from '../validate.js';
import { BpfValidationError, STACK_FRAME_SIZE, validateProgram } from '../validate.js';
import type { Cfg } from './cfg.js';
import { buildCfg, checkNoBackEdges } from './cfg.js';
import { walk } from './driver.js';
import type { VerifyOptions } from './env.js';
import { COMPLEXITY_LIMIT, VerifierEnv } from './env.js';
import { BpfVerifierError } from './errors.js';
import { Facts } from './facts.js';
import { MSG } from './messages.js';
import { analysePrecision } from './precision.js';
import { contextRules, returnRange } from './context.js';
import { UNKNOWN, constReg, ptrReg } from './reg-state.js';
import { FrameState, VerifierState } from './state.js';
import { BpfPseudo } from '../opcodes.js';
import { callTarget } from '../insn-kind.js';

export interface VerifyResult {
  /** instructions processed (the kernel's "processed N insns") */
  readonly processed: number;
  /** states checkpointed in total, and at most at once */
  readonly states: number;
  readonly peakStates: number;
  /**
   * Plain buffer: the least memory size in bytes the program's accesses need (the size given
   * in `memSize`, when given). A run must pass at least this much (exactly `memSize` when it
   * was given: R2 was taken to be that number).
   */
  readonly memSize: number;
  /** the program does atomic operations on the plain buffer: it must be 8-byte aligned */
  readonly memAtomics: boolean;
  /** stack bytes each function uses (by function index) */
  readonly stackDepth: readonly number[];
  readonly facts: Facts;
  /**
   * Sandbox mode: the accesses left to the sandbox's run-time checks (facts.leftToRunTime's
   * size) and the loops whose end is left to the instruction budget (facts.loopsLeftToBudget's);
   * 0 in normal mode.
   */
  readonly leftToRunTime: number;
  readonly loopsLeftToBudget: number;
}

/**
 * Verify a program: structural validation first (validate.ts, whose rejections become
 * BpfVerifierErrors with the same words), then abstract interpretation of every path. Throws
 * BpfVerifierError.
 *
 * Entry state: for a program type with a context struct, R1 is the context. Otherwise (plain), the
 * plain-buffer convention: R1 points to the program's memory and R2 holds its length; with
 * `memSize` the memory is exactly that big (R2 = memSize), without it the verifier proves each
 * access through R1 stays within a bound it works out (VerifyResult.memSize) and R2 is unknown.
 * R3-R5, R6-R9 and R0 hold nothing readable; R10 is the frame pointer.
 */
export function verifyProgram(insns: readonly BpfInsn[], options: VerifyOptions = {}): VerifyResult {
  let info;
  try {
    info = validateProgram(insns, {
      // no natives given means none exist: validation alone lets any id through (it only
      // checks structure), but a verified program may call only what the embedder provides
      natives: options.natives ?? new Map(),
      legacyPacketAccess: options.programType?.legacyPacketAccess === true,
    });
  } catch (e) {
    if (e instanceof BpfValidationError) throw new BpfVerifierError(e.reason, e.pc, insns, { sandbox: options.sandbox === true });
    throw e;
  }
  if (options.sandbox === true) {
    const proven = provenFirst(insns, info, options);
    if (proven) return proven;
  }
  try {
    return analyse(insns, info, options);
  } catch (e) {
    // the same refusal, saying it was the sandbox's analysis
    if (!(e instanceof BpfVerifierError) || options.sandbox !== true || e.sandbox) throw e;
    const marked = new BpfVerifierError(e.reason, e.pc, insns, { sandbox: true });
    if (e.log !== undefined) marked.log = e.log;
    throw marked;
  }
}

/**
 * Sandbox mode first tries the full proof: a program it accepts leaves nothing to run time, and
 * sandbox mode must never refuse what normal mode accepts, which its widening at loop heads
 * could (a loop that walks a stack pointer loses the pointer's exact offset: fuzz seed
 * 1,100,874). The attempt stops at SANDBOX_PROOF_LIMIT processed instructions so that a program
 * normal mode cannot finish does not cost its whole complexity limit before the sandbox's
 * analysis starts. With a log, a proven program is logged by a second, logging proof.
 */
export const SANDBOX_PROOF_LIMIT = 50_000;

function provenFirst(insns: readonly BpfInsn[], info: ProgramInfo, options: VerifyOptions): VerifyResult | undefined {
  const { sandbox: _sandbox, log, ...normal } = options;
  const limit = Math.min(options.maxProcessed ?? COMPLEXITY_LIMIT, SANDBOX_PROOF_LIMIT);
  let proven: VerifyResult;
  try {
    proven = analyse(insns, info, { ...normal, maxProcessed: limit });
  } catch (e) {
    if (e instanceof BpfVerifierError) return undefined;
    throw e;
  }
  return log ? analyse(insns, info, { ...normal, log }) : proven;
}

function analyse(insns: readonly BpfInsn[], info: ProgramInfo, options: VerifyOptions): VerifyResult {
  const cfg = buildCfg(insns, info);
  if (options.allowLoops === false) checkNoBackEdges(cfg);
  const lines: string[] = [];
  const sink = options.log?.sink;
  const opts: VerifyOptions = sink ? { ...options, log: { sink: (l) => (lines.push(l), sink(l)) } } : options;
  const env = new VerifierEnv(insns, info, cfg, opts, new Facts());
  if (options.programType) {
    const rules = contextRules(options.programType, options.attach);
    if (rules) env.context = rules;
    const range = returnRange(options.programType, options.attach);
    if (range) env.returnRange = range;
  }
  env.precision = analysePrecision(cfg, env.returnRange !== undefined);
  const entry = FrameState.entry(0, 0, -1);
  if (env.context) {
    entry.regs[1] = ptrReg('ctx');
  } else {
    entry.regs[1] = ptrReg('mem', { range: options.memSize ?? -1 });
    entry.regs[2] = options.memSize !== undefined ? constReg(BigInt(options.memSize)) : UNKNOWN;
  }
  try {
    walk(env, new VerifierState([entry]));
    checkStackDepth(env, cfg);
  } catch (e) {
    if (e instanceof BpfVerifierError && sink) e.log = lines.join('\n');
    throw e;
  }
  return {
    processed: env.processed,
    states: env.totalStates,
    peakStates: env.peakStates,
    memSize: options.memSize ?? env.requiredMem,
    memAtomics: env.memAtomics,
    stackDepth: env.stackDepth,
    facts: env.facts,
    leftToRunTime: env.facts.leftToRunTime.size,
    loopsLeftToBudget: env.facts.loopsLeftToBudget.size,
  };
}

/**
 * The kernel's check_max_stack_depth: along every chain of calls (callbacks count as calls
 * from the function that names them), the frames' stack sizes, each rounded up to 32 bytes,
 * must add up to at most 512.
 */
function checkStackDepth(env: VerifierEnv, cfg: Cfg): void {
  const funcs = cfg.info.functions;
  const callees: number[][] = funcs.map((f) => [...f.callees]);
  for (let pc = 0; pc < env.insns.length; pc++) {
    const insn = env.insns[pc] as BpfInsn;
    if (cfg.info.lddwTails.has(pc) || insn.code !== 0x18 || insn.src !== BpfPseudo.FUNC) continue;
    const target = cfg.funcOf[callTarget(insn, pc)] as number;
    callees[cfg.funcOf[pc] as number]!.push(target);
  }
  const frameSize = (f: number): number => Math.ceil(Math.max(env.stackDepth[f] ?? 0, 1) / 32) * 32;
  const walkChain = (f: number, depth: number, calls: number, site: number): void => {
    const total = depth + frameSize(f);
    if (total > (env.options.maxCombinedStack ?? STACK_FRAME_SIZE)) env.fail(MSG.combinedStack(calls, total), site);
    for (const c of callees[f] ?? []) walkChain(c, total, calls + 1, funcs[c]!.start);
  };
  walkChain(0, 0, 1, 0);
}

export { BpfVerifierError };
export type { VerifyOptions };
