import type { ContextTarget } from './index.js';

/**
 * The bytes of a freshly built context and packet, to restore them between the repeats of a
 * run (BPF_PROG_TEST_RUN's repeat resets the context for every run the same way).
 */
export class ContextSnapshot {
  readonly #ctx: Uint8Array;
  readonly #packet: Uint8Array;

  constructor(private readonly target: ContextTarget) {
    this.#ctx = target.ctx.slice();
    this.#packet = target.packet.slice();
  }

  restore(): void {
    this.target.ctx.set(this.#ctx);
    this.target.packet.set(this.#packet);
  }
}
