/**
 * The README's Quick start, run as a user would: every ```ts block under "## Quick start" whose first
 * line is `// file: <name>` is written to a fresh project directory, `pamiq-core` resolves to this
 * checkout, the files are type-checked, and `main.ts` runs with tsx — twice, the second run continuing
 * from the first one's newest state. The backend is the one PAMIQ_BACKEND selects for the spec run.
 *
 * `pamiq-core` and its subpaths resolve to the sources (package.json's `exports` with src/…ts for
 * dist/…js, run through tsx), not to dist/: the package's exports point at dist/, which only `prepare`
 * refreshes, so a spec on dist could pass on a stale build (`__test__/api/require.spec.ts` covers dist).
 * The published entry point itself is checked by the build (`npm run build:ts`) and `scripts/check-pack.mjs`.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine } from '../../src/backend/select.js';
import { tmpDir } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The `// file:` blocks under the README's "## Quick start" heading (up to the next `## ` heading). */
function quickStartFiles(readme: string): Map<string, string> {
  const start = readme.indexOf('\n## Quick start\n');
  if (start < 0) throw new Error('README.md has no "## Quick start" heading');
  const rest = readme.slice(start + 1);
  const next = rest.indexOf('\n## ', 1);
  const section = next < 0 ? rest : rest.slice(0, next);
  const files = new Map<string, string>();
  for (const m of section.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const first = /^\/\/ file: (\S+)\n/.exec(m[1]!);
    if (first) files.set(first[1]!, m[1]!);
  }
  return files;
}

function project(t: import('ava').ExecutionContext): string {
  const dir = tmpDir(t, 'pamiq-quick-start-');
  for (const [name, text] of quickStartFiles(readFileSync(join(root, 'README.md'), 'utf8'))) {
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-project', private: true, type: 'module' }));
  // node_modules/pamiq-core: this checkout's sources under the package name.
  const pkg = join(dir, 'node_modules', 'pamiq-core');
  mkdirSync(pkg, { recursive: true });
  symlinkSync(join(root, 'src'), join(pkg, 'src'), 'junction');
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'pamiq-core', type: 'module', exports: sourceExports() }),
  );
  return dir;
}

/** The package's `exports` with every dist/ target mapped to its source (./dist/x.js → ./src/x.ts). */
function sourceExports(): Record<string, { types: string; default: string }> {
  const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types: string; default: string }>;
  };
  const entries = Object.entries(exports).flatMap(([name, entry]) => {
    if (typeof entry === 'string') return [];
    const src = entry.default.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts');
    return [[name, { types: src, default: src }] as const];
  });
  return Object.fromEntries(entries);
}

test('the README has a Quick start of two files, main.ts and the module it imports', (t) => {
  const files = quickStartFiles(readFileSync(join(root, 'README.md'), 'utf8'));
  t.true(files.has('main.ts'), [...files.keys()].join(', '));
  for (const [name, text] of files) {
    t.regex(text, /from 'pamiq-core'/, `${name} imports the package by its name`);
    // The root export holds everything a Quick start program needs.
    for (const m of text.matchAll(/from '(pamiq-core[^']*)'/g))
      t.is(m[1], 'pamiq-core', `${name} imports only the root`);
  }
});

test('the README Quick start type-checks, runs, saves states, and continues from them when run again', async (t) => {
  const dir = project(t);
  const tsc = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      '--allowImportingTsExtensions',
      '--types',
      'node',
      '--typeRoots',
      join(root, 'node_modules', '@types'),
      ...readdirSync(dir).filter((n) => n.endsWith('.ts')),
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  t.is(tsc.status, 0, `tsc: ${tsc.stdout}${tsc.stderr}`);

  const tsx = import.meta.resolve('tsx');
  const run = () =>
    spawnSync(process.execPath, [`--import=${tsx}`, 'main.ts'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  // Only what any Quick start shows: the launch's own log lines (stderr), its exit status, its states.
  const first = run();
  t.is(first.status, 0, `first run: ${first.stdout}${first.stderr}`);
  t.regex(first.stderr, new RegExp(`Launching AMI system\\.\\.\\. \\(backend: ${engine().name}\\b`));
  t.regex(first.stderr, /No valid saved state .*; starting fresh\./);
  t.regex(first.stderr, /Final state saved to '.*\.state'/);

  const states = () =>
    readdirSync(join(dir, 'states'))
      .filter((n) => n.endsWith('.state'))
      .sort();
  const afterFirst = states();
  t.true(afterFirst.length >= 1, afterFirst.join(', '));

  const second = run();
  t.is(second.status, 0, `second run: ${second.stdout}${second.stderr}`);
  t.regex(
    second.stderr,
    new RegExp(`Loading state from '.*${afterFirst.at(-1)!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`),
  );

  const all = states();
  t.true(all.length > afterFirst.length || all.at(-1) !== afterFirst.at(-1), 'the second run saved new states');
  for (const name of all) {
    const report = await engine().verifyState(join(dir, 'states', name));
    t.deepEqual(report.problems, [], name);
  }
});
