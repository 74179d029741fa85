#!/usr/bin/env node
// npm run test:package: the package as users get it. Packs this checkout, installs the tarball
// into a fresh project in a temporary directory and there, as a user would:
//   1. npx a64jit setup                (x86_64: qemu-user, an arm64 Node, koffi's arm64 build;
//                                       arm64: a check)
//   2. the README's CLI session: sum.c built with clang-22, `npx a64jit run sum.o --mem ...`
//      (through emulation on x86_64, natively on arm64) printing what the README shows
//   3. the README's API examples, each under the arm64 Node (`npx a64jit node example.mjs`)
//   4. on a non-arm64 host: the library on the host's own Node (assembler, BPF toolkit,
//      interpreter, compiler, listing work; no AArch64 code runs)
// Exits non-zero when any of these fails. Network: the npm registry (koffi, the arm64 Node) and,
// when set-up installs them, Debian packages. The emulation cache is set-up's default
// (~/.cache/a64jit) unless A64JIT_CACHE says otherwise. --keep leaves the directory in place.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readmeModules, readmeSession } from './readme-examples.mjs';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'a64jit-package-'));
const app = join(work, 'app');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const results = [];

function step(text) {
  console.log(`\n== package test: ${text}`);
}

/** Run a command, print it and its output; returns { status, stdout, stderr }. */
function sh(command, args, options = {}) {
  console.log(`$ ${[command, ...args].join(' ')}`);
  const r = spawnSync(command, args, { cwd: app, encoding: 'utf8', timeout: 900_000, ...options, env: { ...process.env, ...options.env } });
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stdout.write(r.stderr);
  if (r.error) console.log(`(${r.error.message})`);
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function check(name, ok, why = '') {
  results.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !why ? '' : `: ${why}`}`);
  return ok;
}

function finish() {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`\nleft in place: ${work}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\npackage test (${process.platform}-${process.arch}): ${results.length - failed} of ${results.length} checks passed`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

try {
  step('npm pack');
  const pack = spawnSync('npm', ['pack', '--pack-destination', work, '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (!check('npm pack', pack.status === 0, `exit ${pack.status}`)) finish();
  const [{ filename, size, entryCount }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  const tarball = join(work, filename);
  console.log(`${filename}: ${size} bytes, ${entryCount} files`);

  step('install the tarball into a fresh project');
  spawnSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'a64jit-user', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  const install = sh('npm', ['install', '--no-audit', '--no-fund', tarball]);
  if (!check('npm install <tarball>', install.status === 0, `exit ${install.status}`)) finish();

  step('npx a64jit setup');
  const setup = sh('npx', ['a64jit', 'setup']);
  if (!check('npx a64jit setup', setup.status === 0 && /a JIT call returned 42/.test(setup.stdout), `exit ${setup.status}`)) finish();

  step("the README's CLI session");
  const session = readmeSession(readme);
  for (const [name, text] of session.files) writeFileSync(join(app, name), text);
  for (const { command, output } of session.commands) {
    const runs = /^npx a64jit run /.test(command);
    if (!runs && !/^clang-22 /.test(command)) continue; // listings and the conformance suite: not part of this test
    const r = sh('sh', ['-c', command]);
    if (!runs) {
      check(command, r.status === 0, `exit ${r.status}`);
      continue;
    }
    // The README shows stderr's notice (x86_64 only) and stdout in order: compare each stream.
    const notice = output.filter((l) => l.startsWith('a64jit: '));
    const printed = output.filter((l) => !l.startsWith('a64jit: '));
    const wantNotice = process.arch === 'arm64' || command.includes('--interp') ? '' : `${notice.map((l) => l.replace(/^a64jit: x64 host/, `a64jit: ${process.arch} host`)).join('\n')}\n`;
    check(command, r.status === 0 && r.stdout === `${printed.join('\n')}\n` && r.stderr === wantNotice, `exit ${r.status}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`);
  }

  step("the README's API examples under the arm64 Node");
  readmeModules(readme).forEach((code, i) => {
    const file = `example-${i + 1}.mjs`;
    writeFileSync(join(app, file), code);
    const r = sh('npx', ['a64jit', 'node', file]);
    check(`README example ${i + 1} (npx a64jit node ${file})`, r.status === 0 && r.stderr === '', `exit ${r.status}`);
  });

  if (process.arch !== 'arm64') {
    step(`the library on this host's own Node (${process.arch}): everything but executing JIT code`);
    copyFileSync(join(root, 'scripts', 'host-library-check.mjs'), join(app, 'host-library.mjs'));
    const r = sh(process.execPath, ['host-library.mjs']);
    check(`import a64jit on the ${process.arch} Node: assemble, interpret, compile, list (scripts/host-library-check.mjs)`, r.status === 0 && /host library ok/.test(r.stdout), `exit ${r.status}`);
  }
} catch (e) {
  check('package test', false, e.stack ?? String(e));
}
finish();
