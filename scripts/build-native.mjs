#!/usr/bin/env node
// Run by scripts/prepare.mjs (`prepare`, i.e. `npm install` in a checkout) when the binary is older than
// the Rust sources: builds the native engine when a Rust toolchain is on PATH, otherwise says that the
// pure-TypeScript backend will be used. Without Cargo.toml (a packed tarball) it does nothing: the
// platform packages carry the binary.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'Cargo.toml'))) process.exit(0);

if (process.env.PAMIQ_SKIP_NATIVE_BUILD === '1') {
  console.log('pamiq-core: PAMIQ_SKIP_NATIVE_BUILD=1, native build skipped; the TypeScript backend will be used.');
  process.exit(0);
}
const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
if (cargo.error || cargo.status !== 0) {
  console.log('pamiq-core: no cargo on PATH, native build skipped; the pure-TypeScript backend will be used.');
  process.exit(0);
}
const napi = join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js');
const args = [napi, 'build', '--platform', '--release', '--esm', '--js', 'index.js', '--dts', 'index.d.ts'];
console.log(`pamiq-core: building the native engine with ${cargo.stdout.trim()} …`);
const build = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(
    'pamiq-core: the native build failed (output above). Fix the toolchain, or set PAMIQ_SKIP_NATIVE_BUILD=1 to use the TypeScript backend.',
  );
  process.exit(build.status ?? 1);
}
