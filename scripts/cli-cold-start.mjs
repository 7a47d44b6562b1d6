#!/usr/bin/env node
// Measures the cold start of the `pamiq` command in this checkout and checks that nothing is rebuilt:
//
//   node dist/cli/main.js --help            the command itself (what a project's node_modules/.bin/pamiq runs)
//   npx pamiq --help, empty npm cache       npx installs the checkout into a fresh npm cache and runs its
//                                           `prepare`, which must find dist/ and the binary up to date
//   npx pamiq --help, again                 npx's cache is warm
//
// Each is run `--runs` times (default 3); the script prints the median wall time next to `node -e 0`
// (the same machine, the same moment: the ratio is what to read on a loaded machine) and exits 1 when
// a run fails, prints no `Backend:` line, or rebuilt dist/ or the native binary.
// Usage: node scripts/cli-cold-start.mjs [--runs N]   (run `npm install` first: dist/ must exist)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const npm = process.platform === 'win32' ? 'npx.cmd' : 'npx';

const stampOf = () => {
  const files = [
    join(root, 'dist', '.build-stamp'),
    ...readdirSync(root)
      .filter((n) => n.endsWith('.node'))
      .map((n) => join(root, n)),
  ];
  return files.map((f) => (existsSync(f) ? `${f}@${statSync(f).mtimeMs}` : `${f}@missing`)).join('\n');
};

let failed = false;
function time(label, cmd, args, env = {}, check = (out) => /Backend: (native|ts)/.test(out)) {
  const walls = [];
  for (let i = 0; i < runs; i++) {
    const fresh = env.npm_config_cache === 'fresh' ? mkdtempSync(join(tmpdir(), 'pamiq-npm-cache-')) : undefined;
    const t0 = performance.now();
    const r = spawnSync(cmd, args, {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env, ...(fresh ? { npm_config_cache: fresh } : {}) },
      shell: process.platform === 'win32' && cmd.endsWith('.cmd'),
    });
    walls.push(performance.now() - t0);
    if (fresh) rmSync(fresh, { recursive: true, force: true });
    if (r.status !== 0 || !check(r.stdout)) {
      failed = true;
      console.log(`FAILED ${label}: status ${r.status}\n${r.stdout}${r.stderr}`);
    }
  }
  walls.sort((a, b) => a - b);
  return walls[Math.floor(walls.length / 2)];
}

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  console.error('dist/cli/main.js is missing: run `npm install` (or `node scripts/prepare.mjs`) first.');
  process.exit(1);
}
spawnSync(process.execPath, [join(root, 'scripts', 'prepare.mjs')], { cwd: root, stdio: 'inherit' }); // bring the build up to date
const before = stampOf();

const baseline = time('node -e 0', process.execPath, ['-e', '0'], {}, () => true);
const rows = [
  ['node -e 0 (baseline)', baseline],
  ['node dist/cli/main.js --help', time('bin', process.execPath, [join(root, 'dist', 'cli', 'main.js'), '--help'])],
  [
    'npx pamiq --help, empty npm cache',
    time('npx cold', npm, ['--yes', 'pamiq', '--help'], { npm_config_cache: 'fresh' }),
  ],
  ['npx pamiq --help, warm', time('npx warm', npm, ['--yes', 'pamiq', '--help'])],
];
const after = stampOf();
if (before !== after) {
  failed = true;
  console.log(`FAILED: npx rebuilt the checkout (dist/.build-stamp or the binary changed):\n${before}\n->\n${after}`);
}

console.log(`\n${'command'.padEnd(36)}  ${'median wall'.padStart(11)}  ${'× node -e 0'.padStart(11)}   (${runs} runs)`);
for (const [label, ms] of rows) {
  console.log(`${label.padEnd(36)}  ${`${ms.toFixed(0)} ms`.padStart(11)}  ${(ms / baseline).toFixed(1).padStart(11)}`);
}
console.log(failed ? '\nFAILED' : '\nok: nothing rebuilt, every run printed its backend');
process.exit(failed ? 1 : 0);
