/** errno names of the values map operations return (negated). */
const ERRNO: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY',
  17: 'EEXIST', 22: 'EINVAL', 28: 'ENOSPC', 95: 'EOPNOTSUPP', 524: 'ENOTSUPP',
};
const MEANING: Readonly<Record<string, string>> = {
  ENOENT: 'no such element',
  EEXIST: 'the element exists (BPF_NOEXIST)',
  E2BIG: 'the map is full, or the index is past max_entries',
  ENOSPC: 'the map is full',
  EINVAL: 'invalid flags or key',
  EOPNOTSUPP: 'not supported for this map type',
};

export function errnoName(errno: number): string {
  return ERRNO[Math.abs(errno)] ?? `errno ${Math.abs(errno)}`;
}

/** A map operation failed the way the bpf() syscall would: `errno` is negative (-2 = -ENOENT). */
export class BpfMapOpError extends Error {
  override readonly name = 'BpfMapOpError';
  constructor(
    readonly map: string,
    readonly op: string,
    readonly errno: number,
  ) {
    const n = errnoName(errno);
    super(`map '${map}': ${op}: -${n}${MEANING[n] ? ` (${MEANING[n]})` : ''}`);
  }

  get code(): string {
    return errnoName(this.errno);
  }
}
