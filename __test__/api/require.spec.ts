/**
 * The package as a consumer loads it: a project whose node_modules/pamiq-core is this checkout, so that
 * `pamiq-core` and its subpaths resolve through package.json's `exports` to dist/ — from CommonJS with
 * `require()` (the library has no top-level await, so Node ≥ 20.19 and ≥ 22.12 load it) and from an ES
 * module. The program runs in a child process on this Node, on the backend PAMIQ_BACKEND selects.
 *
 * dist/ is what `prepare` builds at `npm install`; when a source or a tsconfig is newer than its last
 * build (the stamp `prepare` writes), the `before` hook rebuilds it the way `prepare` does.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine } from '../../src/backend/select.js';
import { tmpDir } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  exports: Record<string, string | { types: string; default: string }>;
};

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

test.before('dist/ is built from the current sources', () => {
  const stamp = join(root, 'dist', '.build-stamp');
  const sources = Math.max(
    newest(join(root, 'src')),
    newest(join(root, 'tsconfig.json')),
    newest(join(root, 'tsconfig.build.json')),
  );
  if (existsSync(stamp) && statSync(stamp).mtimeMs > sources) return;
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`the TypeScript build failed: ${tsc.stdout}${tsc.stderr}`);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
});

/** A consumer project: package.json without "type" (CommonJS), and node_modules/pamiq-core → this checkout. */
function project(t: import('ava').ExecutionContext): string {
  const dir = tmpDir(t, 'pamiq-consumer-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'pamiq-core'), 'junction');
  return dir;
}

function node(dir: string, args: string[]) {
  return spawnSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PAMIQ_WEB_API_ADDRESS: 'off' },
  });
}

test('require("pamiq-core") works: a CommonJS program saves a state and loads it into a fresh model', (t) => {
  const dir = project(t);
  copyFileSync(fileURLToPath(new URL('fixtures/require-package.cjs', import.meta.url)), join(dir, 'main.cjs'));
  const run = node(dir, ['main.cjs', join(dir, 'states')]);
  t.is(run.status, 0, `${run.stdout}${run.stderr}`);
  t.notRegex(run.stderr, /ERR_REQUIRE_ASYNC_MODULE/);
  const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    backend: string;
    version: string;
    packageVersion: string;
    path: string;
    states: { path: string; valid: boolean }[];
    weights: number[];
  };
  t.is(out.backend, engine().name, 'the child selects the backend this spec runs on');
  t.is(out.version, pkg.version);
  t.is(out.packageVersion, pkg.version);
  t.deepEqual(out.states, [{ path: out.path, valid: true }]);
  t.true(out.path.startsWith(join(dir, 'states')), out.path);
  t.true(
    out.weights.some((w) => w !== 0),
    `trained weights came back: ${out.weights}`,
  );
});

test('every entry point of package.json exports resolves to built code and declarations, from require and import', (t) => {
  const dir = project(t);
  const names = Object.keys(pkg.exports)
    .filter((n) => n !== './package.json')
    .map((n) => (n === '.' ? 'pamiq-core' : `pamiq-core/${n.slice(2)}`));
  for (const [name, entry] of Object.entries(pkg.exports)) {
    if (typeof entry === 'string') continue;
    t.true(existsSync(join(root, entry.types)), `${name}: ${entry.types} is built`);
  }
  const probe = (load: string) => `
    const names = ${JSON.stringify(names)};
    const counts = {};
    for (const n of names) counts[n] = Object.keys(${load}).length;
    console.log(JSON.stringify(counts));`;
  const cjs = node(dir, [
    '-e',
    `(async () => { ${probe('require(n)')} })().catch((e) => { console.error(e); process.exit(1); })`,
  ]);
  t.is(cjs.status, 0, cjs.stderr);
  const esm = node(dir, ['--input-type=module', '-e', probe('await import(n)')]);
  t.is(esm.status, 0, esm.stderr);
  const fromRequire = JSON.parse(cjs.stdout.trim()) as Record<string, number>;
  const fromImport = JSON.parse(esm.stdout.trim()) as Record<string, number>;
  t.deepEqual(Object.keys(fromRequire), names);
  for (const n of names) {
    t.true(fromRequire[n]! > 0, `${n} has exports through require`);
    // require(esm) returns the module namespace; an ES namespace has the same names (no __esModule here).
    t.is(fromRequire[n], fromImport[n], `${n}: the same names through require and import`);
  }
});

test('on a Node without require(esm) the binding loads from the same places the generated loader finds it', (t) => {
  // --no-experimental-require-module turns require(esm) off, as on Node < 20.19 and < 22.12: select.ts
  // then requires this platform's binary itself. Either way the same backend must come out.
  const dir = project(t);
  const probe = `const { backend } = await import('pamiq-core/engine'); console.log(JSON.stringify(backend()));`;
  const env = { ...process.env, PAMIQ_BACKEND: '' };
  const run = (flags: string[]) =>
    spawnSync(process.execPath, [...flags, '--input-type=module', '-e', probe], { cwd: dir, encoding: 'utf8', env });
  const withLoader = run([]);
  const without = run(['--no-experimental-require-module']);
  t.is(withLoader.status, 0, withLoader.stderr);
  t.is(without.status, 0, without.stderr);
  const a = JSON.parse(withLoader.stdout.trim()) as { name: string; nativeUnavailable?: string };
  const b = JSON.parse(without.stdout.trim()) as { name: string; nativeUnavailable?: string };
  t.is(b.name, a.name, `with the loader: ${JSON.stringify(a)}; without require(esm): ${JSON.stringify(b)}`);
  if (b.name === 'ts') t.regex(b.nativeUnavailable ?? '', /no native binary for .*npm install pamiq-core-/);
});
