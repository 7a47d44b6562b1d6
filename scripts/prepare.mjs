#!/usr/bin/env node
// `prepare`: runs at `npm install` in a checkout (and when npm installs a git or directory dependency,
// which is a checkout too). npm never runs it for a package installed from the registry, and the
// published package.json has no `prepare` at all (the publish job deletes it), so consumers see no
// install script.
//
// Builds only what is out of date, so a repeated `npm install` — or `npx pamiq` in a checkout, which
// installs the checkout into npm's cache and runs this — takes a fraction of a second:
//   1. the native engine (scripts/build-native.mjs) when a Rust source is newer than this platform's
//      binary, or there is none;
//   2. dist/ (tsc -p tsconfig.build.json) when a file under src/ or a tsconfig is newer than the last build.
// `--force` rebuilds both. Outside a checkout (no Cargo.toml or no src/) it does nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
if (!existsSync(join(root, 'Cargo.toml')) || !existsSync(join(root, 'src'))) process.exit(0);

/** Newest modification time (ms) of the files under `paths` (directories walked), 0 when none exist. */
function newest(paths, filter = () => true) {
  let max = 0;
  const visit = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'target' && name !== 'node_modules') visit(join(p, name));
    } else if (filter(p)) max = Math.max(max, st.mtimeMs);
  };
  for (const p of paths) visit(join(root, p));
  return max;
}

const mtime = (p) => {
  try {
    return statSync(join(root, p)).mtimeMs;
  } catch {
    return 0;
  }
};

/** This platform's binary name as napi-rs writes it: pamiq-core.linux-x64-gnu.node, … */
function binaryName() {
  let suffix = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux')
    suffix += process.report?.getReport()?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
  if (process.platform === 'win32') suffix += '-msvc';
  return `pamiq-core.${suffix}.node`;
}

function run(label, args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`pamiq-core: ${label} failed (output above).`);
    process.exit(r.status ?? 1);
  }
}

const rustSources = newest(['crates', 'binding', 'Cargo.toml', 'Cargo.lock', 'build.rs']);
if (force || mtime(binaryName()) <= rustSources) run('the native build', [join(root, 'scripts', 'build-native.mjs')]);

const stamp = join('dist', '.build-stamp');
const tsSources = newest(['src', 'tsconfig.build.json', 'tsconfig.json'], (p) => !p.endsWith('.md'));
if (force || mtime(stamp) <= tsSources) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    console.error('pamiq-core: typescript is not installed (run `npm install` in the checkout, without --omit=dev).');
    process.exit(1);
  }
  run('the TypeScript build', [tsc, '-p', 'tsconfig.build.json']);
  writeFileSync(join(root, stamp), `${new Date().toISOString()}\n`);
}
