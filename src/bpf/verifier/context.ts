import { checkContextAccess } from '../program-types/access.js';
import type { AccessSize, ProgramType } from '../program-types/model.js';
import { hasStruct } from '../program-types/model.js';
import { returnRule } from '../program-types/types.js';
import type { ContextRules } from './env.js';
import type { RegState } from './reg-state.js';
import { constReg, ptrReg } from './reg-state.js';

/**
 * A program type's context as the verifier asks it: which accesses are valid (the program-type
 * model's checkContextAccess, the kernel's is_valid_access), and what a load of each field
 * kind gives: data, or the packet pointers (with nothing proven about the packet yet).
 */
export function contextRules(type: ProgramType, attach?: string): ContextRules | undefined {
  if (!hasStruct(type.context)) return undefined;
  return {
    packetWritable: type.directPacketWrite,
    access(off: number, size: number, write: boolean, signed: boolean): string | 'scalar' | RegState {
      const r = checkContextAccess(type, { offset: off, size: size as AccessSize, write, signed, ...(attach === undefined ? {} : { attach }) });
      if (!r.ok) return r.message;
      switch (r.field.kind) {
        case 'scalar':
          return 'scalar';
        case 'packet':
          return ptrReg('pkt');
        case 'packet_end':
          return ptrReg('pkt_end');
        case 'packet_meta':
          return ptrReg('pkt_meta');
        case 'sock_common_or_null':
          // a test run has no socket: the pointer is always NULL
          return constReg(0n);
      }
    },
  };
}

/** The signed range R0 must lie in at exit, when the type enforces one. */
export function returnRange(type: ProgramType, attach?: string): { readonly min: number; readonly max: number } | undefined {
  return returnRule(type, attach).enforced;
}
