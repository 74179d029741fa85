import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBpfObject } from '../../src/bpf/elf-loader.js';
import { CLANG, compileBpf, compileHost, fixtures, runHost, runInInterpreter } from './support/c-fixtures.js';
import { haveTool } from './support/llvm-corpus.js';

/**
 * Each C fixture is compiled for BPF by clang-22 (-O2, -mcpu=v1..v4, with and without -g),
 * loaded by the ELF loader, run in the reference interpreter, and compared with the same
 * source compiled by gcc for the host and run natively.
 */
const TOOLS = haveTool(CLANG) && haveTool('gcc');
const VARIANTS = ['v1', 'v2', 'v3', 'v4'].flatMap((mcpu) => [{ mcpu, debug: false }, { mcpu, debug: true }]);

describe.runIf(TOOLS)('C fixtures: clang-22 BPF through the loader and interpreter == gcc on the host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'a64jit-cfix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const fx of fixtures().filter((f) => f.entries.length > 0)) {
    describe(fx.file, () => {
      let exe: string | undefined;
      const objects = new Map<string, string>();
      const object = (mcpu: string, debug: boolean): string => {
        const key = `${mcpu}${debug}`;
        if (!objects.has(key)) objects.set(key, compileBpf(fx, mcpu, debug, dir));
        return objects.get(key)!;
      };
      for (const entry of fx.entries) {
        it(entry, () => {
          exe ??= compileHost(fx, dir);
          const expected = runHost(exe, entry);
          for (const { mcpu, debug } of VARIANTS) {
            const obj = loadBpfObject(new Uint8Array(readFileSync(object(mcpu, debug))));
            const program = obj.programs.find((p) => p.name === entry);
            expect(program, `${entry} is an entry point (-mcpu=${mcpu})`).toBeDefined();
            expect(runInInterpreter(obj, program!), `-mcpu=${mcpu}${debug ? ' -g' : ''}`).toBe(expected);
          }
        });
      }
    });
  }
});
