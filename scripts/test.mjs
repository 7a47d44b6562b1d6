#!/usr/bin/env node
// `npm test`: type-check, the import-cycle check, `cargo test` for the engine crate (when cargo exists), then the ava suite
// against the native backend (when it loads) and against the TypeScript twin (always).
// Extra arguments are passed to ava (e.g. `npm test -- __test__/state/store.spec.ts`).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const avaArgs = process.argv.slice(2);
// The JS entry point of a dev dependency's command, from its package.json `bin`: run with this Node
// (process.execPath), never through node_modules/.bin, whose Windows shims (.cmd) need a shell.
function bin(pkg, command = pkg) {
  const dir = join(root, 'node_modules', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return join(dir, typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[command]);
}
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${[cmd, ...args].join(' ')}`);
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => {
      if (code !== 0) failedSteps.push(label);
      resolvePromise({ code, out });
    });
  });
}

// ava's verbose reporter prints one line per test: "  ✔ title", "  ✘ [fail]: title", "  - title" (skipped).
function countAva(label, out) {
  const n = (re) => Number(out.match(re)?.[1] ?? 0);
  const lines = (re) => out.split('\n').filter((l) => re.test(l)).length;
  const c = {
    passed: lines(/^\s{2}✔ /),
    failed: Math.max(lines(/^\s{2}✘ \[fail\]/), n(/(\d+) tests? failed/)),
    skipped: Math.max(lines(/^\s{2}- /), n(/(\d+) tests? skipped/)),
  };
  c.failed += n(/(\d+) uncaught exceptions?/) + n(/(\d+) unhandled rejections?/);
  for (const k of Object.keys(totals)) totals[k] += c[k];
  console.log(`ava (${label}): ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
}

await run('typecheck', process.execPath, [bin('typescript', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
// No import cycles among the modules of src/ (`npm run check:cycles`); `-T` compiles each module first,
// so type-only imports, which vanish at run time, do not count.
await run('import cycles', process.execPath, [
  bin('dpdm'),
  ...['--no-warning', '--no-tree', '--no-progress', '-T', '--exit-code', 'circular:1', 'src/**/*.ts'],
]);
// Lint and format (Biome, `npm run lint`): a lint error or an unformatted file fails this step.
await run('lint and format', process.execPath, [bin('@biomejs/biome', 'biome'), 'check', '--error-on-warnings', '.']);

const cargo = spawnSync('cargo', ['--version']);
if (!cargo.error && cargo.status === 0) {
  await run('cargo test', 'cargo', ['test', '-p', 'pamiq-engine', '--release']);
} else {
  console.log('\n=== cargo test: skipped, no cargo on PATH');
}

// The S3 specs need versitygw: install it once here (a `go install`, cached in .cache/), so that no
// spec waits for a build. Without Go the S3 specs skip and say why.
{
  const { goAvailable } = await import('./s3-server.mjs');
  if (goAvailable())
    await run('s3 server (versitygw) install', process.execPath, [join(root, 'scripts', 's3-server.mjs'), 'install']);
  else console.log('\n=== s3 server: skipped, no Go toolchain (the S3 specs skip)');
}

const probe = spawnSync(
  process.execPath,
  ['--import=tsx', '-e', "const m = await import('./src/backend/select.ts'); console.log(JSON.stringify(m.backend()))"],
  { cwd: root, encoding: 'utf8', env: { ...process.env, PAMIQ_BACKEND: '' } },
);
let nativeReason;
try {
  const info = JSON.parse(probe.stdout.trim().split('\n').pop());
  nativeReason = info.name === 'native' ? undefined : info.nativeUnavailable;
} catch {
  nativeReason = `backend probe failed: ${probe.stderr.trim()}`;
}

if (nativeReason === undefined) {
  const r = await run('ava, native backend', process.execPath, [bin('ava'), ...avaArgs], { PAMIQ_BACKEND: 'native' });
  countAva('native', r.out);
} else if (process.env.PAMIQ_REQUIRE_NATIVE === '1') {
  console.log(`\n=== ava, native backend: FAILED — PAMIQ_REQUIRE_NATIVE=1 but it is unavailable: ${nativeReason}`);
  failedSteps.push('native backend required');
} else {
  console.log(`\n=== ava, native backend: SKIPPED — the native backend is unavailable: ${nativeReason}`);
}
const r = await run('ava, TypeScript backend', process.execPath, [bin('ava'), ...avaArgs], { PAMIQ_BACKEND: 'ts' });
countAva('ts', r.out);

console.log(`\n${failedSteps.length ? `FAILED steps: ${failedSteps.join(', ')}` : 'all steps passed'}`);
console.log(`total: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length ? 1 : 0);
