import { defineConfig } from 'vitest/config';

// Two projects, run by scripts/test.mjs with two different Node binaries:
// - host:  everything that does not execute AArch64 code (encoders checked against LLVM,
//          the BPF toolkit, the interpreter, ...), on whatever Node runs npm test;
// - arm64: files named *.native.test.ts, which execute machine code. They run on an arm64
//          Node: natively on arm64 hosts, under qemu-aarch64 elsewhere. 'threads' is the pool
//          that works under qemu-user (../shared/docs/toolchain-notes.md).
const emulated = process.env.A64JIT_EMULATED === '1';

export default defineConfig({
  test: {
    pool: 'threads',
    testTimeout: emulated ? 180_000 : 60_000,
    hookTimeout: emulated ? 180_000 : 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'host',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.native.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'arm64',
          include: ['test/**/*.native.test.ts'],
          setupFiles: ['test/support/require-arm64.ts'],
        },
      },
    ],
  },
});
