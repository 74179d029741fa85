/**
 * Fault containment, the JS side: what native/fault.cc hands a program's landing code, decoded.
 * The handler itself and the code-range registry it reads are native (a signal handler cannot
 * run JS); code-ranges.ts registers the ranges, and the JIT turns a record into a BpfFaultError.
 */
import { constants } from 'node:os';
import { addon, type FaultState } from './addon.js';

/** A fault the handler contained, as the landing code recorded it. */
export interface FaultRecord {
  /** signal number (this platform's numbering) and its name */
  readonly signal: number;
  readonly signalName: string;
  /** si_code (SEGV_MAPERR 1, SEGV_ACCERR 2, BUS_ADRALN 1, ILL_ILLOPC 1, ...) */
  readonly code: number;
  /** si_addr: the address that faulted (for SIGILL/SIGFPE, the instruction's) */
  readonly address: bigint;
  /** native pc of the faulting instruction */
  readonly pc: bigint;
  /** ESR_EL1, when the kernel gave it (Linux on hardware; not qemu-user) */
  readonly esr: number | undefined;
  /** read/write from the ESR of a data abort, execute for an instruction abort, else undefined */
  readonly esrAccess: 'read' | 'write' | 'execute' | undefined;
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/**
 * Decode the three words the handler put in x13-x15: x13 = address, x14 = signal | si_code << 8
 * | ESR valid << 24 | ESR << 32, x15 = pc (the contract in native/fault.cc).
 */
export function decodeFault(address: bigint, word: bigint, pc: bigint): FaultRecord {
  const signal = Number(word & 0xffn);
  const code = Number((word >> 8n) & 0xffffn);
  const esr = (word >> 24n) & 1n ? Number((word >> 32n) & 0xffff_ffffn) : undefined;
  return { signal, signalName: signalNames.get(signal) ?? `signal ${signal}`, code, address, pc, esr, esrAccess: esrAccess(esr) };
}

/**
 * ARM ARM D17.2.37 (ESR_EL1): EC = bits 31:26; 0x20/0x21 instruction abort, 0x24/0x25 data
 * abort, whose ISS bit 6 (WnR) says write; 0x22 pc alignment, 0x26 sp alignment.
 */
function esrAccess(esr: number | undefined): FaultRecord['esrAccess'] {
  if (esr === undefined) return undefined;
  const ec = esr >>> 26;
  if (ec === 0x20 || ec === 0x21 || ec === 0x22) return 'execute';
  if (ec === 0x24 || ec === 0x25) return (esr >>> 6) & 1 ? 'write' : 'read';
  return undefined;
}

/** Whether the handler is installed, how many faults it contained, and the registry's size. */
export function faultState(): FaultState {
  return addon().faultState();
}
