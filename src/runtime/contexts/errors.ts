/** A test-run input (packet, context) the program type does not accept, named precisely. */
export class BpfRunInputError extends Error {
  override readonly name = 'BpfRunInputError';
  constructor(
    readonly reason: string,
    /** 'data_in' | 'ctx_in' and, for a context field, its name */
    readonly input: 'data_in' | 'ctx_in',
    readonly field?: string,
  ) {
    super(`${input}${field !== undefined ? ` field ${field}` : ''}: ${reason}`);
  }
}
