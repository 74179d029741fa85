export function disassemble(word: number, address: bigint | number = 0): string {
  void address;
  return `.inst 0x${(word >>> 0).toString(16).padStart(8, '0')}`;
}
