/**
 * scripts/prepare.mjs (the `prepare` lifecycle script) on a small checkout-shaped project: it builds
 * dist/ once, does nothing while everything is up to date (so `npx pamiq` in a checkout, which runs
 * `prepare`, starts at once), rebuilds after a source changes, and does nothing outside a checkout.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../helpers/tmp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function checkout(t: import('ava').ExecutionContext, withCargo = true): string {
  const dir = tmpDir(t, 'pamiq-prepare-');
  mkdirSync(join(dir, 'scripts'));
  for (const f of ['prepare.mjs', 'build-native.mjs']) copyFileSync(join(root, 'scripts', f), join(dir, 'scripts', f));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.ts'), 'export const answer: number = 42;\n');
  writeFileSync(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify({
      compilerOptions: { outDir: 'dist', rootDir: 'src', module: 'nodenext', target: 'es2022', types: [] },
      include: ['src'],
    }),
  );
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  if (withCargo) writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "x"\n');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(root, 'node_modules', 'typescript'), join(dir, 'node_modules', 'typescript'), 'junction');
  return dir;
}

// Backend-independent (no engine involved): run once, in the TypeScript pass of `npm test`.
const once = process.env.PAMIQ_BACKEND === 'native' ? test.skip : test;
const inNativePass =
  process.env.PAMIQ_BACKEND === 'native'
    ? ' [skipped in the native pass: backend-independent, runs in the ts pass]'
    : '';

const prepare = (dir: string) =>
  spawnSync(process.execPath, [join(dir, 'scripts', 'prepare.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PAMIQ_SKIP_NATIVE_BUILD: '1' },
  });

once(
  `prepare builds dist/ once, skips it while up to date, and rebuilds after a source changes${inNativePass}`,
  (t) => {
    const dir = checkout(t);
    const stamp = join(dir, 'dist', '.build-stamp');
    const first = prepare(dir);
    t.is(first.status, 0, first.stdout + first.stderr);
    t.true(existsSync(join(dir, 'dist', 'index.js')));
    const built = statSync(stamp).mtimeMs;
    const builtText = readFileSync(stamp, 'utf8');

    const again = prepare(dir);
    t.is(again.status, 0, again.stdout + again.stderr);
    t.is(statSync(stamp).mtimeMs, built, 'nothing rebuilt while up to date');
    t.is(readFileSync(stamp, 'utf8'), builtText);

    const later = new Date(Date.now() + 5000);
    writeFileSync(join(dir, 'src', 'index.ts'), 'export const answer: number = 43;\n');
    utimesSync(join(dir, 'src', 'index.ts'), later, later);
    const changed = prepare(dir);
    t.is(changed.status, 0, changed.stdout + changed.stderr);
    t.regex(readFileSync(join(dir, 'dist', 'index.js'), 'utf8'), /43/);
    t.not(readFileSync(stamp, 'utf8'), builtText, 'rebuilt after the change');
  },
);

once(`prepare does nothing outside a checkout (no Cargo.toml)${inNativePass}`, (t) => {
  const dir = checkout(t, false);
  const r = prepare(dir);
  t.is(r.status, 0, r.stderr);
  t.false(existsSync(join(dir, 'dist')));
  t.is(r.stdout, '');
});
