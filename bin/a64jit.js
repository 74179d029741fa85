#!/usr/bin/env node
import { main, processIo } from '../dist/cli/main.js';

// A reader that stops early (`a64jit disasm big.o | head`) closes the pipe: that ends the
// output, it is not an error, so stop quietly instead of dying on an unhandled EPIPE.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2), processIo);
