#!/usr/bin/env node
// Checks what `npm publish` would upload, before it does (the publish job runs it after
// `npm pkg delete scripts.prepare`):
//   - no lifecycle script a consumer's npm (or pnpm, yarn, bun, an audit tool) would run or flag at
//     install: preinstall, install, postinstall, prepare — and no binding.gyp, which implies
//     `node-gyp rebuild`;
//   - the entry points exist in the tarball: dist/index.js and .d.ts, every `exports` target (each
//     subpath's module and declarations), the bin, the native loader;
//   - no sources, specs or binaries in the main package (binaries travel in the platform packages);
//   - the registry metadata: repository, bugs, keywords, license, engines.
// Usage: node scripts/check-pack.mjs [--dir DIR]   (DIR: the package directory, default this checkout)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dirArg = process.argv.indexOf('--dir');
const dir = dirArg > 0 ? resolve(process.argv[dirArg + 1]) : join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const packed = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
  cwd: dir,
  encoding: 'utf8',
  shell: process.platform === 'win32',
});
if (packed.status !== 0) {
  console.error(`npm pack failed:\n${packed.stderr}`);
  process.exit(1);
}
const files = new Set(JSON.parse(packed.stdout)[0].files.map((f) => f.path));
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

const problems = [];
for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
  if (manifest.scripts?.[script] !== undefined)
    problems.push(`package.json has a "${script}" script: consumers' installs would run or flag it`);
}
for (const field of ['repository', 'bugs', 'keywords', 'license', 'engines']) {
  if (manifest[field] === undefined) problems.push(`package.json has no "${field}"`);
}
if (files.has('binding.gyp')) problems.push('binding.gyp is packed: npm would run node-gyp rebuild at install');
const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
for (const need of [
  'dist/index.js',
  'dist/index.d.ts',
  'index.js',
  'index.d.ts',
  'README.md',
  'LICENSE',
  ...bins.map((b) => b.replace(/^\.\//, '')),
]) {
  if (!files.has(need)) problems.push(`${need} is not in the package`);
}
// Every entry point of `exports` (the root and each subpath): its module and its declarations.
for (const [entry, target] of Object.entries(manifest.exports ?? {})) {
  const targets = typeof target === 'string' ? [target] : Object.values(target);
  for (const t of targets) {
    if (typeof t === 'string' && !files.has(t.replace(/^\.\//, '')))
      problems.push(`exports["${entry}"] → ${t} is not in the package`);
  }
}
for (const f of files) {
  if (/^(src|__test__|crates|binding|scripts|samples)\//.test(f) || f.endsWith('.node') || f.endsWith('.rs')) {
    problems.push(`${f} should not be in the package`);
  }
}

console.log(`${manifest.name}@${manifest.version}: ${files.size} files`);
if (problems.length) {
  for (const p of problems) console.log(`  PROBLEM ${p}`);
  process.exit(1);
}
console.log('  ok: no install-time scripts, entry points present, no sources or binaries');
