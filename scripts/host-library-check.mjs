// The library on whatever Node runs this (x86_64 included): everything but calling machine code
// works. Imports a64jit by its package name, so it runs in this checkout (self-reference through
// "exports") and in a project that installed the tarball (scripts/package-test.mjs copies it
// there). Prints one 'host library ok: ...' line, or throws.
import { assembleUbpf, disassemble, interpret } from 'a64jit/bpf';
import { JitProgram, compileProgram, formatListing, listing } from 'a64jit/jit';
import { Assembler, X0, X1, addReg, disassembleBytes, ret } from 'a64jit/arm64';
import { WrongHostError, hostInfo, setupCommandLine } from 'a64jit/runtime';
import { jit } from 'a64jit';

const insns = assembleUbpf('ldxb %r0, [%r1+2]\nadd %r0, 40\ncall 5\nexit');
const r0 = interpret(insns.filter((i) => i.code !== 0x85), { mem: new Uint8Array([0, 0, 2]) }).value;
if (r0 !== 42n) throw new Error(`interpreter gave ${r0}`);
if (disassemble(insns)[1].text !== 'r0 += 0x28') throw new Error(`BPF disassembler: ${disassemble(insns)[1].text}`);

// the pure compiler and its listing
const compiled = compileProgram(insns, { contextAddress: 0n, helperIds: new Set([5]), atomics: 'lse' });
const text = formatListing(listing(insns, compiled, 0n));
// the optimizer keeps the load (it may fault) but drops its dead result: wzr
if (!/ldrb\s+w(\d+|zr), \[x0, #0x2\]/.test(text) || !text.includes('call bpf_ktime_get_ns#5')) throw new Error(`listing:\n${text}`);

// the assembler and disassembler
const a = new Assembler();
a.emit(addReg(X0, X0, X1));
a.emit(ret());
const round = disassembleBytes(a.finish()).map((l) => l.text).join('; ');
if (round !== 'add\tx0, x0, x1; ret') throw new Error(`arm64 round trip: ${round}`);

// loading code into executable memory works wherever the addon loads (calling it is arm64's)
const prog = JitProgram.compile(assembleUbpf('mov %r0, 42\nexit'));
const loaded = prog.formatListing();
// ... and calling it on a CPU that is not arm64 refuses with WrongHostError, which says how to
// run under emulation (the set-up command as spelled here, then `npx a64jit node app.mjs`)
if (process.arch !== 'arm64') {
  let refused;
  try {
    prog.run(new Uint8Array(8));
  } catch (e) {
    refused = e;
  }
  const setup = setupCommandLine();
  if (!(refused instanceof WrongHostError)) throw new Error(`calling JIT code on ${process.arch} gave ${refused ? String(refused) : 'no error'}, not a WrongHostError`);
  if (!refused.message.includes('npx a64jit node app.mjs') || !refused.message.includes(setup) || !refused.message.includes(process.arch)) {
    throw new Error(`WrongHostError does not name the host arch, \`${setup}\` and \`npx a64jit node app.mjs\`: ${refused.message}`);
  }
}
prog.free();
if (!/mov\s+x\d+, #0x2a/.test(loaded)) throw new Error(`JitProgram listing:\n${loaded}`);
if (typeof jit.JitProgram.compile !== 'function') throw new Error('the a64jit namespaces');

console.log(`host library ok: ${process.arch} Node ${process.version}, page size ${hostInfo().pageSize}, interpreter 42, ${compiled.code.length} bytes of AArch64 listed${process.arch === 'arm64' ? '' : ', calls refused with WrongHostError'}`);
