import type { BpfInsn } from './instruction.js';
import { BPF_REG_FP, BpfAluOp, BpfClass, BpfJmpOp, BpfMode, BpfPseudo, BpfSize, BpfSource, OP_LDDW } from './opcodes.js';
import type { Rng } from './program-generator.js';

/**
 * Map statements for the differential fuzz generator (program-generator.ts, option `maps`):
 * bpf_map_lookup_elem followed by a read-modify-write of the value when it is not NULL,
 * bpf_map_update_elem with BPF_ANY / BPF_NOEXIST / BPF_EXIST (and an invalid flag), and
 * bpf_map_delete_elem, with keys and values in the function's initialised stack window. A
 * lookup's pointer never leaves the statement (addresses differ between implementations):
 * only the value's bytes, error codes and what the program derives from them are observable.
 * Kept apart from the generator's core so the two can grow independently.
 */

/** A map the generated programs may use: LDDW src 1 imm = its index in the list. */
export interface FuzzMapSpec {
  readonly kind: 'array' | 'hash';
  readonly maxEntries: number;
  /** a multiple of 8 */
  readonly valueSize: number;
}

/** What a map statement may do to the generator's state (registers as the generator knows them). */
export interface MapStatementApi {
  readonly rng: Rng;
  /** offset of the function's initialised stack window from R10 (64 bytes) */
  readonly window: number;
  readonly windowSize: number;
  emit(i: BpfInsn, label?: number): void;
  newLabel(): number;
  bind(label: number): void;
  /** a writable register holding a scalar that survives calls (R6-R8), to fold results into */
  accumulator(): number | undefined;
  /** a readable scalar register, any */
  scalar(): number | undefined;
  /** after the helper call: R1-R5 unreadable, R0 a scalar or unreadable */
  afterCall(r0: 'scalar' | 'dead'): void;
}

const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });

export function mapStatement(api: MapStatementApi, maps: readonly FuzzMapSpec[]): void {
  const { rng } = api;
  const index = rng.int(maps.length);
  const map = maps[index]!;
  const slots = api.windowSize / 8;
  const keySlot = api.window + 8 * rng.int(slots);
  // keys: mostly in range, sometimes just past max_entries (arrays: -E2BIG / NULL)
  const key = rng.chance(0.85) ? rng.int(map.maxEntries + (map.kind === 'hash' ? 4 : 0)) : map.maxEntries + rng.int(3);
  api.emit(insn(BpfClass.ST | BpfMode.MEM | BpfSize.W, BPF_REG_FP, 0, keySlot, key));
  const loadMap = (): void => {
    api.emit(insn(OP_LDDW, 1, BpfPseudo.MAP_FD, 0, index));
    api.emit(insn(0, 0, 0, 0, 0));
    api.emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, 2, BPF_REG_FP));
    api.emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.K, 2, 0, 0, keySlot));
  };
  const call = (id: number): void => api.emit(insn(BpfClass.JMP | BpfJmpOp.CALL, 0, 0, 0, id));
  const acc = api.accumulator();
  const roll = rng.int(10);
  if (roll < 5) {
    loadMap();
    call(1);
    api.afterCall('dead');
    const skip = api.newLabel();
    api.emit(insn(BpfClass.JMP | BpfJmpOp.JEQ | BpfSource.K, 0, 0, 0, 0), skip);
    const off = 8 * rng.int(map.valueSize / 8);
    api.emit(insn(BpfClass.LDX | BpfMode.MEM | BpfSize.DW, 1, 0, off));
    const op = rng.pick([BpfAluOp.ADD, BpfAluOp.XOR, BpfAluOp.MUL, BpfAluOp.SUB] as const);
    api.emit(insn(BpfClass.ALU64 | op | BpfSource.K, 1, 0, 0, rng.chance(0.5) ? rng.range(1, 9) : rng.i32()));
    if (rng.chance(0.3)) {
      // an atomic add on the value, as counters do
      api.emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.K, 3, 0, 0, rng.range(1, 5)));
      api.emit(insn(BpfClass.STX | BpfMode.ATOMIC | BpfSize.DW, 0, 3, off, 0));
    } else {
      api.emit(insn(BpfClass.STX | BpfMode.MEM | BpfSize.DW, 0, 1, off));
    }
    if (acc !== undefined) api.emit(insn(BpfClass.ALU64 | BpfAluOp.XOR | BpfSource.X, acc, 1));
    // a narrow read of the value too
    const narrow = rng.pick([1, 2, 4] as const);
    const noff = narrow * rng.int(map.valueSize / narrow);
    api.emit(insn(BpfClass.LDX | BpfMode.MEM | { 1: BpfSize.B, 2: BpfSize.H, 4: BpfSize.W }[narrow], 4, 0, noff));
    if (acc !== undefined) api.emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.X, acc, 4));
    api.bind(skip);
    return;
  }
  if (roll < 8) {
    // the value: the window slots after the key's (wrapping), stored now
    const valueSlots = map.valueSize / 8;
    const first = rng.int(slots - valueSlots + 1);
    const valueAt = api.window + 8 * first;
    for (let i = 0; i < valueSlots; i++) {
      const src = rng.chance(0.4) ? api.scalar() : undefined;
      if (src !== undefined) api.emit(insn(BpfClass.STX | BpfMode.MEM | BpfSize.DW, BPF_REG_FP, src, valueAt + 8 * i));
      else api.emit(insn(BpfClass.ST | BpfMode.MEM | BpfSize.DW, BPF_REG_FP, 0, valueAt + 8 * i, rng.i32()));
    }
    // the key may have been overwritten by the value: store it again
    api.emit(insn(BpfClass.ST | BpfMode.MEM | BpfSize.W, BPF_REG_FP, 0, keySlot, key));
    const flags = rng.pick([0, 0, 1, 2, 5]);
    loadMap();
    api.emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.X, 3, BPF_REG_FP));
    api.emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.K, 3, 0, 0, valueAt));
    api.emit(insn(BpfClass.ALU64 | BpfAluOp.MOV | BpfSource.K, 4, 0, 0, flags));
    call(2);
  } else {
    loadMap();
    call(3);
  }
  api.afterCall('scalar');
  if (acc !== undefined) api.emit(insn(BpfClass.ALU64 | BpfAluOp.ADD | BpfSource.X, acc, 0));
}
