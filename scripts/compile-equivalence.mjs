#!/usr/bin/env node
// Compiler output fingerprint, for changes that must not change the code the JIT makes (compile
// speed work, refactors): compiles fuzz-generator programs 0..1999, the benchmark corpus
// (bench/corpus, through bench-codegen's loader) and the bpf_conformance programs, each in
// optimized / -O0 / LL/SC / blinded (fixed seed) modes, and hashes everything compileProgram
// returns that describes the code: code bytes, origins, pcOffsets, function offsets, prologues,
// epilogues, slotNotes, pass counts, the 1:1 fallback reason and any compile error.
//
//   node scripts/compile-equivalence.mjs [--write FILE] [--check FILE] [--no-compile]
//
// Prints one hash per set and mode; --write stores them, --check compares with a stored file
// and exits 1 on any difference (naming the first program that differs needs --verbose FILE:
// per-program hashes are written there, so two runs can be diffed).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './arm64-env.mjs';
import { corpusPrograms } from './bench-codegen.mjs';

const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (!args.includes('--no-compile')) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(1);
}

const { compileProgram, blindConstants } = await import(dist('jit/index.js'));
const { generateProgram } = await import(dist('bpf/program-generator.js'));
const { collectConformanceFiles, parseConformanceFile, conformanceProgram } = await import(dist('bpf/index.js'));

const sharedDir = process.env.A64JIT_SHARED ?? join(root, '..', 'shared');
const conformance = collectConformanceFiles([join(sharedDir, 'bpf-conformance', 'tests')]).map((f) => {
  try {
    return { name: f, insns: conformanceProgram(parseConformanceFile(readFileSync(f, 'utf8'))) };
  } catch {
    return undefined;
  }
}).filter((p) => p !== undefined);
if (conformance.length === 0) throw new Error(`no bpf_conformance programs under ${sharedDir}`);
const sets = {
  fuzz: Array.from({ length: 2000 }, (_, seed) => ({ name: `fuzz ${seed}`, insns: generateProgram(seed).insns })),
  corpus: await corpusPrograms(),
  conformance,
};
// helpers the fuzz generator and the conformance suite call, all present
const helperIds = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 16]);
const modes = {
  optimized: { atomics: 'lse' },
  O0: { atomics: 'lse', optimize: false },
  llsc: { atomics: 'llsc' },
  'llsc O0': { atomics: 'llsc', optimize: false },
  blinded: { atomics: 'lse', blind: 0x5eed },
  'blinded O0': { atomics: 'lse', blind: 0x5eed, optimize: false },
};

function fingerprint(p, mode) {
  const h = createHash('sha256');
  let insns = p.insns;
  const extra = {};
  if (mode.blind !== undefined) {
    try {
      const b = blindConstants(insns, mode.blind);
      insns = b.program;
      extra.info = b.info;
    } catch (e) {
      return h.update(`blind error ${e.name}: ${e.message}`).digest('hex');
    }
  }
  const optimize = mode.optimize === false ? false : mode.blind !== undefined ? { blinded: true } : true;
  try {
    const c = compileProgram(insns, { contextAddress: 0x1234_5678_9000n, helperIds, atomics: mode.atomics, optimize, ...extra, ...(p.resolvePseudo ? { resolvePseudo: p.resolvePseudo } : {}) });
    h.update(c.code);
    h.update(new Uint8Array(c.origins.buffer, c.origins.byteOffset, c.origins.byteLength));
    h.update(JSON.stringify([c.pcOffsets, c.functionOffsets, c.prologues, c.epilogues, c.relaxedBranches, c.slotNotes ?? null, c.optimizer ?? null, c.unoptimized ?? null, c.tailCallEntry ?? null]));
  } catch (e) {
    h.update(`error ${e.name}: ${e.message}`);
  }
  return h.digest('hex');
}

const result = {};
const verbose = [];
for (const [setName, programs] of Object.entries(sets)) {
  for (const [modeName, mode] of Object.entries(modes)) {
    const h = createHash('sha256');
    for (const p of programs) {
      const f = fingerprint(p, mode);
      h.update(f);
      verbose.push(`${setName} ${modeName} ${p.name} ${f}`);
    }
    result[`${setName} ${modeName}`] = `${programs.length} programs ${h.digest('hex').slice(0, 32)}`;
  }
}
for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(28)} ${v}`);
if (opt('--verbose')) writeFileSync(opt('--verbose'), `${verbose.join('\n')}\n`);
if (opt('--write')) writeFileSync(opt('--write'), `${JSON.stringify(result, null, 2)}\n`);
if (opt('--check')) {
  const want = JSON.parse(readFileSync(opt('--check'), 'utf8'));
  const diff = Object.keys(want).filter((k) => want[k] !== result[k]);
  if (diff.length > 0) {
    console.error(`compile-equivalence: output differs in ${diff.join(', ')}`);
    process.exit(1);
  }
  console.log('compile-equivalence: identical to', opt('--check'));
}
