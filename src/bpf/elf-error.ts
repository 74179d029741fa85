/**
 * A BPF ELF object that cannot be loaded: malformed, truncated, or using something the loader
 * does not support. Always names where: the section (when one is involved) and the byte
 * offset in the file.
 */
export class BpfLoadError extends Error {
  override readonly name = 'BpfLoadError';
  constructor(
    readonly reason: string,
    /** section name (or `section #N` when its name is unreadable); undefined for the file header */
    readonly section: string | undefined,
    /** byte offset in the file of the offending structure */
    readonly fileOffset: number,
  ) {
    super(`${section === undefined ? '' : `section ${section}: `}${reason} (at file offset 0x${fileOffset.toString(16)})`);
  }
}
