// The README's runnable examples, read from its text: shared by the README test (in a checkout)
// and the package test (scripts/package-test.mjs, on an installed tarball), so both run exactly
// what a reader copies.

/**
 * Each ```ts block as an ES module in which every `expression; // VALUE` line with a BigInt
 * value throws unless the expression gives that value.
 */
export function readmeModules(readme) {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) =>
    m[1]
      .split('\n')
      .map((line) => {
        const v = /^(.*?);\s*\/\/ (-?\d+n)\b/.exec(line);
        if (!v) return line;
        return `{ const v = (${v[1]}); if (v !== ${v[2]}) throw new Error(\`README: ${v[1].replace(/[`$\\]/g, '')} gave \${v}, the README says ${v[2]}\`); }`;
      })
      .join('\n'),
  );
}

/**
 * The CLI session of the README's first ```console block: the files it writes with
 * `$ cat NAME` (the lines up to the next `$`), and each command with the lines it prints.
 */
export function readmeSession(readme) {
  const block = /```console\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README: no ```console block');
  const files = new Map();
  const commands = [];
  let current;
  for (const line of block.split('\n').slice(0, -1)) {
    if (line.startsWith('$ ')) {
      const cat = /^\$ cat (\S+)$/.exec(line);
      current = cat ? { file: cat[1], lines: [] } : { command: line.slice(2), output: [] };
      if (cat) files.set(cat[1], current.lines);
      else commands.push(current);
    } else if (current) {
      (current.lines ?? current.output).push(line);
    }
  }
  return { files: new Map([...files].map(([name, lines]) => [name, `${lines.join('\n')}\n`])), commands };
}
