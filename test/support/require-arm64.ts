// The arm64 project executes AArch64 machine code. Running it on another architecture would
// crash the worker, so refuse loudly instead: `npm test` starts it under qemu on non-arm64 hosts.
if (process.arch !== 'arm64') {
  throw new Error(
    `the arm64 test project needs an arm64 Node (this one is ${process.arch}); run it through \`npm test\`, ` +
      'which starts it natively on arm64 hosts and under qemu-aarch64 elsewhere (see README, "Quick start")',
  );
}
